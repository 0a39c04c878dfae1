// Wall time of `vstream run` (embedded server start included) against a plain
// sequential loop of the same yt-dlp + ffmpeg commands (the original's way), on the
// same generated batch served paced like a real network, alternating, in one run.
//
//   npm run bench:pipeline -- [--videos 6] [--seconds 30] [--clips 2] [--clip-frames 150]
//                             [--rounds 2] [--mbps 4] [--preset ultrafast]
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ENCODE_SETTINGS } from '../src/config.js';
import { clipFileName, parseClipFile } from '../src/core/clip-file.js';
import { buildClipEncodeArgs } from '../src/core/ffmpeg-args.js';
import { buildDownloadArgs } from '../src/core/ytdlp-args.js';
import { startMediaServer } from '../src/devkit/media-server.js';
import { generateSample } from '../src/devkit/sample-videos.js';
import { resolveMediaTools } from '../src/tools/binaries.js';
import { runTool } from '../src/tools/process.js';
import { PROJECT_ROOT } from '../src/tools/project.js';

const { values } = parseArgs({
  options: {
    videos: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '2' },
    mbps: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '30' },
    clips: { type: 'string', default: '2' },
    'clip-frames': { type: 'string', default: '150' },
    preset: { type: 'string', default: 'ultrafast' },
  },
});
const VIDEOS = Number(values.videos);
const ROUNDS = Number(values.rounds);
const BYTES_PER_SECOND = Number(values.mbps) * 1024 * 1024;
const SECONDS = Number(values.seconds);
const PRESET = values.preset as string;
const BENCH_DIR = join(PROJECT_ROOT, 'bench-out', 'pipeline');
const CLIP_COUNT = Number(values.clips);
const CLIP_FRAMES = Number(values['clip-frames']);
/** Clips spread evenly over the video, at 30 fps frame indices. */
const CLIPS = Array.from({ length: CLIP_COUNT }, (_, i) => {
  const start = Math.round(((i + 1) * SECONDS * 30) / (CLIP_COUNT + 1)) - Math.round(CLIP_FRAMES / 2);
  return `${start} ${start + CLIP_FRAMES}`;
}).join('\n');

const tools = resolveMediaTools();

async function prepareSources(): Promise<{ sources: string; clips: string; names: string[] }> {
  const sources = join(BENCH_DIR, 'sources');
  const clips = join(BENCH_DIR, 'clips');
  await mkdir(clips, { recursive: true });
  const existing = new Set(await readdir(sources).catch(() => []));
  const names = Array.from({ length: VIDEOS }, (_, i) => `bench${i}`);
  for (const name of names) {
    if (!existing.has(`${name}-${SECONDS}s.mp4`)) {
      console.log(`bench: generating ${name} (1080p30, ${SECONDS} s, 6 Mbit/s)`);
      await generateSample(tools.ffmpeg, sources, {
        name: `${name}-${SECONDS}s`,
        width: 1920,
        height: 1080,
        fps: 30,
        seconds: SECONDS,
        pattern: 'noise',
      });
    }
    await writeFile(join(clips, `${name}-${SECONDS}s.txt`), CLIPS);
  }
  return { sources, clips, names: names.map((n) => `${n}-${SECONDS}s`) };
}

/** The original's way: one video after another, download, encode each clip, delete. */
async function plainLoop(urls: string[], clipDir: string, outDir: string, workDir: string): Promise<void> {
  for (const url of urls) {
    const videoId = url.slice(url.lastIndexOf('/') + 1).replace(/\.mp4$/, '');
    const target = join(workDir, videoId);
    await mkdir(target, { recursive: true });
    const download = await runTool(tools.ytDlp, buildDownloadArgs({ url, targetDir: target }));
    if (!download.ok) throw new Error(`yt-dlp failed: ${download.stderrTail.join('\n')}`);
    const source = join(target, (await readdir(target))[0] as string);
    const { clips } = parseClipFile(await readFile(join(clipDir, `${videoId}.txt`), 'utf8'));
    await mkdir(join(outDir, videoId), { recursive: true });
    for (const clip of clips) {
      const outputPath = join(outDir, videoId, clipFileName(videoId, clip));
      const encode = await runTool(
        tools.ffmpeg,
        buildClipEncodeArgs({
          sourcePath: source,
          outputPath,
          clip,
          settings: { ...DEFAULT_ENCODE_SETTINGS },
          encoder: { kind: 'x265', preset: PRESET },
        }),
      );
      if (!encode.ok) throw new Error(`ffmpeg failed: ${encode.stderrTail.join('\n')}`);
    }
    await rm(target, { recursive: true, force: true });
  }
}

async function vstreamRun(urlsFile: string, clipDir: string, outDir: string, workers: number): Promise<void> {
  const args = [
    'bin/vstream.js',
    'run',
    '-u',
    urlsFile,
    '-c',
    clipDir,
    '-o',
    outDir,
    '-w',
    String(workers),
    '-d',
    '0',
    '--encoder',
    'x265',
    '--x265-preset',
    PRESET,
  ];
  const code = await new Promise<number | null>((resolve) =>
    spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: 'ignore' }).on('exit', resolve),
  );
  if (code !== 0) throw new Error(`vstream run exited ${code}`);
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  const { sources, clips, names } = await prepareSources();
  const server = await startMediaServer({ root: sources, bytesPerSecond: BYTES_PER_SECOND });
  const urls = names.map((n) => server.url(`${n}.mp4`));
  const urlsFile = join(BENCH_DIR, 'urls.txt');
  await writeFile(urlsFile, `${urls.join('\n')}\n`);
  const times: Record<'loop' | 'w1' | 'w2', number[]> = { loop: [], w1: [], w2: [] };
  console.log(
    `bench: ${VIDEOS} videos (1080p30, ${SECONDS} s, 6 Mbit/s) x ${CLIP_COUNT} clips of ${CLIP_FRAMES} frames, ` +
      `served at ${values.mbps} MiB/s per connection, libx265 ${PRESET}, ${ROUNDS} rounds`,
  );
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of ['loop', 'w1', 'w2'] as const) {
      const out = join(BENCH_DIR, `out-${kind}`);
      const work = join(BENCH_DIR, `work-${kind}`);
      await rm(out, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
      const seconds = await timed(() =>
        kind === 'loop' ? plainLoop(urls, clips, out, work) : vstreamRun(urlsFile, clips, out, kind === 'w1' ? 1 : 2),
      );
      times[kind].push(seconds);
      console.log(`round ${round}: ${kind.padEnd(4)} ${seconds.toFixed(2)} s`);
    }
  }
  await server.close();
  const loop = median(times.loop);
  const w1 = median(times.w1);
  const w2 = median(times.w2);
  console.log('\nmedian wall time (s)   plain loop   vstream -w 1   vstream -w 2');
  console.log(
    `                       ${loop.toFixed(2).padStart(10)}   ${w1.toFixed(2).padStart(12)}   ${w2.toFixed(2).padStart(12)}`,
  );
  console.log(
    `ratio to the plain loop:      1.00   ${(w1 / loop).toFixed(3).padStart(12)}   ${(w2 / loop).toFixed(3).padStart(12)}`,
  );
  console.log(
    `targets: -w 1 <= 1.10 (${w1 / loop <= 1.1 ? 'met' : 'MISSED'}), -w 2 < 1.00 (${w2 / loop < 1 ? 'met' : 'MISSED'})`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
