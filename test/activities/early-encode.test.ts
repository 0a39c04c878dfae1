// Encoding while the source downloads, with the real yt-dlp, ffprobe and ffmpeg against the
// local media server: the download starts the encode once the file's index is on disk, the
// encode activity takes it over and gets frame-exact clips; a file whose index comes last is
// downloaded first as before; a cancelled download stops its encode and frees the encoder.
import assert from 'node:assert/strict';
import { chmod, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { CancelledFailure } from '@temporalio/common';
import type { MockActivityEnvironment } from '@temporalio/testing';
import {
  createEncodeActivities,
  createHostActivities,
  type DownloadInput,
  type EncodeClipsOutput,
  type EncodeDeps,
  type Logger,
} from '../../src/activities/index.js';
import { createEarlyEncodeStarter, type VideoEarlyEncodes } from '../../src/activities/encode.js';
import { DEFAULT_ENCODE_SETTINGS } from '../../src/config.js';
import { clipFileName } from '../../src/core/clip-file.js';
import type { ClipSpec, SourceInfo } from '../../src/core/types.js';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import { expectedSourceFrame, generateSample, readFrameIndices } from '../../src/devkit/sample-videos.js';
import { resolveMediaTools } from '../../src/tools/binaries.js';
import { EarlyEncodes } from '../../src/tools/early-encodes.js';
import { EncodeQueues } from '../../src/tools/sessions.js';
import { mockActivityEnv, silentLogger } from '../helpers/activity-env.js';
import { descendants, isAlive, tempDir, waitFor } from '../helpers/e2e.js';

const realTools = resolveMediaTools();
// ffprobe as it is, each run logged: which files the download probed.
let tools = realTools;
let probeLog: string;
const QUEUE = 'vstream-cpu-early';
const settings = { ...DEFAULT_ENCODE_SETTINGS, width: 320, height: 180, crf: 30 };
// Clips at the start, the middle and a second before the end of an 8 s source at 30 fps.
const clips: ClipSpec[] = [
  { line: 1, startFrame: 0, endFrame: 30 },
  { line: 2, startFrame: 100, endFrame: 130 },
  { line: 3, startFrame: 180, endFrame: 210 },
];
let root: string;
let server: MediaServer;

before(async () => {
  root = await tempDir('early-encode');
  probeLog = join(root, 'ffprobe.log');
  const ffprobe = join(root, 'ffprobe');
  await writeFile(
    ffprobe,
    [
      `#!${process.execPath}`,
      `require('node:fs').appendFileSync(${JSON.stringify(probeLog)}, process.argv.at(-1) + '\\n');`,
      `const run = require('node:child_process').spawnSync(${JSON.stringify(realTools.ffprobe)}, process.argv.slice(2), { stdio: 'inherit' });`,
      'process.exit(run.status ?? 1);',
    ].join('\n'),
  );
  await chmod(ffprobe, 0o755);
  tools = { ...realTools, ffprobe };
  const sources = join(root, 'sources');
  const spec = { name: 'fast', width: 320, height: 180, fps: 30, seconds: 8, pattern: 'index' } as const;
  const path = await generateSample(tools.ffmpeg, sources, spec);
  // The same frames with the index at the end of the file (no faststart).
  const late = join(sources, 'late.mp4');
  await execa(tools.ffmpeg, ['-v', 'error', '-y', '-i', path, '-c', 'copy', late]);
  // And fragmented, as YouTube's DASH formats are: an index that lists no frames.
  const fragmented = ['-movflags', 'frag_keyframe+empty_moov+default_base_moof'];
  await execa(tools.ffmpeg, ['-v', 'error', '-y', '-i', path, '-c', 'copy', ...fragmented, join(sources, 'frag.mp4')]);
  // About 4 s for the whole file.
  server = await startMediaServer({ root: sources, bytesPerSecond: Math.ceil((await stat(path)).size / 4) });
});

after(async () => {
  await server?.close();
});

function host() {
  const events: Array<{ event: string; at: number }> = [];
  const logger: Logger = {
    ...silentLogger,
    info: (fields: { event?: string }) => fields.event && events.push({ event: fields.event, at: Date.now() }),
  };
  const queues = new EncodeQueues([{ name: QUEUE, capacity: 1 }]);
  const earlyEncodes: VideoEarlyEncodes = new EarlyEncodes();
  const deps: EncodeDeps = {
    tools,
    logger,
    hostQueue: 'vstream-host-early',
    encoder: { kind: 'x265', preset: 'ultrafast' },
    heartbeatIntervalMs: 100,
    earlyEncodes,
    encodeQueue: QUEUE,
    encodeQueues: queues,
  };
  const { download } = createHostActivities({
    ...deps,
    startEarlyEncode: createEarlyEncodeStarter(new Map([[QUEUE, deps]]), queues),
  });
  const { encodeClips } = createEncodeActivities(deps);
  const input = (name: string, file: string): DownloadInput => ({
    batchId: 'b',
    video: { index: 0, line: 1, url: server.url(file), videoId: name },
    workDir: join(root, 'work'),
    encode: { clips, outDir: join(root, 'out'), settings },
  });
  return {
    events,
    queues,
    earlyEncodes,
    input,
    download: (env: MockActivityEnvironment, job: DownloadInput) => env.run(download, job) as Promise<SourceInfo>,
    encode: (source: SourceInfo, job: DownloadInput) =>
      mockActivityEnv().run(encodeClips, {
        video: job.video,
        source,
        clips,
        outDir: join(root, 'out'),
        settings,
      }) as Promise<EncodeClipsOutput>,
  };
}

/** The files ffprobe was run on for one video. */
const probed = async (name: string) =>
  (await readFile(probeLog, 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line.includes(`/${name}/`) || line.includes('/proc/'));

const at = (events: Array<{ event: string; at: number }>, name: string) => events.find((e) => e.event === name)?.at;

/** Every clip has exactly the source frames it should show. */
async function assertFrameExact(name: string, output: EncodeClipsOutput): Promise<void> {
  assert.equal(output.produced.length, clips.length, JSON.stringify(output.unproducible));
  for (const clip of clips) {
    const file = join(root, 'out', name, clipFileName(name, clip));
    const frames = await readFrameIndices(tools.ffmpeg, file);
    const want = frames.map((_, k) => expectedSourceFrame(clip.startFrame + k, settings.fps, 30));
    assert.deepEqual(frames, want, file);
    assert.equal(frames.length, clip.endFrame - clip.startFrame);
  }
}

test('the encode starts while a faststart source downloads; the encode activity takes it over, frame-exact', async () => {
  const h = host();
  const job = h.input('early', 'fast.mp4');
  const source = await h.download(mockActivityEnv(), job);
  const [early, started, downloaded] = ['encode.early', 'encode.start', 'download.end'].map((e) => at(h.events, e));
  assert.ok(early !== undefined && started !== undefined && downloaded !== undefined, JSON.stringify(h.events));
  assert.ok(started < downloaded, 'a pass started before the download ended');
  assert.equal(source.encodeQueue, QUEUE);
  assert.equal(source.durationSeconds, 8);
  assert.equal(source.bytes, (await stat(join(root, 'sources', 'fast.mp4'))).size);
  // Probed once, growing: the finished file is the same file, its index unchanged.
  assert.deepEqual(
    (await probed('early')).map((p) => p.startsWith('/proc/')),
    [true],
  );
  const output = await h.encode(source, job);
  assert.equal(h.events.filter((e) => e.event === 'encode.start').length, 2, 'no pass ran twice');
  await assertFrameExact('early', output);
  assert.equal(h.queues.load(QUEUE), 0);
  assert.equal(h.earlyEncodes.size, 0);
});

test('a fragmented source is probed again when it is finished: its index did not give the whole duration', async () => {
  const h = host();
  const job = h.input('frag', 'frag.mp4');
  const source = await h.download(mockActivityEnv(), job);
  assert.notEqual(at(h.events, 'encode.early'), undefined);
  assert.equal(source.durationSeconds, 8);
  assert.equal((await probed('frag')).filter((p) => !p.startsWith('/proc/')).length, 1, 'the finished file');
  await assertFrameExact('frag', await h.encode(source, job));
});

test('a source whose index comes last downloads first, then encodes as before', async () => {
  const h = host();
  const job = h.input('late', 'late.mp4');
  const source = await h.download(mockActivityEnv(), job);
  assert.equal(at(h.events, 'encode.early'), undefined);
  assert.equal(h.queues.load(QUEUE), 1, 'reserved for its encode');
  const output = await h.encode(source, job);
  assert.ok((at(h.events, 'encode.start') ?? 0) > (at(h.events, 'download.end') ?? Infinity));
  await assertFrameExact('late', output);
});

test('a cancelled download stops the encode it started, leaves no clip or temporary file, frees the encoder', async () => {
  const h = host();
  const env = mockActivityEnv();
  const running = h.download(env, h.input('cancelled', 'fast.mp4'));
  await waitFor('the early encode to start', () => at(h.events, 'encode.start') !== undefined, 30_000);
  const children = descendants(process.pid);
  assert.ok(
    children.some((p) => /ffmpeg/.test(p.command)),
    JSON.stringify(children),
  );
  env.cancel();
  await assert.rejects(running, (err: unknown) => err instanceof CancelledFailure);
  await waitFor('yt-dlp and ffmpeg to exit', () => children.every((p) => !isAlive(p.pid)), 10_000);
  await waitFor('the encoder to be free', () => h.queues.load(QUEUE) === 0, 10_000);
  // A clip finished before the cancel may stay (written whole, then renamed); nothing else.
  for (const name of await readdir(join(root, 'out', 'cancelled'))) {
    const clip = clips.find((c) => name === clipFileName('cancelled', c));
    assert.ok(clip, `only finished clips are left, not ${name}`);
    const frames = await readFrameIndices(tools.ffmpeg, join(root, 'out', 'cancelled', name));
    assert.equal(frames.length, clip.endFrame - clip.startFrame, name);
  }
  assert.equal(h.earlyEncodes.size, 0);
});
