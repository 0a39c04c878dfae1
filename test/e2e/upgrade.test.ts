// Upgrade mid-batch, all real (embedded Temporal, yt-dlp on 127.0.0.1, ffmpeg): the
// previous release (releases.json, built in a worktree) starts a batch; its whole process
// group is killed with SIGKILL once some videos are done and others in flight; the
// current code resumes it with the same command on the same output folder. The batch
// must complete with every clip valid, no clip rewritten, and no workflow task failed
// (a nondeterminism error would fail every task of the workflows the old code started).
//
// SIGKILL rather than Ctrl-C: it leaves the most in flight for the new code to replay
// (workflow tasks on the dead worker's sticky queue, running activities, half-written
// files), a crash or a reboot does the same, and it needs no grace period to bound.
import assert from 'node:assert/strict';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import { generateSample } from '../../src/devkit/sample-videos.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { probeClip } from '../../src/tools/probe.js';
import {
  descendants,
  exitWithin,
  fileIdentity,
  listFiles,
  listProcesses,
  runArgs,
  startCli,
  tempDir,
  waitFor,
} from '../helpers/e2e.js';
import { buildRelease, previousRelease, type BuiltRelease } from '../helpers/previous-release.js';
import { failedWorkflowTasks, readStoredHistories, workflowTaskIdentities } from '../helpers/stored-histories.js';

const ffmpeg = resolveTool('ffmpeg');
const ffprobe = resolveTool('ffprobe');
const VIDEOS = ['u0', 'u1', 'u2', 'u3'];
const CLIPS = ['0 30', '60 90', '120 150'];
// Both trees find the same tools (the release's worktree has no .tools of its own).
const TOOLS_ENV = {
  VSTREAM_TEMPORAL_BIN: resolveTool('temporal'),
  VSTREAM_YTDLP_BIN: resolveTool('yt-dlp'),
  VSTREAM_FFMPEG_BIN: ffmpeg,
  VSTREAM_FFPROBE_BIN: ffprobe,
};

let release: BuiltRelease;
let server: MediaServer;
let root: string;
let args: string[];
let out: string;

before(async () => {
  release = await buildRelease(await previousRelease(), (line) => console.log(line));
  root = await tempDir('upgrade');
  out = join(root, 'out');
  const clips = join(root, 'clips');
  await mkdir(clips, { recursive: true });
  let bytes = 0;
  for (const name of VIDEOS) {
    const path = await generateSample(ffmpeg, join(root, 'sources'), {
      name,
      width: 640,
      height: 360,
      fps: 30,
      seconds: 6,
      pattern: 'index',
    });
    bytes = Math.max(bytes, (await stat(path)).size);
    await writeFile(join(clips, `${name}.txt`), `${CLIPS.join('\n')}\n`);
  }
  // Paced so a download takes about 3 s: the kill finds videos in flight.
  server = await startMediaServer({
    root: join(root, 'sources'),
    bytesPerSecond: Math.max(4096, Math.round(bytes / 3)),
  });
  const urls = join(root, 'urls.txt');
  await writeFile(urls, `${VIDEOS.map((v) => server.url(`${v}.mp4`)).join('\n')}\n`);
  args = runArgs(
    { urls, clips, out, work: join(root, 'work') },
    ...['-w', '2', '-d', '0', '--width', '320', '--height', '180', '--encoder', 'x265', '--x265-preset', 'ultrafast'],
    ...['--heartbeat-timeout', '3', '--download-retry-interval', '1', '--grace-time', '2'],
  );
});

after(async () => {
  await server?.close();
});

const finalClips = async () => (await listFiles(out)).filter((f) => f.endsWith('.hevc'));
const doneVideos = async () =>
  (await listFiles(out)).filter((f) => !f.startsWith('_vstream/') && f.endsWith('/_vstream.json'));

test(
  'a batch the previous release started and was killed in resumes on the current code',
  { timeout: 240_000 },
  async () => {
    // 1. The previous release, killed (the whole process group) with a video done and others in flight.
    const old = startCli(args, TOOLS_ENV, release.cli);
    const group = old.child.pid as number;
    await waitFor(
      'a video done while another downloads or encodes',
      async () =>
        (await doneVideos()).length > 0 && descendants(group).some((p) => ['yt-dlp', 'ffmpeg'].includes(p.command)),
      120_000,
    );
    process.kill(-group, 'SIGKILL');
    await old.done;
    await waitFor('no process of the killed group', () => !listProcesses().some((p) => p.pgrp === group), 10_000);
    const done = await doneVideos();
    assert.ok(done.length < VIDEOS.length, `videos still to do after the kill (done: ${done.join(', ')})`);
    const landed = await finalClips();
    const identities = new Map(
      await Promise.all(landed.map(async (f) => [f, await fileIdentity(join(out, f))] as const)),
    );

    // 2. The current code, same command, same folder.
    const started = Date.now();
    const resumed = startCli(args, TOOLS_ENV);
    // A nondeterminism error fails the workflow task again and again: stop at the first.
    const run = await exitWithin(resumed, 150_000, /Nondeterminism error[^"\n]*/);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /resuming batch/);
    console.log(
      `upgrade: ${done.length} of ${VIDEOS.length} videos and ${landed.length} clips done by ${release.version}; resumed in ${Date.now() - started} ms`,
    );

    const all = await finalClips();
    assert.equal(all.length, VIDEOS.length * CLIPS.length, all.join(', '));
    for (const file of all)
      assert.deepEqual(await probeClip(ffprobe, join(out, file)), { frames: 30, width: 320, height: 180 }, file);
    for (const [file, identity] of identities)
      assert.deepEqual(await fileIdentity(join(out, file)), identity, `${file} was not written again`);

    // 3. No workflow task failed, and the batch the old code started was continued by the new one.
    const histories = await readStoredHistories(out, root);
    assert.deepEqual(failedWorkflowTasks(histories), []);
    const batch = histories.filter((h) => h.type === 'batchWorkflow');
    assert.ok(batch.length > 0, 'the batch history is stored');
    const workers = [...new Set(batch.flatMap((h) => [...workflowTaskIdentities(h)]))];
    // The previous release's workers have the SDK's default identity, pid@host; the current ones may not.
    const byOld = (w: string) => w.startsWith(`${group}@`);
    assert.ok(
      workers.some(byOld) && workers.some((w) => !byOld(w)),
      `workflow tasks of the batch completed by the old and the new worker (${workers.join(', ')})`,
    );
  },
);
