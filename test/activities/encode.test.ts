// encodeClips in a mock activity context (MockActivityEnvironment): a retry resumes from
// its heartbeat details, and a shared pass that fails falls back to one process per clip.
// A fake ffmpeg (test/fixtures/failing-ffmpeg.mjs) writes real HEVC; the real ffprobe checks it.
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { MockActivityEnvironment } from '@temporalio/testing';
import {
  createEncodeActivities,
  type EncodeClipsInput,
  type EncodeClipsOutput,
  type EncodeProgress,
} from '../../src/activities/index.js';
import { DEFAULT_ENCODE_SETTINGS } from '../../src/config.js';
import * as layout from '../../src/core/layout.js';
import type { ClipOutput, ClipSpec } from '../../src/core/types.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { EncodeQueues, encodeReservationKey } from '../../src/tools/sessions.js';
import { mockActivityEnv, silentLogger } from '../helpers/activity-env.js';
import { tempDir } from '../helpers/e2e.js';
import { FIXTURES } from '../helpers/paths.js';

const QUEUE = 'vstream-cpu-test';
const settings = { ...DEFAULT_ENCODE_SETTINGS, width: 320, height: 180 };
let root: string;

before(async () => {
  root = await tempDir('encode-activity');
  process.env.VSTREAM_REAL_FFMPEG = resolveTool('ffmpeg');
});

/** A fresh output folder, encode log and worker deps; the fake fails encodes with a bad frame count. */
async function setUp(name: string, badFrames: number[] = []) {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const log = join(dir, 'ffmpeg.jsonl');
  await writeFile(log, '');
  process.env.VSTREAM_FAKE_LOG = log;
  process.env.VSTREAM_FAKE_BAD_FRAMES = badFrames.join(',');
  const queues = new EncodeQueues([{ name: QUEUE, capacity: 1 }]);
  const { encodeClips } = createEncodeActivities({
    tools: { ffmpeg: join(FIXTURES, 'failing-ffmpeg.mjs'), ffprobe: resolveTool('ffprobe'), ytDlp: 'unused' },
    logger: silentLogger,
    hostQueue: 'vstream-host-test',
    encoder: { kind: 'x265', preset: 'ultrafast' },
    encodeQueue: QUEUE,
    encodeQueues: queues,
    heartbeatIntervalMs: 50,
  });
  const size = { width: 320, height: 180 };
  const input = (clips: ClipSpec[]): EncodeClipsInput => ({
    video: { index: 0, line: 1, url: 'http://127.0.0.1:1/v.mp4', videoId: 'vid' },
    // The fake never reads the source: only its length matters (clips past it are refused).
    source: { path: join(dir, 'work', 'b', 'vid', 'vid.mp4'), bytes: 1, ...size, fps: 30, durationSeconds: 10 },
    clips,
    outDir: join(dir, 'out'),
    settings,
  });
  const encodes = async () =>
    (await readFile(log, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { frames: number[] }).frames);
  // MockActivityEnvironment.run cannot infer the result type from the function.
  const encode = (env: MockActivityEnvironment, job: EncodeClipsInput) =>
    env.run(encodeClips, job) as Promise<EncodeClipsOutput>;
  return { dir, queues, encode, input, encodes };
}

const clip = (line: number, startFrame: number, frames: number): ClipSpec => ({
  line,
  startFrame,
  endFrame: startFrame + frames,
});
const finalPath = (outDir: string, c: ClipSpec) => layout.clipPath(outDir, 'vid', c);

test('a retry keeps the clips its earlier attempt reported and still on disk with the same size', async () => {
  const { queues, encode, input, encodes } = await setUp('resume');
  const [kept, changed, fresh] = [clip(1, 0, 10), clip(2, 30, 12), clip(3, 60, 14)];
  const job = input([kept, changed, fresh]);
  await mkdir(layout.videoOutDir(job.outDir, 'vid'), { recursive: true });
  // Not a valid clip file: only the heartbeat details can vouch for it, by its size.
  await writeFile(finalPath(job.outDir, kept), 'x'.repeat(100));
  await writeFile(finalPath(job.outDir, changed), 'y'.repeat(50));
  const reported = (c: ClipSpec, bytes: number): ClipOutput => ({
    file: layout.clipPath('', 'vid', c).split('/').at(-1) as string,
    startFrame: c.startFrame,
    endFrame: c.endFrame,
    frames: c.endFrame - c.startFrame,
    bytes,
  });
  const earlier: EncodeProgress = {
    phase: 'encode',
    clips: 3,
    produced: [reported(kept, 100), reported(changed, 999)],
    unproducible: 0,
    clip: 2,
    frame: 0,
  };
  const env = mockActivityEnv({ heartbeatDetails: earlier, attempt: 2 });
  const beats: EncodeProgress[] = [];
  env.on('heartbeat', (d: EncodeProgress) => beats.push(d));
  // The download reserved this queue for the video; the attempt turns it into a running encode.
  assert.equal(queues.pick(encodeReservationKey(job.source.path)), QUEUE);
  const output = await encode(env, job);

  assert.deepEqual(await encodes(), [[12, 14]], 'only the changed and the new clip are encoded (one pass)');
  assert.equal(await readFile(finalPath(job.outDir, kept), 'utf8'), 'x'.repeat(100), 'the kept clip is untouched');
  assert.deepEqual(
    output.produced.map((c) => c.startFrame).sort((a, b) => a - b),
    [0, 30, 60],
  );
  assert.deepEqual(
    output.produced.find((c) => c.startFrame === 0),
    reported(kept, 100),
  );
  for (const c of [changed, fresh]) {
    const made = output.produced.find((p) => p.startFrame === c.startFrame);
    assert.equal(made?.bytes, (await stat(finalPath(job.outDir, c))).size);
  }
  assert.deepEqual(output.unproducible, []);
  assert.ok(beats.length > 0 && beats.every((b) => b.phase === 'encode' && b.clips === 3));
  assert.equal(queues.load(QUEUE), 0, 'the reservation became the attempt, released at its end');
});

test('a shared pass that fails falls back to one process per clip: only the bad clip is unproducible', async () => {
  const { queues, encode, input, encodes } = await setUp('fallback', [7]);
  const [good1, bad, good2] = [clip(1, 0, 10), clip(2, 10, 7), clip(3, 17, 12)];
  const job = input([good1, bad, good2]);
  const output = await encode(mockActivityEnv(), job);

  assert.deepEqual(await encodes(), [[10, 7, 12], [10], [7], [12]]);
  assert.deepEqual(
    output.produced.map((c) => [c.startFrame, c.frames]),
    [
      [0, 10],
      [17, 12],
    ],
  );
  assert.equal(output.unproducible.length, 1);
  const [refused] = output.unproducible;
  assert.deepEqual([refused?.line, refused?.text], [2, '10 17']);
  assert.match(refused?.reason ?? '', /^ffmpeg failed: .*Invalid data/);
  const names = await readdir(layout.videoOutDir(job.outDir, 'vid'));
  assert.deepEqual(names.filter(layout.isTempFileName), [], 'no temporary file is left');
  assert.equal(names.length, 2);
  assert.equal(queues.load(QUEUE), 0);
});
