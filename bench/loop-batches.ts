// The two batches of bench/vs-loop.ts and bench/timeline.ts, how each tool is run on
// them, and what is measured: sources generated once under bench-out/vs-loop/sources.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSample } from '../src/devkit/sample-videos.js';
import { resolveMediaTools } from '../src/tools/binaries.js';
import { PROJECT_ROOT } from '../src/tools/project.js';

export const BENCH_DIR = join(PROJECT_ROOT, 'bench-out', 'vs-loop');
export const SOURCES = join(BENCH_DIR, 'sources');
/** Videos per batch unless a bench is told otherwise (`--videos`). */
export const VIDEOS = 4;
export const CLIP_FRAMES = 60;
export const tools = resolveMediaTools();

export interface BatchSpec {
  name: 'short' | 'long';
  seconds: number;
  clipStarts: number[];
}
export const BATCHES: BatchSpec[] = [
  { name: 'short', seconds: 10, clipStarts: [0, 90, 210] },
  { name: 'long', seconds: 30, clipStarts: [0, 420, 840] },
];
/** CPU seconds of this process and of its children waited for (the loop's tools, vstream and its tools). */
export function cpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime, stime, cutime, cstime: fields 14-17 of proc(5), 12-15 after the command name.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return ticks / 100;
}

export interface Measured {
  wall: number;
  cpu: number;
}

export async function measure(fn: () => Promise<void>): Promise<Measured> {
  const cpu = cpuSeconds();
  const start = process.hrtime.bigint();
  await fn();
  return { wall: Number(process.hrtime.bigint() - start) / 1e9, cpu: cpuSeconds() - cpu };
}

export async function prepareBatch(spec: BatchSpec, urlOf: (file: string) => string, videos = VIDEOS) {
  const dir = join(BENCH_DIR, spec.name);
  const sources = SOURCES;
  const clipDir = join(dir, 'clips');
  await mkdir(clipDir, { recursive: true });
  const existing = new Set(await readdir(sources).catch(() => []));
  const urls: string[] = [];
  let largestBytes = 0;
  for (let i = 0; i < videos; i++) {
    const name = `${spec.name}${i}`;
    if (!existing.has(`${name}.mp4`)) {
      console.log(`bench: generating ${name} (1080p30 H.264, ${spec.seconds} s, testsrc2 with noise)`);
      await generateSample(tools.ffmpeg, sources, {
        name,
        width: 1920,
        height: 1080,
        fps: 30,
        seconds: spec.seconds,
        pattern: 'noise',
      });
    }
    largestBytes = Math.max(largestBytes, (await stat(join(sources, `${name}.mp4`))).size);
    const clips = spec.clipStarts.map((start) => `${start} ${start + CLIP_FRAMES}`).join('\n');
    await writeFile(join(clipDir, `${name}.txt`), `${clips}\n`);
    urls.push(urlOf(`${name}.mp4`));
  }
  const urlsFile = join(dir, 'urls.txt');
  await writeFile(urlsFile, `${urls.join('\n')}\n`);
  return { dir, clipDir, urls, urlsFile, largestBytes };
}

function exitOf(args: string[]): Promise<number | null> {
  return new Promise((resolve) =>
    spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: 'ignore' }).on('exit', resolve),
  );
}

export async function vstreamRun(
  urlsFile: string,
  clipDir: string,
  outDir: string,
  workers: number,
  preset: string,
  /** libx265's CRF, or null: ABR (`--crf off`); the plain loop must get the same. */
  crf: number | null,
  extra: string[] = [],
): Promise<void> {
  const x265 = ['--encoder', 'x265', '--x265-preset', preset, '--crf', crf === null ? 'off' : String(crf)];
  const args = ['bin/vstream.js', 'run', '-u', urlsFile, '-c', clipDir, '-o', outDir, '-w', String(workers)];
  const code = await exitOf([...args, '-d', '0', ...x265, ...extra]);
  if (code !== 0) throw new Error(`vstream run exited ${code} (see ${outDir}/_vstream/vstream.log)`);
}

/** Another encode on the same cores, as on a busy encode host: libx265 on an endless test pattern. */
export function startCompetingJob(preset: string): { stop: () => Promise<void> } {
  const source = ['-f', 'lavfi', '-i', 'testsrc2=s=1920x1080:r=30'];
  const child = spawn(
    tools.ffmpeg,
    ['-nostdin', '-loglevel', 'error', ...source, '-c:v', 'libx265', '-preset', preset, '-f', 'null', '-'],
    { stdio: 'ignore' },
  );
  return {
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
