// download in a mock activity context (MockActivityEnvironment), with the real yt-dlp and
// ffprobe against the local media server: the probed source and its encode queue, a 404,
// and a cancellation that kills yt-dlp.
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { MockActivityEnvironment } from '@temporalio/testing';
import { createHostActivities, type DownloadInput } from '../../src/activities/index.js';
import type { SourceInfo } from '../../src/core/types.js';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import { generateSample } from '../../src/devkit/sample-videos.js';
import { resolveMediaTools } from '../../src/tools/binaries.js';
import { EncodeQueues } from '../../src/tools/sessions.js';
import { startYtDlpRunner, type YtDlpRunner } from '../../src/tools/ytdlp-runner.js';
import { mockActivityEnv, silentLogger } from '../helpers/activity-env.js';
import { descendants, isAlive, tempDir, waitFor } from '../helpers/e2e.js';
import { FIXTURES } from '../helpers/paths.js';

const tools = resolveMediaTools();
let root: string;
let fast: MediaServer;
let slow: MediaServer;

before(async () => {
  root = await tempDir('download-activity');
  const sources = join(root, 'sources');
  const spec = { name: 'v', width: 320, height: 180, fps: 30, seconds: 2, pattern: 'noise' } as const;
  const path = await generateSample(tools.ffmpeg, sources, spec);
  fast = await startMediaServer({ root: sources });
  // About 20 s for the whole file: time to cancel it midway.
  slow = await startMediaServer({ root: sources, bytesPerSecond: Math.ceil((await stat(path)).size / 20) });
});

after(async () => {
  await fast?.close();
  await slow?.close();
});

interface LoggedEvent {
  event: string;
  at: number;
  fields: Record<string, unknown>;
}

function host(overrides: { ytDlp?: string; runner?: YtDlpRunner; warnings?: string[]; events?: LoggedEvent[] } = {}) {
  const queues = new EncodeQueues([
    { name: 'gpu-0', capacity: 1 },
    { name: 'gpu-1', capacity: 2 },
  ]);
  const { download } = createHostActivities({
    tools: { ...tools, ...(overrides.ytDlp ? { ytDlp: overrides.ytDlp } : {}) },
    logger: {
      ...silentLogger,
      info: (logged) => {
        const fields = logged as Record<string, unknown>;
        if (typeof fields.event === 'string') overrides.events?.push({ event: fields.event, at: Date.now(), fields });
      },
      warn: (_fields, message) => overrides.warnings?.push(message ?? ''),
    },
    hostQueue: 'vstream-host-test',
    encoder: { kind: 'x265', preset: 'ultrafast' },
    encodeQueues: queues,
    heartbeatIntervalMs: 100,
    ytDlp: overrides.runner,
  });
  const run = (env: MockActivityEnvironment, input: DownloadInput) => env.run(download, input) as Promise<SourceInfo>;
  return { queues, run };
}

const input = (url: string, name: string): DownloadInput => ({
  batchId: `b-${name}`,
  video: { index: 0, line: 1, url, videoId: name },
  workDir: join(root, 'work'),
});

// Each as yt-dlp runs in vstream: forked from the warm process, and as a process of its own.
let warm: YtDlpRunner | undefined;
const runners = {
  process: () => undefined,
  warm: () => (warm ??= startYtDlpRunner(tools.ytDlp)),
} as const;
after(async () => {
  await warm?.close();
});

for (const mode of ['warm', 'process'] as const) {
  test(`a download returns the probed source and reserves the least loaded encode queue (${mode})`, async () => {
    const { queues, run } = host({ runner: runners[mode]() });
    const source = await run(mockActivityEnv(), input(fast.url('v.mp4'), `ok-${mode}`));
    assert.equal(dirname(source.path), join(root, 'work', `b-ok-${mode}`, `ok-${mode}`));
    assert.match(basename(source.path), /\.mp4$/);
    assert.deepEqual([source.width, source.height, source.fps], [320, 180, 30]);
    assert.ok(Math.abs((source.durationSeconds ?? 0) - 2) < 0.1, String(source.durationSeconds));
    assert.equal(source.bytes, (await stat(source.path)).size);
    assert.equal(source.encodeQueue, 'gpu-0');
    assert.equal(queues.load('gpu-0'), 1, 'reserved until its encode starts');
  });

  test(`a 404 is a non-retryable VideoUnavailable (${mode})`, async () => {
    const { run } = host({ runner: runners[mode]() });
    await assert.rejects(run(mockActivityEnv(), input(fast.url('missing.mp4'), `gone-${mode}`)), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.equal(err.type, 'VideoUnavailable');
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /404/);
      return true;
    });
  });

  test(`cancelling kills yt-dlp and rejects with CancelledFailure (${mode})`, async () => {
    const { queues, run } = host({ runner: runners[mode]() });
    const env = mockActivityEnv();
    let downloading = false;
    env.on('heartbeat', (details: Record<string, unknown>) => {
      if (typeof details.downloadedBytes === 'number' && details.downloadedBytes > 0) downloading = true;
    });
    const running = run(env, input(slow.url('v.mp4'), `cancelled-${mode}`));
    await waitFor('yt-dlp to be downloading', () => downloading, 30_000);
    // The warm process stays for the next download; the run forked from it goes.
    const tools = descendants(process.pid).filter((p) => p.command !== 'yt-dlp-warm');
    assert.ok(
      tools.some((p) => p.command === 'yt-dlp'),
      JSON.stringify(tools),
    );
    env.cancel();
    await assert.rejects(running, (err: unknown) => err instanceof CancelledFailure);
    await waitFor('yt-dlp and its children to exit', () => tools.every((p) => !isAlive(p.pid)), 10_000);
    assert.deepEqual(
      queues.names.map((n) => queues.load(n)),
      [0, 0],
      'nothing reserved for a cancelled download',
    );
  });
}

test('sections that start after their clips (a server ignoring Range) are replaced by the whole video', async () => {
  // The stand-in runs the real yt-dlp, then makes each section start 0.3 s late.
  process.env.VSTREAM_REAL_YTDLP = tools.ytDlp;
  process.env.VSTREAM_REAL_FFMPEG = tools.ffmpeg;
  const warnings: string[] = [];
  const { run } = host({ ytDlp: join(FIXTURES, 'late-sections-yt-dlp.mjs'), warnings });
  const clips = [{ line: 1, startFrame: 30, endFrame: 45 }];
  const sections = { downloadMode: 'sections' as const, clips, fps: 30 };
  const source = await run(mockActivityEnv(), { ...input(fast.url('v.mp4'), 'late'), ...sections });
  assert.match(warnings.join('\n'), /a downloaded section starts after its clip .*downloading the whole video instead/);
  assert.equal(source.sections, undefined, 'the whole video, not sections');
  assert.ok(Math.abs((source.durationSeconds ?? 0) - 2) < 0.1, String(source.durationSeconds));
  assert.deepEqual(
    (await readdir(dirname(source.path))).filter((n) => n.startsWith('source.')),
    [basename(source.path)],
    'the late section files are gone',
  );
});

/**
 * A stand-in for the activity's client: the video workflow's answer to downloadsPausedUntil
 * (the batch's pause), and how often it was asked.
 */
function pausingClient(pausedUntil: () => number) {
  const asked = { count: 0 };
  const handle = {
    query: async () => {
      asked.count++;
      return pausedUntil();
    },
  };
  // withAbortSignal: the SDK ties the activity's client calls to its cancellation.
  const client = {
    workflow: { getHandle: () => handle },
    withAbortSignal: <R>(_signal: AbortSignal, fn: () => R) => fn(),
  } as unknown as Client;
  return { client, asked };
}

const retryInfo = (attempt: number) => ({ attempt, workflowExecution: { workflowId: 'video-w', runId: 'run-w' } });

test("a retried download waits out the batch's pause before yt-dlp starts; a first attempt does not ask", async () => {
  const events: LoggedEvent[] = [];
  const { run } = host({ events });
  const pauseEnds = Date.now() + 1_500;
  const { client, asked } = pausingClient(() => pauseEnds);
  const env = mockActivityEnv(retryInfo(2), client);
  const heartbeats: Array<Record<string, unknown>> = [];
  env.on('heartbeat', (details: Record<string, unknown>) => heartbeats.push(details));
  await run(env, input(fast.url('v.mp4'), 'held'));
  const start = events.find((e) => e.event === 'download.start');
  assert.ok(start && start.at >= pauseEnds, `download.start at ${start?.at}, the pause ends at ${pauseEnds}`);
  const held = events.find((e) => e.event === 'pause.held');
  assert.equal(held?.fields.attempt, 2);
  assert.ok(held && held.at <= start.at, 'pause.held before download.start');
  assert.ok(
    heartbeats.some((h) => h.pausedUntil === pauseEnds),
    `heartbeats while held: ${JSON.stringify(heartbeats)}`,
  );
  assert.equal(asked.count, 2, 'asked when it started and again when the pause was over');

  const first = pausingClient(() => Date.now() + 60_000);
  await run(mockActivityEnv(retryInfo(1), first.client), input(fast.url('v.mp4'), 'first'));
  assert.equal(first.asked.count, 0, 'a first attempt was scheduled by the workflow, which held it already');
});

test('a retry cancelled while it waits out the pause rejects with CancelledFailure and starts no yt-dlp', async () => {
  const events: LoggedEvent[] = [];
  const { run } = host({ events });
  const { client } = pausingClient(() => Date.now() + 60_000);
  const env = mockActivityEnv(retryInfo(3), client);
  const running = run(env, input(fast.url('v.mp4'), 'held-cancelled'));
  await new Promise((resolve) => setTimeout(resolve, 300));
  env.cancel();
  await assert.rejects(running, (err: unknown) => err instanceof CancelledFailure);
  assert.deepEqual(
    events.map((e) => e.event),
    [],
    'no download started',
  );
});
