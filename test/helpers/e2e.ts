// Helpers for end-to-end tests: the real CLI, real Temporal, real yt-dlp and ffmpeg.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMediaServer, type MediaServer, type MediaServerOptions } from '../../src/devkit/media-server.js';
import { generateSample, type SampleSpec } from '../../src/devkit/sample-videos.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { CLI, ROOT } from './paths.js';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `vstream-${prefix}-`));
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface StartedCli {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  done: Promise<CliRun>;
}

/** Starts `node bin/vstream.js ...args` (or another tree's `cli`) in its own process group (so a test can kill the group). */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, cli = CLI): StartedCli {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const done = new Promise<CliRun>((resolve) => child.on('close', (code) => resolve({ code, ...output })));
  return { child, output, done };
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return startCli(args, env).done;
}

/**
 * The run's exit within `timeoutMs`; past it, or once its output matches `failOn`, its
 * process group is killed and the test fails with its output.
 */
export async function exitWithin(run: StartedCli, timeoutMs: number, failOn?: RegExp): Promise<CliRun> {
  const deadline = Date.now() + timeoutMs;
  let exited: CliRun | null = null;
  void run.done.then((result) => (exited = result));
  let why = `did not exit within ${timeoutMs} ms`;
  while (!exited) {
    const matched = failOn && `${run.output.stdout}\n${run.output.stderr}`.match(failOn);
    if (matched) why = `printed ${JSON.stringify(matched[0])}`;
    if (matched || Date.now() > deadline) {
      process.kill(-(run.child.pid as number), 'SIGKILL');
      await run.done;
      throw new Error(`the run ${why}\n${run.output.stdout.slice(-2000)}\n${run.output.stderr.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return exited;
}

/** Every file below a folder, relative paths. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1))
    .sort();
}

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface ProcInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  command: string;
}

export function listProcesses(): ProcInfo[] {
  const result: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = text.lastIndexOf(')');
      const fields = text.slice(close + 2).split(' ');
      if (fields[0] === 'Z') continue; // zombies are dead
      result.push({
        pid: Number(name),
        ppid: Number(fields[1]),
        pgrp: Number(fields[2]),
        command: text.slice(text.indexOf('(') + 1, close),
      });
    } catch {
      // exited while we looked
    }
  }
  return result;
}

export function descendants(pid: number): ProcInfo[] {
  const all = listProcesses();
  const found: ProcInfo[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const proc of all.filter((p) => p.ppid === parent)) {
      found.push(proc);
      queue.push(proc.pid);
    }
  }
  return found;
}

export function isAlive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(state);
  } catch {
    return false;
  }
}

export async function fileIdentity(path: string): Promise<{ ino: number; size: number; mtimeMs: number }> {
  const info = await stat(path);
  return { ino: info.ino, size: info.size, mtimeMs: info.mtimeMs };
}

/** The folders of one end-to-end batch, under a new temporary folder; the clip folder is made. */
export interface BatchDirs {
  root: string;
  out: string;
  work: string;
  clips: string;
  urls: string;
}

export async function batchDirs(prefix: string): Promise<BatchDirs> {
  const root = await tempDir(prefix);
  const dirs = {
    root,
    out: join(root, 'out'),
    work: join(root, 'work'),
    clips: join(root, 'clips'),
    urls: join(root, 'urls.txt'),
  };
  await mkdir(dirs.clips, { recursive: true });
  return dirs;
}

/** 8 s of 1080p with numbered frames: long enough to encode for seconds, so kills and stops land mid-work. */
export const BUSY_SAMPLE: Omit<SampleSpec, 'name'> = {
  width: 1920,
  height: 1080,
  fps: 30,
  seconds: 8,
  pattern: 'index',
};

/**
 * Generated samples (one per name, all alike), served from 127.0.0.1, and the URL list
 * naming them; each gets `clipLines` as its clip file (none when null).
 */
export async function serveSamples(
  dirs: BatchDirs,
  names: string[],
  sample: Omit<SampleSpec, 'name'>,
  clipLines: string[] | null,
  server: Omit<MediaServerOptions, 'root'> = {},
): Promise<MediaServer> {
  const sources = join(dirs.root, 'sources');
  for (const name of names) {
    await generateSample(resolveTool('ffmpeg'), sources, { ...sample, name });
    if (clipLines) await writeFile(join(dirs.clips, `${name}.txt`), `${clipLines.join('\n')}\n`);
  }
  const media = await startMediaServer({ ...server, root: sources });
  await writeFile(dirs.urls, `${names.map((name) => media.url(`${name}.mp4`)).join('\n')}\n`);
  return media;
}

/** `vstream run` over a batch's folders (its own work folder when given), then `extra`. */
export function runArgs(dirs: Pick<BatchDirs, 'urls' | 'clips' | 'out'> & { work?: string }, ...extra: string[]) {
  const work = dirs.work ? ['--work-dir', dirs.work] : [];
  return ['run', '-u', dirs.urls, '-c', dirs.clips, '-o', dirs.out, ...work, ...extra];
}

/**
 * A small finished batch, run once with `vstream run -w 1` (libx265 ultrafast): tiny samples
 * `ok`, one clip each, then `gone`, whose URL the media server answers 404 (a failed video).
 */
export async function runBatchWithMissingVideo(
  prefix: string,
  ok: string[],
  gone: string,
): Promise<{ dirs: BatchDirs; media: MediaServer; run: CliRun }> {
  const dirs = await batchDirs(prefix);
  const media = await serveSamples(dirs, ok, { width: 320, height: 240, fps: 30, seconds: 2, pattern: 'noise' }, [
    '0 10',
  ]);
  await writeFile(join(dirs.clips, `${gone}.txt`), '0 10\n');
  await appendFile(dirs.urls, `${media.url(`${gone}.mp4`)}\n`);
  const run = await runCli(runArgs(dirs, '-w', '1', '-d', '0', '--x265-preset', 'ultrafast'));
  return { dirs, media, run };
}
