import { CancellationScope, isCancellation, log, patched, setHandler, sleep } from '@temporalio/workflow';
import type { RecordVideoInput, VerifyOutcome } from '../activities/index.js';
import type { VideoInput, VideoPolicy } from '../core/batch-input.js';
import type { ClipOutput, LineError, SourceInfo, VideoResult, VideoTimings } from '../core/types.js';
import { buildVideoResult, cancelledResult, skippedResult, videoTimings, type Failure } from '../core/video-result.js';
import { downloadSummary, encodeSummary, verifySummary } from '../core/workflow-story.js';
import { DownloadGate } from './backoff.js';
import { videoHostQuery } from './definitions.js';
import { videoWorkflowV01 } from './legacy/v01.js';
import { PATCHES } from './patches.js';
import { videoHostTimeoutSeconds, videoPolicy } from './policy.js';
import { encodeActivity, hostActivities, pingActivity, sharedActivities } from './proxies.js';
import { describeFailure, isHostLost, reportToBatch, signalBatch, verifyInput } from './video-steps.js';
import { VideoStory, withSummary } from './story.js';

type Work = Extract<VerifyOutcome, { kind: 'work' }>;
type Made =
  | { kind: 'made'; produced: ClipOutput[]; unproducible: LineError[]; encoder: string; timings?: VideoTimings }
  | { kind: 'failed'; failure: Failure; timings?: VideoTimings }
  | { kind: 'cancelled'; cancellation: unknown }
  | { kind: 'hostLost'; err: unknown };

/**
 * One video: verifyClip, then download and encodeClips on the verifying host, then
 * the host deletes the source (also after a failure or a cancellation) and records
 * the result; the batch hears of it by signal. A host that stops picking up the
 * video's activities is taken for gone and the video starts over on another
 * (samples-typescript worker-specific-task-queues). A cancelled video is recorded as
 * `cancelled`, keeping the clips already made, and the cancellation is rethrown.
 * Since 0.5 it tells its story to the UI (VideoStory) and a failed video fails its workflow.
 */
export async function videoWorkflow(input: VideoInput): Promise<VideoResult> {
  if (!patched(PATCHES.v02)) return videoWorkflowV01(input);
  if (!patched(PATCHES.ui)) return processVideo(input, null);
  const story = new VideoStory(input);
  let result: VideoResult;
  try {
    result = await processVideo(input, story);
  } catch (err) {
    story.interrupted(err);
    throw err;
  }
  return story.ended(result);
}

async function processVideo(input: VideoInput, story: VideoStory | null): Promise<VideoResult> {
  // Asked before any activity: a patch asked later may land in another task on replay.
  const encodeWhileDownloading = patched(PATCHES.encodeWhileDownloading);
  const policy = videoPolicy(input);
  let currentHost: string | null = null;
  setHandler(videoHostQuery, () => currentHost);
  const gate = new DownloadGate(
    { batchId: input.batchId, videoId: input.video.videoId },
    input.reportDownloads ?? false,
    `${policy.maxPauseAnswerMinutes}m`,
    (signal, payload) => signalBatch(input, signal, payload),
  );

  for (let hostAttempt = 1; ; hostAttempt++) {
    const mayMove = hostAttempt < policy.maxHostAttempts;
    const verified = await verifyHere(input, policy, story);
    if (verified.kind === 'finished') return verified.result;
    const work = verified.work;

    currentHost = work.hostQueue;
    story?.onHost(work.hostQueue);
    const made = await makeClips(input, policy, work, gate, {
      firstAttempt: hostAttempt === 1,
      summaries: story !== null,
      encodeWhileDownloading,
    });
    if (made.kind === 'hostLost' && mayMove) {
      log.warn('host not responding: the video starts over on another host', {
        videoId: input.video.videoId,
        host: work.hostQueue,
      });
      continue;
    }
    const cancellation = made.kind === 'cancelled' ? made.cancellation : null;
    const result = resultOf(input, work, made);
    const manifest =
      made.kind === 'made'
        ? { settings: input.settings, clipFileSha256: work.clipFileSha256, encoder: made.encoder }
        : null;
    const hostTimeoutSeconds = videoHostTimeoutSeconds(input);
    const host = hostActivities(work.hostQueue, input.heartbeatTimeoutSeconds, policy, hostTimeoutSeconds);
    const finish = { batchId: input.batchId, outDir: input.outDir, workDir: input.workDir, result, manifest };
    try {
      await CancellationScope.nonCancellable(() =>
        whileHostAnswers(work.hostQueue, hostTimeoutSeconds, () => host.finishVideo(finish)),
      );
    } catch (err) {
      // The host went away after the encode: its clips are on the shared disk, the next verify finds them.
      if (!isHostLost(err)) throw err;
      if (cancellation) await recordHere(input, policy, result, null);
      else if (mayMove) continue;
      else throw err;
    }
    await CancellationScope.nonCancellable(() => reportToBatch(input, result));
    if (cancellation) throw cancellation;
    return result;
  }
}

/**
 * verifyClip on the workflow's own worker. A video with nothing to make (no clip file,
 * all clips present, a trusted manifest) or whose verification failed is recorded and
 * reported here; otherwise the work goes to the host that verified it.
 */
async function verifyHere(
  input: VideoInput,
  policy: VideoPolicy,
  story: VideoStory | null,
): Promise<{ kind: 'finished'; result: VideoResult } | { kind: 'work'; work: Work }> {
  const { video } = input;
  let verified: VerifyOutcome;
  try {
    const summary = story ? verifySummary(video.videoId) : null;
    verified = await withSummary(sharedActivities(policy.quick).local.verifyClip, summary, verifyInput(input));
  } catch (err) {
    const cancelled = isCancellation(err);
    const result = cancelled
      ? cancelledResult(video, [])
      : buildVideoResult({ ...nothingMade(video), failure: describeFailure(err) });
    await recordHere(input, policy, result, null);
    await CancellationScope.nonCancellable(() => reportToBatch(input, result));
    if (cancelled) throw err;
    return { kind: 'finished', result };
  }
  if (verified.kind === 'work' && verified.pending.length > 0) return { kind: 'work', work: verified };
  const result =
    verified.kind === 'skipped'
      ? skippedResult(video, verified.reason, verified.clipErrors)
      : verified.kind === 'done'
        ? verified.result
        : buildVideoResult({ ...nothingMade(video), clipErrors: verified.clipErrors, existing: verified.existing });
  // All clips already on disk: the manifest is written now.
  const manifest =
    verified.kind === 'work'
      ? {
          settings: input.settings,
          clipFileSha256: verified.clipFileSha256,
          encoder: 'unchanged (all clips were already present)',
        }
      : null;
  await recordHere(input, policy, result, manifest);
  await reportToBatch(input, result);
  return { kind: 'finished', result };
}

/** Download (held by the batch's backoff) and encode on the verifying host; how it ended. */
async function makeClips(
  input: VideoInput,
  policy: VideoPolicy,
  work: Work,
  gate: DownloadGate,
  how: { firstAttempt: boolean; summaries: boolean; encodeWhileDownloading: boolean },
): Promise<Made> {
  const { firstAttempt, summaries } = how;
  const { video } = input;
  const hostTimeoutSeconds = videoHostTimeoutSeconds(input);
  const host = hostActivities(work.hostQueue, input.heartbeatTimeoutSeconds, policy, hostTimeoutSeconds);
  // Kept outside the try: a failed encode still reports how long its download took.
  let source: SourceInfo | null = null;
  try {
    if (firstAttempt && input.startDelaySeconds > 0) await sleep(`${input.startDelaySeconds}s`);
    const sections =
      input.downloadMode && input.downloadMode !== 'full'
        ? { downloadMode: input.downloadMode, clips: work.pending, fps: input.settings.fps }
        : {};
    const job = { clips: work.pending, outDir: input.outDir, settings: input.settings };
    const early = how.encodeWhileDownloading ? { encode: job } : {};
    const download = {
      batchId: input.batchId,
      video,
      workDir: input.workDir,
      format: input.format,
      ...sections,
      ...early,
    };
    const downloading = summaries ? downloadSummary(video.videoId, input.downloadMode, work.pending.length) : null;
    source = await gate.download(() =>
      whileHostAnswers(work.hostQueue, hostTimeoutSeconds, () => withSummary(host.download, downloading, download)),
    );
    // The download chose the GPU (or CPU) queue of its host for the encode.
    const queue = source.encodeQueue ?? work.hostQueue;
    const encode = encodeActivity(queue, input.heartbeatTimeoutSeconds, hostTimeoutSeconds, policy);
    const encoding = summaries ? encodeSummary(work.pending.length, queue) : null;
    const encodeInput = { video, source, ...job };
    const { encodeSeconds, ...encoded } = await whileHostAnswers(work.hostQueue, hostTimeoutSeconds, () =>
      withSummary(encode, encoding, encodeInput),
    );
    return { kind: 'made', ...encoded, timings: videoTimings(source, encodeSeconds) };
  } catch (err) {
    if (isCancellation(err)) return { kind: 'cancelled', cancellation: err };
    if (isHostLost(err)) return { kind: 'hostLost', err };
    return { kind: 'failed', failure: describeFailure(err), timings: videoTimings(source, undefined) };
  }
}

/**
 * A host activity. One that did not start within the host timeout runs again on the same
 * host while the host answers its ping (PATCHES.busyHost): its slots were full, it is not
 * gone. Only an unanswered ping lets the timeout through (the video moves).
 */
async function whileHostAnswers<T>(hostQueue: string, hostTimeoutSeconds: number, call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!isHostLost(err) || !patched(PATCHES.busyHost)) throw err;
      if (!(await hostAnswers(hostQueue, hostTimeoutSeconds))) throw err;
      log.info('host busy, not gone: the activity waits there again', { host: hostQueue });
    }
  }
}

async function hostAnswers(hostQueue: string, hostTimeoutSeconds: number): Promise<boolean> {
  try {
    await pingActivity(hostQueue, hostTimeoutSeconds)();
    return true;
  } catch (err) {
    if (isCancellation(err)) throw err;
    return false;
  }
}

function resultOf(input: VideoInput, work: Work, made: Made): VideoResult {
  const { video } = input;
  if (made.kind === 'cancelled') return cancelledResult(video, work.existing);
  const { clipErrors, existing } = work;
  const produced = made.kind === 'made' ? made.produced : [];
  const unproducible = made.kind === 'made' ? made.unproducible : [];
  const failure = made.kind === 'failed' ? made.failure : made.kind === 'hostLost' ? describeFailure(made.err) : null;
  const timings = made.kind === 'made' || made.kind === 'failed' ? made.timings : undefined;
  return buildVideoResult({ video, clipErrors, existing, produced, unproducible, failure, timings });
}

function nothingMade(video: VideoInput['video']) {
  return { video, clipErrors: [], existing: [], produced: [], unproducible: [], failure: null };
}

/** Records a result from the workflow's own worker (no host needed). */
function recordHere(
  input: VideoInput,
  policy: VideoPolicy,
  result: VideoResult,
  manifest: RecordVideoInput['manifest'],
): Promise<void> {
  const { local } = sharedActivities(policy.quick);
  const record = { batchId: input.batchId, outDir: input.outDir, result, manifest };
  return CancellationScope.nonCancellable(() => local.recordVideo(record));
}
