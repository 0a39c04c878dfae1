// Where the time of one `vstream run` goes: the short or long batch of bench:loop, run
// once with the cores sampled every 250 ms, then its log's events as a timeline
// (src/core/timeline.ts): start-up, each video's stages and the gaps between them,
// shutdown, idle core-seconds and CPU use over time.
//
//   npm run bench:timeline -- [--batch short] [--parallel 1] [--preset fast] [--mbps 4] [--crf 23|off]
//                             [--download-ahead N] (vstream's default: as many as --parallel)
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_X265_CRF } from '../src/config.js';
import { buildRunTimeline, formatRunTimeline, type CpuSample, type TimedEvent } from '../src/core/timeline.js';
import { startMediaServer } from '../src/devkit/media-server.js';
import { BATCHES, prepareBatch, SOURCES, vstreamRun } from './loop-batches.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: 'short' },
    parallel: { type: 'string', default: '1' },
    preset: { type: 'string', default: 'fast' },
    mbps: { type: 'string', default: '4' },
    crf: { type: 'string', default: String(DEFAULT_X265_CRF) },
    'download-ahead': { type: 'string' },
  },
});

/** Total and idle jiffies of all cores (/proc/stat's first line). */
function cpuJiffies(): { total: number; idle: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const total = fields.reduce((sum, n) => sum + n, 0);
  // idle + iowait
  return { total, idle: (fields[3] ?? 0) + (fields[4] ?? 0) };
}

function sampleCpu(everyMs: number): { stop: () => CpuSample[] } {
  const samples: CpuSample[] = [];
  let previous = cpuJiffies();
  const timer = setInterval(() => {
    const now = cpuJiffies();
    const total = now.total - previous.total;
    samples.push({ time: Date.now(), busy: total > 0 ? 1 - (now.idle - previous.idle) / total : 0 });
    previous = now;
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return samples;
    },
  };
}

async function main(): Promise<void> {
  const spec = BATCHES.find((b) => b.name === values.batch);
  if (!spec) throw new Error(`--batch must be one of ${BATCHES.map((b) => b.name).join(', ')}`);
  const parallel = Number(values.parallel);
  const server = await startMediaServer({ root: SOURCES, bytesPerSecond: Number(values.mbps) * 1024 * 1024 });
  try {
    const batch = await prepareBatch(spec, (file) => server.url(file));
    const outDir = join(batch.dir, 'out-timeline');
    await rm(outDir, { recursive: true, force: true });
    const cpu = sampleCpu(250);
    const processStart = Date.now();
    const crf = values.crf === 'off' ? null : Number(values.crf);
    const given = values['download-ahead'];
    const ahead = given === undefined ? [] : ['--download-ahead', given];
    await vstreamRun(batch.urlsFile, batch.clipDir, outDir, parallel, values.preset as string, crf, ahead);
    const processEnd = Date.now();
    const samples = cpu.stop();
    const log = await readFile(join(outDir, '_vstream', 'vstream.log'), 'utf8');
    const events = log
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as TimedEvent);
    console.log(
      `timeline: ${spec.name} batch, ${parallel} at a time, libx265 ${values.preset}, ${availableParallelism()} cores`,
    );
    console.log(
      formatRunTimeline(
        buildRunTimeline({ events, processStart, processEnd, cpu: samples, cores: availableParallelism() }),
      ),
    );
  } finally {
    await server.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
