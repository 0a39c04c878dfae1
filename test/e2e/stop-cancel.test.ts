// Stopping and cancelling through the CLI, all real: Ctrl-C twice stops at once
// (processes killed, temporary files removed); `vstream cancel` stops the batch for
// good (run exits 4, videos reported cancelled, finished clips kept); running the
// same command again continues it to the end.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Report } from '../../src/core/report.js';
import { type MediaServer } from '../../src/devkit/media-server.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { probeClip } from '../../src/tools/probe.js';
import {
  batchDirs,
  BUSY_SAMPLE,
  type BatchDirs,
  descendants,
  fileIdentity,
  isAlive,
  listFiles,
  runArgs,
  runCli,
  serveSamples,
  startCli,
  waitFor,
} from '../helpers/e2e.js';

const VIDEOS = ['s0', 's1', 's2', 's3'];
const CLIPS = ['0 45', '60 105', '120 165', '180 225'];
const HEARTBEAT_TIMEOUT_S = 3;
let server: MediaServer;
let dirs: BatchDirs;
let args: string[];

before(async () => {
  dirs = await batchDirs('stop');
  server = await serveSamples(dirs, VIDEOS, BUSY_SAMPLE, CLIPS, { bytesPerSecond: 200 * 1024 });
  args = runArgs(
    dirs,
    '-w',
    '2',
    '-d',
    '0',
    '--encoder',
    'x265',
    '--x265-preset',
    'ultrafast',
    '--heartbeat-timeout',
    String(HEARTBEAT_TIMEOUT_S),
  );
});

after(async () => {
  await server?.close();
});

const temporaryFiles = async () => (await listFiles(dirs.out)).filter((f) => f.includes('vstream-tmp'));
const finalClips = async () => (await listFiles(dirs.out)).filter((f) => f.endsWith('.hevc'));
const tools = (pid: number) => descendants(pid).filter((p) => ['yt-dlp', 'ffmpeg', 'ffprobe'].includes(p.command));

test('Ctrl-C twice stops at once: exit 130, processes killed, temporary files removed', async () => {
  const run = startCli(args);
  const pid = run.child.pid as number;
  const busy = await waitFor(
    'an encode writing its temporary file',
    async () => {
      const tree = descendants(pid);
      return tree.some((p) => p.command === 'ffmpeg') && (await temporaryFiles()).length > 0 ? tree : null;
    },
    120_000,
  );
  const stoppedAt = Date.now();
  run.child.kill('SIGINT');
  await new Promise((resolve) => setTimeout(resolve, 200));
  run.child.kill('SIGINT');
  const result = await run.done;
  assert.equal(result.code, 130, result.stderr);
  assert.ok(Date.now() - stoppedAt < 5_000, `stopped in ${Date.now() - stoppedAt} ms`);
  assert.match(result.stdout, /stopped at once \(\d+ processes killed, \d+ temporary files removed\)/);
  await waitFor('every process of the run to be gone', () => busy.every((p) => !isAlive(p.pid)), 5_000);
  assert.deepEqual(await temporaryFiles(), []);
});

test('vstream cancel stops the batch for good; the run exits 4; the same command continues it', async () => {
  const run = startCli(args);
  const pid = run.child.pid as number;
  await waitFor('the run to resume', () => run.output.stdout.includes('resuming batch'), 60_000);
  await waitFor(
    'a clip made in this run, and a download or encode under way',
    async () => (await finalClips()).length >= 2 && tools(pid).length > 0,
    120_000,
  );

  const status = await runCli(['status', '-o', dirs.out]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^batch vstream-[0-9a-f]+: running$/m);
  assert.match(status.stdout, /\d+\/4 done, \d+ in flight/);

  const kept = await finalClips();
  const identities = await Promise.all(kept.map((f) => fileIdentity(join(dirs.out, f))));
  const working = tools(pid);
  const cancelledAt = Date.now();
  const cancel = await runCli(['cancel', '-o', dirs.out]);
  assert.equal(cancel.code, 0, cancel.stderr);
  assert.match(cancel.stdout, /cancelled: 4 videos: .*cancelled/);
  await waitFor(
    'the cancelled downloads and encodes to be killed',
    () => working.every((p) => !isAlive(p.pid)),
    HEARTBEAT_TIMEOUT_S * 1000 + 5_000,
  );
  assert.ok(Date.now() - cancelledAt < 30_000);
  const result = await run.done;
  assert.equal(result.code, 4, result.stderr);
  assert.match(result.stdout, /was cancelled; running the same command again continues it/);

  const report = JSON.parse(await readFile(join(dirs.out, '_vstream', 'report.json'), 'utf8')) as Report;
  assert.ok(report.counts.cancelled >= 1, JSON.stringify(report.counts));
  assert.equal(report.counts.videos, 4);
  for (const video of report.videos.filter((v) => v.status === 'cancelled'))
    assert.match(video.reason ?? '', /cancelled/);
  assert.deepEqual(await temporaryFiles(), []);
  assert.deepEqual(
    await Promise.all(kept.map((f) => fileIdentity(join(dirs.out, f)))),
    identities,
    'finished clips stay',
  );
  const afterStatus = await runCli(['status', '-o', dirs.out]);
  assert.match(afterStatus.stdout, /: cancelled at /);

  // The same command continues the batch: only what was not finished is done.
  const again = await runCli(args);
  assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
  assert.match(again.stdout, /continuing batch/);
  assert.match(again.stdout, /done: 4 videos: 4 succeeded/);
  const all = await finalClips();
  assert.equal(all.length, VIDEOS.length * CLIPS.length);
  for (const file of all)
    assert.deepEqual(
      await probeClip(resolveTool('ffprobe'), join(dirs.out, file)),
      { frames: 45, width: 1280, height: 720 },
      file,
    );
  assert.deepEqual(
    await Promise.all(kept.map((f) => fileIdentity(join(dirs.out, f)))),
    identities,
    'finished clips are not written again',
  );
  assert.deepEqual(await listFiles(dirs.work), []);
});

test('Ctrl-C from a terminal (SIGINT to the whole process group) while clips encode: only vstream gets it, drains, exits 130; the same command completes every clip, rewriting none', async () => {
  const out = `${dirs.out}-group`;
  const groupArgs = args.map((a) => (a === dirs.out ? out : a === dirs.work ? `${dirs.work}-group` : a));
  groupArgs.push('--grace-time', '10');
  const run = startCli(groupArgs);
  const pid = run.child.pid as number;
  const temporary = async () => (await listFiles(out)).filter((f) => f.includes('vstream-tmp'));
  const busy = await waitFor(
    'an encode writing its temporary file',
    async () => (tools(pid).some((p) => p.command === 'ffmpeg') && (await temporary()).length > 0 ? tools(pid) : null),
    120_000,
  );
  // What a shell does on Ctrl-C: the signal goes to the foreground process group (startCli
  // puts the run in its own group, as a shell does with a job).
  const stoppedAt = Date.now();
  process.kill(-pid, 'SIGINT');
  const result = await run.done;
  const tookMs = Date.now() - stoppedAt;
  assert.equal(result.code, 130, result.stderr);
  assert.ok(tookMs < 25_000, `exited ${tookMs} ms after Ctrl-C (grace 10 s)`);
  assert.match(result.stdout, /stopping: no new videos/);
  assert.doesNotMatch(result.stderr, /Connection refused|gRPC|Interrupted by user|taskToken/);
  assert.ok(
    !(result.stdout + result.stderr).includes(`${String.fromCharCode(27)}[`),
    'no escape codes when the output is not a terminal',
  );
  await waitFor('every tool of the run to be gone', () => busy.every((p) => !isAlive(p.pid)), 10_000);

  const clipsAfterStop = (await listFiles(out)).filter((f) => f.endsWith('.hevc'));
  const identities = await Promise.all(clipsAfterStop.map((f) => fileIdentity(join(out, f))));
  const again = await runCli(groupArgs);
  assert.equal(again.code, 0, again.stderr);
  const clips = (await listFiles(out)).filter((f) => f.endsWith('.hevc'));
  assert.equal(clips.length, VIDEOS.length * CLIPS.length);
  for (const clip of clips) assert.equal((await probeClip(resolveTool('ffprobe'), join(out, clip)))?.frames, 45, clip);
  assert.deepEqual(await Promise.all(clipsAfterStop.map((f) => fileIdentity(join(out, f)))), identities);
});
