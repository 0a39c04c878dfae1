// Crash and resume through the CLI, all real. The run is killed twice: its whole
// process group (kill -9), then only its main process (kill -9), which must take its
// server, yt-dlp and ffmpeg with it. Re-runs complete the batch without rewriting clips.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
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
  listProcesses,
  runArgs,
  runCli,
  serveSamples,
  startCli,
  waitFor,
} from '../helpers/e2e.js';

const ffprobe = resolveTool('ffprobe');
const VIDEOS = ['r0', 'r1', 'r2'];
const CLIPS = ['0 30', '60 90', '120 150', '180 210'];

let server: MediaServer;
let dirs: BatchDirs;
let args: string[];

before(async () => {
  dirs = await batchDirs('resume');
  server = await serveSamples(
    dirs,
    VIDEOS,
    BUSY_SAMPLE,
    CLIPS,
    // Paced so a download takes seconds: the kills land mid-work.
    { bytesPerSecond: 150 * 1024 },
  );
  args = runArgs(
    dirs,
    '-w',
    '1',
    '-d',
    '0',
    '--encoder',
    'x265',
    '--x265-preset',
    'ultrafast',
    '--heartbeat-timeout',
    '3',
    '--grace-time',
    '2',
  );
});

after(async () => {
  await server?.close();
});

const finalClips = async () => (await listFiles(dirs.out)).filter((f) => f.endsWith('.hevc'));

test('kill -9 mid-batch, twice, then re-runs resume without rewriting a clip', async () => {
  // 1. Kill the whole process group once the first clip has landed.
  const first = startCli(args);
  await waitFor('the first clip', async () => (await finalClips()).length > 0, 120_000);
  const group = first.child.pid as number;
  process.kill(-group, 'SIGKILL');
  await first.done;
  await waitFor('no process of the killed group', () => !listProcesses().some((p) => p.pgrp === group), 10_000);

  const landed = await finalClips();
  const identities = new Map(
    await Promise.all(landed.map(async (f) => [f, await fileIdentity(join(dirs.out, f))] as const)),
  );
  assert.ok(landed.length >= 1);

  // 2. Kill only the main process while it runs yt-dlp or ffmpeg: its children die with it.
  const second = startCli(args);
  const pid = second.child.pid as number;
  const working = await waitFor(
    'a running yt-dlp or ffmpeg under the run',
    () => {
      const tree = descendants(pid);
      return tree.some((p) => p.command === 'temporal') && tree.some((p) => ['yt-dlp', 'ffmpeg'].includes(p.command))
        ? tree
        : null;
    },
    120_000,
  );
  process.kill(pid, 'SIGKILL');
  await second.done;
  await waitFor(
    `the run's children to die with it (${working.map((p) => p.command).join(', ')})`,
    () => working.every((p) => !isAlive(p.pid)),
    10_000,
  );

  // 2b. The embedded server is killed: the run says so and exits 1; the next run resumes.
  const serverKilled = startCli(args);
  const temporalProcess = await waitFor(
    'the run to be at work',
    () => {
      const tree = descendants(serverKilled.child.pid as number);
      return serverKilled.output.stdout.includes('resuming batch')
        ? tree.find((p) => p.command === 'temporal')
        : undefined;
    },
    120_000,
  );
  process.kill(temporalProcess.pid, 'SIGKILL');
  const afterServerKill = await serverKilled.done;
  assert.equal(afterServerKill.code, 1);
  assert.match(
    afterServerKill.stderr,
    /embedded Temporal server stopped unexpectedly .*run the same command again to resume/,
  );

  // 3. Ctrl-C stops the run with 130 and takes its children along; a second run on
  //    the same output folder meanwhile is refused.
  const interrupted = startCli(args);
  const busy = await waitFor(
    'the run to be at work',
    () => {
      const tree = descendants(interrupted.child.pid as number);
      return tree.some((p) => p.command === 'temporal') && interrupted.output.stdout.includes('resuming batch')
        ? tree
        : null;
    },
    120_000,
  );
  const refused = await runCli(args);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /output folder .* is in use by another vstream run \(pid \d+/);
  interrupted.child.kill('SIGINT');
  const stopped = await interrupted.done;
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.match(stopped.stdout, /running the same command again resumes/);
  await waitFor("the interrupted run's children to exit", () => busy.every((p) => !isAlive(p.pid)), 10_000);

  // 4. The same command resumes and completes the batch.
  const third = await runCli(args);
  assert.equal(third.code, 0, `${third.stdout}\n${third.stderr}`);
  assert.match(third.stdout, /resuming batch/);
  const all = await finalClips();
  assert.equal(all.length, VIDEOS.length * CLIPS.length);
  for (const file of all) {
    assert.deepEqual(await probeClip(ffprobe, join(dirs.out, file)), { frames: 30, width: 1280, height: 720 }, file);
  }
  for (const [file, identity] of identities) {
    assert.deepEqual(await fileIdentity(join(dirs.out, file)), identity, `${file} was not written again`);
  }
  assert.deepEqual(
    (await listFiles(dirs.out)).filter((f) => f.includes('tmp')),
    [],
  );
  assert.deepEqual(await listFiles(dirs.work), []);

  // 5. Once finished, a re-run makes no request at all.
  const requests = server.requests.length;
  const fourth = await runCli(args);
  assert.equal(fourth.code, 0, `${fourth.stdout}\n${fourth.stderr}`);
  assert.match(fourth.stdout, /already finished/);
  assert.equal(server.requests.length, requests);
});
