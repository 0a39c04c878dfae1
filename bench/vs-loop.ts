// vstream against the plain loop (bench/plain-loop.ts), side by side in one run: the
// short and the long batch, 1 and 2 videos at a time, on an idle machine and with
// another ffmpeg job running; alternating rounds, medians, ratios, CPU seconds and,
// on an idle machine, the lower bound (the work's CPU seconds over the cores, or the
// download time when that is larger). Then an empty batch and the orchestration per video.
//
//   npm run bench:loop -- [--rounds 5] [--batches short,long] [--parallel 1,2]
//                         [--conditions idle,busy] [--preset fast] [--mbps 4] [--crf 23|off] [--videos 4]
//
// Both batches: 4 videos of 1080p30 H.264 (testsrc2 with noise, 6 Mbit/s), 3 clips of
// 60 frames; short: 10 s videos, clips at 0, 90 and 210; long: 30 s, clips at 0, 420 and 840.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ENCODE_SETTINGS, DEFAULT_X265_CRF } from '../src/config.js';
import { startMediaServer } from '../src/devkit/media-server.js';
import {
  BATCHES,
  BENCH_DIR,
  CLIP_FRAMES,
  measure,
  prepareBatch,
  SOURCES,
  startCompetingJob,
  tools,
  VIDEOS,
  vstreamRun,
  type Measured,
} from './loop-batches.js';
import { plainLoop } from './plain-loop.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    batches: { type: 'string', default: 'short,long' },
    parallel: { type: 'string', default: '1,2' },
    conditions: { type: 'string', default: 'idle,busy' },
    // More videos than the issue's 4 show how vstream's fixed cost per run amortizes.
    videos: { type: 'string', default: String(VIDEOS) },
    preset: { type: 'string', default: 'fast' },
    mbps: { type: 'string', default: '4' },
    // vstream's default for a new folder; both tools get the same.
    crf: { type: 'string', default: String(DEFAULT_X265_CRF) },
  },
});
const ROUNDS = Number(values.rounds);
const BATCH_VIDEOS = Number(values.videos);
const PRESET = values.preset as string;
const BYTES_PER_SECOND = Number(values.mbps) * 1024 * 1024;
const CORES = availableParallelism();

type Condition = 'idle' | 'busy';

const CRF = values.crf === 'off' ? null : Number(values.crf);
const settings = { ...DEFAULT_ENCODE_SETTINGS, ...(CRF === null ? {} : { crf: CRF }) };
const encoder = { kind: 'x265' as const, preset: PRESET };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

interface Row {
  batch: string;
  parallel: number;
  condition: Condition;
  vstream: Measured[];
  loop: Measured[];
  lowerBound: number | null;
}

async function main(): Promise<void> {
  const batchNames = (values.batches as string).split(',');
  const parallels = (values.parallel as string).split(',').map(Number);
  const conditions = (values.conditions as string).split(',') as Condition[];
  await mkdir(SOURCES, { recursive: true });
  const server = await startMediaServer({ root: SOURCES, bytesPerSecond: BYTES_PER_SECOND });
  const rows: Row[] = [];
  console.log(
    `bench: ${BATCH_VIDEOS} videos x 3 clips of ${CLIP_FRAMES} frames, served at ${values.mbps} MiB/s per connection, ` +
      `libx265 ${PRESET} ${CRF === null ? 'ABR' : `CRF ${CRF}`}, ${ROUNDS} alternating rounds, ${CORES} cores`,
  );
  try {
    for (const spec of BATCHES.filter((b) => batchNames.includes(b.name))) {
      const batch = await prepareBatch(spec, (file) => server.url(file), BATCH_VIDEOS);
      for (const condition of conditions) {
        const competing = condition === 'busy' ? startCompetingJob(PRESET) : null;
        try {
          for (const parallel of parallels) {
            const row: Row = { batch: spec.name, parallel, condition, vstream: [], loop: [], lowerBound: null };
            for (let round = 1; round <= ROUNDS; round++) {
              const order = round % 2 === 1 ? (['loop', 'vstream'] as const) : (['vstream', 'loop'] as const);
              for (const tool of order) {
                const outDir = join(batch.dir, `out-${tool}`);
                const workDir = join(batch.dir, `work-${tool}`);
                await rm(outDir, { recursive: true, force: true });
                await rm(workDir, { recursive: true, force: true });
                const run =
                  tool === 'loop'
                    ? () => plainLoop({ ...batch, outDir, workDir, threads: parallel, settings, encoder, tools })
                    : () => vstreamRun(batch.urlsFile, batch.clipDir, outDir, parallel, PRESET, CRF);
                const m = await measure(run);
                row[tool].push(m);
                console.log(
                  `${spec.name}, ${parallel} at a time, ${condition}, round ${round}: ${tool.padEnd(7)} ${m.wall.toFixed(1)} s wall, ${m.cpu.toFixed(1)} CPU s`,
                );
              }
            }
            if (condition === 'idle') {
              const work = median(row.loop.map((m) => m.cpu));
              const download = Math.ceil(BATCH_VIDEOS / parallel) * (batch.largestBytes / BYTES_PER_SECOND);
              row.lowerBound = Math.max(work / CORES, download);
            }
            rows.push(row);
          }
        } finally {
          await competing?.stop();
        }
      }
    }
    const empty = await emptyBatch();
    printTable(rows, empty);
  } finally {
    await server.close();
  }
}

/** An empty URL list: the embedded server's start, the worker's, the batch's round trip. */
async function emptyBatch(): Promise<number[]> {
  const dir = join(BENCH_DIR, 'empty');
  await mkdir(join(dir, 'clips'), { recursive: true });
  await writeFile(join(dir, 'urls.txt'), '');
  const walls: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    await rm(join(dir, 'out'), { recursive: true, force: true });
    const m = await measure(() =>
      vstreamRun(join(dir, 'urls.txt'), join(dir, 'clips'), join(dir, 'out'), 1, PRESET, CRF),
    );
    walls.push(m.wall);
  }
  return walls;
}

function printTable(rows: Row[], empty: number[]): void {
  console.log(
    '\nbatch   at a time   machine   vstream (s)   loop (s)   ratio   target   vstream CPU s   loop CPU s   lower bound (s)   vstream / bound',
  );
  for (const r of rows) {
    const v = median(r.vstream.map((m) => m.wall));
    const l = median(r.loop.map((m) => m.wall));
    const target = r.parallel === 1 ? 1.05 : 1.0;
    const ratio = v / l;
    const bound = r.lowerBound;
    console.log(
      [
        r.batch.padEnd(5),
        String(r.parallel).padStart(9),
        r.condition.padStart(7),
        v.toFixed(1).padStart(11),
        l.toFixed(1).padStart(8),
        `${ratio.toFixed(3)}x`.padStart(7),
        `${ratio <= target ? 'met' : 'MISSED'} (<= ${target.toFixed(2)})`.padStart(14),
        median(r.vstream.map((m) => m.cpu))
          .toFixed(1)
          .padStart(13),
        median(r.loop.map((m) => m.cpu))
          .toFixed(1)
          .padStart(10),
        (bound === null ? '-' : bound.toFixed(1)).padStart(15),
        (bound === null
          ? '-'
          : `${(v / bound).toFixed(3)}x${r.parallel > 1 ? (v / bound <= 1.1 ? ' met' : ' MISSED') : ''}`
        ).padStart(16),
      ].join('   '),
    );
  }
  const idleSerial = rows.filter((r) => r.condition === 'idle' && r.parallel === 1);
  for (const r of idleSerial) {
    const perVideo = (median(r.vstream.map((m) => m.wall)) - median(r.loop.map((m) => m.wall))) / BATCH_VIDEOS;
    console.log(
      `${r.batch}: vstream's time beyond the loop's, 1 at a time, idle: ${perVideo.toFixed(2)} s per video (target < 0.1)`,
    );
  }
  const emptyMedian = median(empty);
  console.log(
    `empty batch: median ${emptyMedian.toFixed(2)} s of ${empty.map((s) => s.toFixed(2)).join(', ')} (target < 1.5 s on an idle machine: ${emptyMedian < 1.5 ? 'met' : 'MISSED'})`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
