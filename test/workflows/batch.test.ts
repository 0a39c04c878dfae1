import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { SHARED_TASK_QUEUE, WORKFLOW_TYPES, hostPingTaskQueue } from '../../src/config.js';
import type { BatchInput } from '../../src/core/batch-input.js';
import type { BatchSummary } from '../../src/core/types.js';
import { progressQuery } from '../../src/workflows/definitions.js';
import { workflowSource } from '../../src/worker/workflow-source.js';
import { createStubs, STUB_HOST_QUEUE, type PriorResults, type StubBehaviour } from '../helpers/stub-activities.js';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { buildVideoResult } from '../../src/core/video-result.js';
import { createLocalEnv } from '../helpers/temporal.js';
import { ApplicationFailure } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../../src/core/search-attributes.js';
import { videoWorkflowId } from '../../src/core/batch-input.js';
import { workflowMetadataQuery } from '@temporalio/workflow';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await createLocalEnv();
});
after(async () => {
  await env?.teardown();
});

let batchCounter = 0;

/** Runs one batch against stub activities on the real local server. */
async function runBatch(
  behaviour: StubBehaviour,
  input: Partial<BatchInput> = {},
  options: {
    prior?: PriorResults;
    cancelWhen?: (stubs: ReturnType<typeof createStubs>) => boolean;
    /** Terminates this video's workflow (as from the Temporal UI) once its download started. */
    terminate?: string;
  } = {},
) {
  const stubs = createStubs(behaviour, options.prior);
  const shared = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: SHARED_TASK_QUEUE,
    ...workflowSource('source'),
    activities: stubs.shared,
  });
  const host = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: STUB_HOST_QUEUE,
    activities: stubs.host,
    ...(behaviour.hostSlots ? { maxConcurrentActivityTaskExecutions: behaviour.hostSlots } : {}),
  });
  const ping = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: hostPingTaskQueue(STUB_HOST_QUEUE),
    activities: stubs.ping,
  });
  const workflowId = `test-batch-${process.pid}-${++batchCounter}`;
  const started = Date.now();
  const { summary, progress, failure, details } = await shared.runUntil(
    host.runUntil(
      ping.runUntil(async () => {
        const handle = await env.client.workflow.start(WORKFLOW_TYPES.batch, {
          taskQueue: SHARED_TASK_QUEUE,
          workflowId,
          args: [
            {
              urlsFile: '/u',
              clipDir: '/c',
              outDir: '/o',
              workDir: '/w',
              workers: 2,
              startDelaySeconds: 0,
              ...input,
            } satisfies BatchInput,
          ],
        });
        if (options.cancelWhen) {
          const cancelWhen = options.cancelWhen;
          while (!cancelWhen(stubs)) await new Promise((resolve) => setTimeout(resolve, 20));
          await handle.cancel();
          const failure = await handle.result().then(
            () => null,
            (err: unknown) => err,
          );
          return { summary: null, progress: await handle.query(progressQuery), failure, details: null };
        }
        if (options.terminate) {
          const videoId = options.terminate;
          while (!stubs.record.downloadCalls.get(videoId)) await new Promise((resolve) => setTimeout(resolve, 20));
          await env.client.workflow.getHandle(videoWorkflowId(workflowId, videoId)).terminate('stuck, from the UI');
        }
        const summary = (await handle.result()) as BatchSummary;
        // What the UI shows as the batch's current details.
        const { currentDetails } = await handle.query(workflowMetadataQuery);
        return { summary, progress: await handle.query(progressQuery), failure: null, details: currentDetails ?? null };
      }),
    ),
  );
  return {
    ...stubs,
    summary: summary as BatchSummary,
    progress,
    failure,
    details,
    workflowId,
    elapsedMs: Date.now() - started,
  };
}

/** What an earlier run of the batch recorded for video `v<i>`. */
const video = (i: number) => ({ index: i, line: i + 1, url: `http://127.0.0.1:1/v${i}.mp4`, videoId: `v${i}` });
const settled = (i: number, status: 'succeeded' | 'failed' | 'cancelled' | 'skipped') => {
  const base = buildVideoResult({
    video: video(i),
    clipErrors: [],
    existing: [],
    produced: [],
    unproducible: [],
    failure: status === 'failed' ? { type: 'VideoUnavailable', message: 'gone' } : null,
  });
  return [
    {
      ...base,
      status,
      clips: status === 'succeeded' ? [{ file: 'x.hevc', startFrame: 0, endFrame: 10, frames: 10, bytes: 1 }] : [],
    },
  ];
};

describe('batch workflow (stub activities, real server)', () => {
  test('keeps at most --workers videos in flight and uses the whole window', async () => {
    const { record, summary } = await runBatch({ videos: 12, workMs: 150 }, { workers: 3 });
    assert.equal(summary.counts.succeeded, 12);
    assert.equal(record.maxInFlight, 3);
    assert.equal(record.results.size, 12);
    for (const [, results] of record.results) assert.equal(results.length, 1, 'each video recorded once');
  });

  test('a host busy past the host timeout answers its ping: the video waits there, it does not move', async () => {
    const { record, summary } = await runBatch(
      { videos: 2, workMs: 1500, hostSlots: 1 },
      { hostTimeoutSeconds: 1, startDelaySeconds: 0 },
    );
    assert.equal(summary.counts.succeeded, 2);
    assert.equal(record.verifyCalls.get('v0'), 1);
    assert.equal(record.verifyCalls.get('v1'), 1, 'v1 was not taken for lost');
  });

  test('a host that does not answer its ping is gone: the video starts over on another', async () => {
    const { record, summary } = await runBatch(
      { videos: 2, workMs: 20, verifyHosts: { v0: ['stub-host-gone', STUB_HOST_QUEUE] } },
      { hostTimeoutSeconds: 1 },
    );
    assert.equal(summary.counts.succeeded, 2);
    assert.equal(record.verifyCalls.get('v0'), 2);
  });

  test('a video whose workflow is terminated is counted failed and the batch completes', async () => {
    const { record, summary, progress } = await runBatch(
      { videos: 3, workMs: 20, hang: ['v0'] },
      { startDelaySeconds: 0 },
      { terminate: 'v0' },
    );
    assert.deepEqual([summary.counts.failed, summary.counts.succeeded], [1, 2]);
    const v0 = record.results.get('v0')?.at(-1);
    assert.equal(v0?.status, 'failed');
    assert.match(v0?.reason ?? '', /^the video's workflow ended without reporting: its workflow was terminated/);
    assert.equal(progress.inFlight.length, 0);
  });

  test('downloadAhead: that many more videos in flight, so the next ones download while others encode', async () => {
    const { record, summary, progress } = await runBatch({ videos: 10, workMs: 150 }, { workers: 2, downloadAhead: 1 });
    assert.equal(summary.counts.succeeded, 10);
    assert.equal(record.maxInFlight, 3, 'workers + downloadAhead');
    assert.equal(progress.inFlight.length, 0);
  });

  test('downloadAhead staggers the whole first window', async () => {
    const { record } = await runBatch(
      { videos: 3, workMs: 10 },
      { workers: 1, downloadAhead: 2, startDelaySeconds: 1 },
    );
    const [t0 = 0, t1 = 0, t2 = 0] = ['v0', 'v1', 'v2'].map((id) => record.downloadStarts.get(id)?.[0] ?? NaN);
    assert.ok(t1 - t0 >= 900, `second video starts ${t1 - t0} ms after the first`);
    assert.ok(t2 - t0 >= 1900, `third video starts ${t2 - t0} ms after the first`);
  });

  test('a downloadAhead that is not a whole number fails the batch at once, naming the field', async () => {
    await assert.rejects(
      runBatch({ videos: 1 }, { downloadAhead: 1.5 }),
      (err: unknown) =>
        err instanceof WorkflowFailedError &&
        /downloadAhead must be a whole number of videos, not 1.5/.test(String(err.cause?.message)),
    );
  });

  test('staggers the first --workers videos by i x --start-delay', async () => {
    const { record } = await runBatch({ videos: 3, workMs: 10 }, { workers: 3, startDelaySeconds: 1 });
    const starts = ['v0', 'v1', 'v2'].map((id) => record.downloadStarts.get(id)?.[0] ?? NaN);
    const [t0 = 0, t1 = 0, t2 = 0] = starts;
    assert.ok(t1 - t0 >= 900, `second video starts ${t1 - t0} ms after the first`);
    assert.ok(t2 - t0 >= 1900, `third video starts ${t2 - t0} ms after the first`);
    assert.ok(t2 - t0 < 4000, `no more than the stagger: ${t2 - t0} ms`);
  });

  test('no stagger when retrying failed videos', async () => {
    const { record } = await runBatch(
      { videos: 3, workMs: 10 },
      { workers: 3, startDelaySeconds: 2, retryFailed: true },
    );
    const starts = ['v0', 'v1', 'v2'].map((id) => record.downloadStarts.get(id)?.[0] ?? NaN);
    assert.ok(Math.max(...starts) - Math.min(...starts) < 1500);
  });

  test('deleteSource runs after an encode failure and after a download failure', async () => {
    const { record, summary } = await runBatch({
      videos: 3,
      encodeFails: { v0: { type: 'EncodeFailed', nonRetryable: true } },
      downloadFails: { v1: { type: 'VideoUnavailable', nonRetryable: true } },
    });
    assert.deepEqual([...record.deleted].sort(), ['v0', 'v1', 'v2']);
    assert.equal(summary.counts.failed, 2);
    assert.equal(record.results.get('v0')?.[0]?.errorType, 'EncodeFailed');
    assert.equal(record.results.get('v1')?.[0]?.errorType, 'VideoUnavailable');
    assert.equal(record.encodeCalls.get('v1'), undefined, 'no encode after a failed download');
  });

  test('non-retryable failures get one attempt; retryable ones are retried', async () => {
    const { record, summary } = await runBatch({
      videos: 2,
      downloadFails: {
        v0: { type: 'VideoUnavailable', nonRetryable: true },
        v1: { type: 'Network', nonRetryable: false, times: 1 },
      },
    });
    assert.equal(record.downloadCalls.get('v0'), 1);
    assert.equal(record.downloadCalls.get('v1'), 2);
    assert.equal(record.results.get('v1')?.[0]?.status, 'succeeded');
    assert.deepEqual([summary.counts.failed, summary.counts.succeeded], [1, 1]);
  });

  test('skipped videos are never downloaded', async () => {
    const { record, summary } = await runBatch({ videos: 3, skip: ['v1'] });
    assert.equal(record.downloadCalls.get('v1'), undefined);
    assert.equal(record.deleted.includes('v1'), false);
    assert.equal(summary.counts.skipped, 1);
  });

  test('reads the list in pages and continues as new without losing or repeating a video', async () => {
    const { record, summary, progress } = await runBatch(
      { videos: 23, workMs: 5 },
      { workers: 2, pageSize: 3, maxStartsPerRun: 5 },
    );
    assert.equal(summary.counts.succeeded, 23);
    assert.equal(record.results.size, 23);
    for (const [, results] of record.results) assert.equal(results.length, 1);
    assert.ok(progress.runs >= 5, `the batch ran as ${progress.runs} runs`);
    assert.ok(
      record.pagesRead.every(([, limit]) => limit === 3),
      'never more than a page at once',
    );
  });

  test('a few hundred videos across many continue-as-new runs: none lost, none repeated', async () => {
    const { record, summary, progress } = await runBatch(
      { videos: 300, workMs: 1 },
      { workers: 5, pageSize: 7, maxStartsPerRun: 40 },
    );
    assert.equal(summary.counts.succeeded, 300);
    assert.equal(record.results.size, 300);
    for (const [videoId, results] of record.results) assert.equal(results.length, 1, `${videoId} recorded once`);
    for (const [videoId, calls] of record.downloadCalls) assert.equal(calls, 1, `${videoId} downloaded once`);
    assert.ok(progress.runs >= 8, `${progress.runs} runs`);
  });

  test('cancelled: running videos are cancelled and clean up, unstarted ones are reported cancelled, the batch ends cancelled', async () => {
    const { record, failure, progress, workflowId } = await runBatch(
      { videos: 6, hang: ['v0', 'v1'] },
      { workers: 2, heartbeatTimeoutSeconds: 1, searchAttributes: true },
      {
        cancelWhen: (stubs) =>
          (stubs.record.downloadCalls.get('v0') ?? 0) > 0 && (stubs.record.downloadCalls.get('v1') ?? 0) > 0,
      },
    );
    assert.ok(failure instanceof WorkflowFailedError && failure.cause instanceof CancelledFailure, String(failure));
    assert.deepEqual(record.cancelledDownloads.sort(), ['v0', 'v1'], 'the running downloads saw the cancellation');
    assert.deepEqual(record.deleted.sort(), ['v0', 'v1'], 'their sources were deleted');
    assert.equal(record.results.get('v0')?.at(-1)?.status, 'cancelled');
    assert.equal(record.downloadCalls.get('v2'), undefined, 'no video started after the cancellation');
    assert.equal(progress.counts.cancelled, 2);
    assert.equal(progress.phase, 'cancelling');
    const status = async (id: string) =>
      (await env.client.workflow.getHandle(id).describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.status);
    assert.equal(await status(videoWorkflowId(workflowId, 'v0')), 'cancelled');
    assert.equal(await status(workflowId), 'cancelled');
  });

  test('videos an earlier run settled are counted, not run again; cancelled ones are continued', async () => {
    const prior: PriorResults = new Map([
      ['v0', settled(0, 'succeeded')],
      ['v1', settled(1, 'failed')],
      ['v2', settled(2, 'cancelled')],
    ]);
    const { record, summary } = await runBatch({ videos: 4 }, { workers: 2 }, { prior });
    assert.equal(record.downloadCalls.get('v0'), undefined, 'succeeded: not run again');
    assert.equal(record.downloadCalls.get('v1'), undefined, 'failed: kept without --retry-failed');
    assert.equal(record.downloadCalls.get('v2'), 1, 'cancelled: continued');
    assert.equal(record.downloadCalls.get('v3'), 1);
    assert.deepEqual([summary.counts.succeeded, summary.counts.failed, summary.counts.clips], [3, 1, 3]);

    const retried = await runBatch({ videos: 2 }, { workers: 2, retryFailed: true }, { prior });
    assert.equal(retried.record.downloadCalls.get('v0'), undefined);
    assert.equal(retried.record.downloadCalls.get('v1'), 1, 'failed: run again with --retry-failed');
  });

  test('a rate limit pauses every download of the batch; the video is retried after the pause, not failed', async () => {
    const { record, summary } = await runBatch(
      { videos: 6, workMs: 100, downloadFails: { v1: { type: 'RateLimited', nonRetryable: true, times: 1 } } },
      { workers: 3, backoffSeconds: 2, maxPauses: 3 },
    );
    assert.equal(summary.counts.succeeded, 6, JSON.stringify(summary.counts));
    const failedAt = record.failures[0]?.at ?? 0;
    const starts = [...record.downloadStarts.values()].flat();
    const duringPause = starts.filter((t) => t > failedAt + 300 && t < failedAt + 1_700);
    assert.deepEqual(duringPause, [], 'no download starts while downloads are paused');
    const retried = record.downloadStarts.get('v1')?.[1] ?? 0;
    assert.ok(retried - failedAt >= 1_800, `v1 tried again ${retried - failedAt} ms after the rate limit (pause 2 s)`);
    assert.equal(record.downloadCalls.get('v1'), 2);
  });

  test('after --max-pauses pauses without a successful download the remaining videos fail with that type', async () => {
    const always = { type: 'BotCheck', nonRetryable: true };
    const downloadFails = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`v${i}`, always]));
    const { summary } = await runBatch(
      { videos: 5, workMs: 20, downloadFails },
      { workers: 2, backoffSeconds: 1, maxPauses: 2 },
    );
    assert.equal(summary.counts.failed, 5);
    assert.deepEqual(summary.counts.byErrorType, { BotCheck: 5 });
  });

  test('--download-mode reaches each download with the clips still to make and the output fps', async () => {
    const { record } = await runBatch({ videos: 2, workMs: 10 }, { downloadMode: 'auto' });
    assert.deepEqual(
      record.downloadRequests.map((r) => [r.videoId, r.downloadMode, r.clips, r.fps]).sort(),
      ['v0', 'v1'].map((id) => [id, 'auto', [{ line: 1, startFrame: 0, endFrame: 10 }], 30]),
    );
    const full = await runBatch({ videos: 1, workMs: 10 });
    const [request] = full.record.downloadRequests;
    assert.deepEqual(
      { ...request, encode: undefined },
      { videoId: 'v0', downloadMode: undefined, clips: undefined, fps: undefined, encode: undefined },
      'default: the download input carries no sections',
    );
  });

  test("each download carries its video's encode, for a host to start it while downloading", async () => {
    const { record } = await runBatch({ videos: 2, workMs: 10 });
    assert.deepEqual(
      record.downloadRequests
        .map((r) => [r.videoId, r.encode?.clips, r.encode?.outDir, r.encode?.settings.width])
        .sort(),
      ['v0', 'v1'].map((id) => [id, [{ line: 1, startFrame: 0, endFrame: 10 }], '/o', 1280]),
    );
  });

  test('an unknown downloadMode (JSON from the Temporal CLI) fails the batch at once, naming it', async () => {
    await assert.rejects(
      runBatch({ videos: 1 }, { downloadMode: 'Sections' as BatchInput['downloadMode'] }),
      (err: unknown) =>
        err instanceof WorkflowFailedError &&
        /downloadMode must be one of full, sections, auto, not "Sections"/.test(String(err.cause?.message)),
    );
  });

  test('recheckClipFiles runs again exactly the videos whose clip file appeared or changed', async () => {
    const prior: PriorResults = new Map([
      ['v0', settled(0, 'succeeded')],
      ['v1', settled(1, 'skipped')],
      ['v2', settled(2, 'succeeded')],
      ['v3', settled(3, 'skipped')],
      ['v4', settled(4, 'failed')],
    ]);
    const behaviour = { videos: 5, workMs: 10, skip: ['v3'], stale: ['v1', 'v2'] };
    const { record, summary } = await runBatch(behaviour, { recheckClipFiles: true }, { prior });
    assert.ok(record.recheckClipDirs.length > 0 && record.recheckClipDirs.every((dir) => dir === '/c'));
    assert.deepEqual([...record.downloadCalls.keys()].sort(), ['v1', 'v2'], 'only the stale videos downloaded');
    assert.deepEqual([...record.verifyCalls.keys()].sort(), ['v1', 'v2'], 'only the stale videos verified');
    assert.equal(record.results.get('v1')?.at(-1)?.status, 'succeeded', 'the skipped video now succeeds');
    assert.deepEqual(
      [summary.counts.succeeded, summary.counts.skipped, summary.counts.failed, summary.counts.clips],
      [3, 1, 1, 3],
      'the counts follow: the re-run results replace the old',
    );

    const retried = await runBatch(behaviour, { recheckClipFiles: true, retryFailed: true }, { prior });
    assert.deepEqual(
      [...retried.record.downloadCalls.keys()].sort(),
      ['v1', 'v2', 'v4'],
      '--retry-failed: also failed',
    );

    const unasked = await runBatch(behaviour, {}, { prior });
    assert.deepEqual(unasked.record.recheckClipDirs, [undefined], 'no recheck unless the input asks');
    assert.equal(unasked.record.downloadCalls.size, 0, 'without a recheck every prior result is settled');
  });
});

describe('the batch in the Temporal UI (patch vstream-0.5-ui)', () => {
  const SA = SEARCH_ATTRIBUTES;
  const outcomes = {
    videos: 4,
    workMs: 10,
    skip: ['v1'],
    downloadFails: { v2: { type: 'VideoUnavailable', nonRetryable: true } },
    partial: ['v3'],
  };

  /** The activity summaries of a workflow's history, in order. */
  async function activitySummaries(workflowId: string): Promise<string[]> {
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => JSON.parse(Buffer.from(e.userMetadata?.summary?.data ?? []).toString('utf8') || 'null') as string);
  }

  test('search attributes, summaries, current details; a failed video is a Failed workflow, the batch completes', async () => {
    const { summary, workflowId, record, details } = await runBatch(outcomes, { searchAttributes: true });
    assert.deepEqual(
      [summary.counts.succeeded, summary.counts.skipped, summary.counts.failed, summary.counts.partial],
      [1, 1, 1, 1],
    );
    const video = (id: string) => env.client.workflow.getHandle(videoWorkflowId(workflowId, id));
    const described = Object.fromEntries(
      await Promise.all(['v0', 'v1', 'v2', 'v3'].map(async (id) => [id, await video(id).describe()] as const)),
    );
    const attribute = (id: string, key: (typeof SA)[keyof typeof SA]) => described[id]?.typedSearchAttributes.get(key);

    for (const id of ['v0', 'v1', 'v2', 'v3']) {
      assert.equal(attribute(id, SA.batchId), workflowId, id);
      assert.equal(attribute(id, SA.videoId), id);
    }
    assert.deepEqual(
      ['v0', 'v1', 'v2', 'v3'].map((id) => [described[id]?.status.name, attribute(id, SA.status)]),
      [
        ['COMPLETED', 'succeeded'],
        ['COMPLETED', 'skipped'],
        ['FAILED', 'failed'],
        ['COMPLETED', 'partial'],
      ],
    );
    assert.deepEqual(
      ['v0', 'v1', 'v2', 'v3'].map((id) => [
        attribute(id, SA.clips),
        attribute(id, SA.errorType),
        attribute(id, SA.host),
      ]),
      [
        [1, undefined, STUB_HOST_QUEUE],
        [0, undefined, undefined],
        [0, 'VideoUnavailable', STUB_HOST_QUEUE],
        [1, undefined, STUB_HOST_QUEUE],
      ],
    );

    // The failed video's failure: its errorType and its result, after it reported to the batch.
    const failure = await video('v2')
      .result()
      .then(
        () => null,
        (err: unknown) => err,
      );
    assert.ok(failure instanceof WorkflowFailedError && failure.cause instanceof ApplicationFailure, String(failure));
    const cause = failure.cause as ApplicationFailure;
    assert.equal(cause.type, 'VideoUnavailable');
    assert.equal(cause.nonRetryable, true);
    assert.deepEqual(cause.details?.[0], record.results.get('v2')?.at(-1));

    assert.equal(await described.v2?.staticSummary(), 'video v2 (line 3)');
    assert.match((await described.v2?.staticDetails()) ?? '', /http:\/\/127\.0\.0\.1:1\/v2\.mp4[\s\S]*\/c\/v2\.txt/);
    assert.deepEqual(await activitySummaries(videoWorkflowId(workflowId, 'v0')), [
      'download v0 (full)',
      `encode 1 clip on ${STUB_HOST_QUEUE}`,
      null, // finishVideo
    ]);

    const batch = env.client.workflow.getHandle(workflowId);
    const batchAttributes = (await batch.describe()).typedSearchAttributes;
    assert.deepEqual([batchAttributes.get(SA.batchId), batchAttributes.get(SA.status)], [workflowId, 'partial']);
    assert.match(details ?? '', /\*\*finished\*\*: 4 of 4 videos done/);
  });

  test('without searchAttributes in its input the batch upserts none and completes', async () => {
    const { summary, workflowId } = await runBatch(outcomes);
    assert.equal(summary.counts.failed, 1);
    for (const id of [workflowId, videoWorkflowId(workflowId, 'v0'), videoWorkflowId(workflowId, 'v2')]) {
      const described = await env.client.workflow.getHandle(id).describe();
      const ours = Object.values(SA).map((key) => described.typedSearchAttributes.get(key));
      assert.deepEqual(ours, [undefined, undefined, undefined, undefined, undefined, undefined], id);
    }
    const failed = await env.client.workflow.getHandle(videoWorkflowId(workflowId, 'v2')).describe();
    assert.equal(failed.status.name, 'FAILED', 'the failure does not depend on the search attributes');
  });
});
