import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  type SignalDefinition,
  sleep,
  TimeoutFailure,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { EncodeActivities, HostActivities, SharedActivities } from '../activities/index.js';
import type { RecordVideoInput, VerifyOutcome } from '../activities/index.js';
import { ACTIVITY_DEFAULTS, BATCH_DEFAULTS } from '../config.js';
import type { DownloadRetry, DownloadsAbandoned, VideoInput } from '../core/batch-input.js';
import { ErrorType, SHARED_BACKOFF_TYPES } from '../core/errors.js';
import type { ClipOutput, ClipSpec, LineError, SourceInfo, VideoResult } from '../core/types.js';
import { buildVideoResult, cancelledResult, skippedResult, type Failure } from '../core/video-result.js';
import { activityOptions } from './activity-options.js';
import {
  downloadBlockedSignal,
  downloadsAbandonedSignal,
  downloadsPausedSignal,
  downloadSucceededSignal,
  videoFinishedSignal,
  videoHostQuery,
} from './definitions.js';
import { PATCHES } from './patches.js';

const remote = proxyActivities<SharedActivities>(activityOptions(ACTIVITY_DEFAULTS.quick));
const local = proxyLocalActivities<SharedActivities>(activityOptions(ACTIVITY_DEFAULTS.quick));

/**
 * Activities routed to the host that verified the video: its disk holds the source.
 * Since 0.2 they must start within the host timeout, or the host is taken for gone.
 */
function hostActivities(taskQueue: string, heartbeatTimeoutSeconds: number, hostTimeoutSeconds?: number, downloadRetry?: DownloadRetry) {
  const heartbeatTimeout = `${heartbeatTimeoutSeconds}s` as const;
  const scheduleToStart = hostTimeoutSeconds ? { scheduleToStartTimeout: `${hostTimeoutSeconds}s` as const } : {};
  // On cancellation, wait until the activity has killed its process and removed its files.
  const long = { taskQueue, heartbeatTimeout, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED, ...scheduleToStart };
  const { download } = proxyActivities<HostActivities>(activityOptions({ ...ACTIVITY_DEFAULTS.download, ...downloadRetry }, long));
  const { encodeClips } = proxyActivities<HostActivities>(activityOptions(ACTIVITY_DEFAULTS.encode, long));
  const { deleteSource, finishVideo } = proxyActivities<HostActivities>(activityOptions(ACTIVITY_DEFAULTS.quick, { taskQueue, ...scheduleToStart }));
  return { download, encodeClips, deleteSource, finishVideo };
}

/** The encode activity on one GPU (or the CPU) queue of the downloading host. */
function encodeActivity(taskQueue: string, heartbeatTimeoutSeconds: number, hostTimeoutSeconds: number) {
  return proxyActivities<EncodeActivities>(
    activityOptions(ACTIVITY_DEFAULTS.encode, {
      taskQueue,
      heartbeatTimeout: `${heartbeatTimeoutSeconds}s`,
      scheduleToStartTimeout: `${hostTimeoutSeconds}s`,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }),
  ).encodeClips;
}

/** The failure that ended an activity for good, as the report shows it. */
export function describeFailure(err: unknown): Failure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? ErrorType.Unknown, message: cause.message };
  if (cause instanceof TimeoutFailure) return { type: 'Timeout', message: `activity timed out (${cause.timeoutType})` };
  return { type: ErrorType.Unknown, message: cause instanceof Error ? cause.message : String(cause) };
}

const verifyInput = (input: VideoInput) => ({
  batchId: input.batchId,
  video: input.video,
  clipDir: input.clipDir,
  outDir: input.outDir,
  settings: input.settings,
  retryFailed: input.retryFailed,
});

/** Signals the batch; a batch that is gone does not stop the video. */
async function signalBatch<T>(input: VideoInput, signal: SignalDefinition<[T]>, payload: T): Promise<void> {
  try {
    await getExternalWorkflowHandle(input.parentWorkflowId).signal(signal, payload);
  } catch (err) {
    log.warn('could not signal the batch workflow', { parent: input.parentWorkflowId, signal: signal.name, error: String(err) });
  }
}

async function reportToBatch(input: VideoInput, result: VideoResult): Promise<void> {
  await signalBatch(input, videoFinishedSignal, {
    videoId: result.videoId,
    status: result.status,
    clips: result.clips.length,
    reason: result.reason,
    errorType: result.errorType,
  });
}

/**
 * One video: verifyClip, then download and encodeClips on the verifying host, then
 * the host deletes the source (also after a failure or a cancellation) and records
 * the result; the batch hears of it by signal. A cancelled video is recorded as
 * `cancelled`, keeping the clips already made, and the cancellation is rethrown.
 */
export async function videoWorkflow(input: VideoInput): Promise<VideoResult> {
  if (!patched(PATCHES.v02)) return videoWorkflowV01(input);
  const { video } = input;
  let currentHost: string | null = null;
  setHandler(videoHostQuery, () => currentHost);
  const hostTimeoutSeconds = input.hostTimeoutSeconds ?? ACTIVITY_DEFAULTS.hostTimeoutSeconds;

  // The batch's shared backoff: no download starts while it pauses them.
  let pausedUntil = 0;
  let abandoned: DownloadsAbandoned | null = null;
  let reportDownloads = input.reportDownloads ?? false;
  setHandler(downloadsPausedSignal, (paused) => {
    pausedUntil = Math.max(pausedUntil, paused.until);
    reportDownloads = true;
  });
  setHandler(downloadsAbandonedSignal, (given) => {
    abandoned = given;
  });
  const downloadWithBackoff = async (host: ReturnType<typeof hostActivities>, clips: ClipSpec[]): Promise<SourceInfo> => {
    for (;;) {
      while (abandoned === null && Date.now() < pausedUntil) await condition(() => abandoned !== null, pausedUntil - Date.now());
      const given: DownloadsAbandoned | null = abandoned;
      if (given) throw ApplicationFailure.nonRetryable(given.message, given.errorType);
      try {
        const source = await host.download({
          batchId: input.batchId,
          video,
          workDir: input.workDir,
          format: input.format,
          ...(input.downloadMode && input.downloadMode !== 'full' ? { downloadMode: input.downloadMode, clips, fps: input.settings.fps } : {}),
        });
        if (reportDownloads) await signalBatch(input, downloadSucceededSignal, { videoId: video.videoId });
        return source;
      } catch (err) {
        const cause = err instanceof ActivityFailure ? err.cause : null;
        if (!(cause instanceof ApplicationFailure) || !SHARED_BACKOFF_TYPES.includes(cause.type ?? '')) throw err;
        // Not this video's fault: the batch pauses every download, then this one is tried again.
        const blockedAt = Date.now();
        await signalBatch(input, downloadBlockedSignal, { videoId: video.videoId, errorType: cause.type ?? ErrorType.Unknown, message: cause.message });
        await condition(() => abandoned !== null || pausedUntil > blockedAt, `${BATCH_DEFAULTS.maxPauseAnswerMinutes}m`);
      }
    }
  };

  for (let hostAttempt = 1; ; hostAttempt++) {
    let verified: VerifyOutcome;
    try {
      verified = await local.verifyClip(verifyInput(input));
    } catch (err) {
      const cancelled = isCancellation(err);
      const result = cancelled ? cancelledResult(video, []) : buildVideoResult({ video, clipErrors: [], existing: [], produced: [], unproducible: [], failure: describeFailure(err) });
      await recordHere(input, result, null);
      await CancellationScope.nonCancellable(() => reportToBatch(input, result));
      if (cancelled) throw err;
      return result;
    }
    if (verified.kind !== 'work' || verified.pending.length === 0) {
      const result =
        verified.kind === 'skipped'
          ? skippedResult(video, verified.reason, verified.clipErrors)
          : verified.kind === 'done'
            ? verified.result
            : buildVideoResult({ video, clipErrors: verified.clipErrors, existing: verified.existing, produced: [], unproducible: [], failure: null });
      // All clips already on disk: the manifest is written now.
      const manifest = verified.kind === 'work' ? { settings: input.settings, clipFileSha256: verified.clipFileSha256, encoder: 'unchanged (all clips were already present)' } : null;
      await recordHere(input, result, manifest);
      await reportToBatch(input, result);
      return result;
    }

    // The verifying host downloads; the encode goes to the GPU (or CPU) queue it picks.
    currentHost = verified.hostQueue;
    const host = hostActivities(verified.hostQueue, input.heartbeatTimeoutSeconds, hostTimeoutSeconds, input.downloadRetry);
    let produced: ClipOutput[] = [];
    let unproducible: LineError[] = [];
    let encoder: string | null = null;
    let failure: Failure | null = null;
    let cancellation: unknown = null;
    try {
      if (hostAttempt === 1 && input.startDelaySeconds > 0) await sleep(`${input.startDelaySeconds}s`);
      const source = await downloadWithBackoff(host, verified.pending);
      const encode = encodeActivity(source.encodeQueue ?? verified.hostQueue, input.heartbeatTimeoutSeconds, hostTimeoutSeconds);
      ({ produced, unproducible, encoder } = await encode({ video, source, clips: verified.pending, outDir: input.outDir, settings: input.settings }));
    } catch (err) {
      if (isCancellation(err)) cancellation = err;
      else if (isHostLost(err) && hostAttempt < BATCH_DEFAULTS.maxHostAttempts) {
        log.warn('host not responding: the video starts over on another host', { videoId: video.videoId, host: verified.hostQueue });
        continue;
      } else failure = describeFailure(err);
    }
    const result = cancellation
      ? cancelledResult(video, verified.existing)
      : buildVideoResult({ video, clipErrors: verified.clipErrors, existing: verified.existing, produced, unproducible, failure });
    const manifest = encoder ? { settings: input.settings, clipFileSha256: verified.clipFileSha256, encoder } : null;
    try {
      await CancellationScope.nonCancellable(() => host.finishVideo({ batchId: input.batchId, outDir: input.outDir, workDir: input.workDir, result, manifest }));
    } catch (err) {
      // The host went away after the encode: its clips are on the shared disk, the next verify finds them.
      if (!isHostLost(err)) throw err;
      if (cancellation) await recordHere(input, result, null);
      else if (hostAttempt < BATCH_DEFAULTS.maxHostAttempts) continue;
      else throw err;
    }
    await CancellationScope.nonCancellable(() => reportToBatch(input, result));
    if (cancellation) throw cancellation;
    return result;
  }
}

/** Records a result from the workflow's own worker (no host needed). */
function recordHere(input: VideoInput, result: VideoResult, manifest: RecordVideoInput['manifest']): Promise<void> {
  return CancellationScope.nonCancellable(() => local.recordVideo({ batchId: input.batchId, outDir: input.outDir, result, manifest }));
}

/** A host activity no worker picked up in time: the host is gone. */
function isHostLost(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
}

/** Version 0.1, kept so videos started by it replay (PATCHES.v02). */
async function videoWorkflowV01(input: VideoInput): Promise<VideoResult> {
  let outcome: { result: VideoResult; encoder: string | null; clipFileSha256: string | null };
  try {
    outcome = await processVideoV01(input);
  } catch (err) {
    if (isCancellation(err)) throw err;
    const failure = describeFailure(err);
    outcome = {
      result: buildVideoResult({ video: input.video, clipErrors: [], existing: [], produced: [], unproducible: [], failure }),
      encoder: null,
      clipFileSha256: null,
    };
  }
  const { result, encoder, clipFileSha256 } = outcome;
  const manifest = encoder && clipFileSha256 ? { settings: input.settings, clipFileSha256, encoder } : null;
  await remote.recordVideo({ batchId: input.batchId, outDir: input.outDir, result, manifest });
  await reportToBatch(input, result);
  return result;
}

async function processVideoV01(input: VideoInput): Promise<{ result: VideoResult; encoder: string | null; clipFileSha256: string | null }> {
  const { video } = input;
  const verified = await remote.verifyClip(verifyInput(input));
  if (verified.kind === 'skipped') return { result: skippedResult(video, verified.reason, verified.clipErrors), encoder: null, clipFileSha256: null };
  if (verified.kind === 'done') return { result: verified.result, encoder: null, clipFileSha256: null };

  let produced: ClipOutput[] = [];
  let unproducible: LineError[] = [];
  let failure: Failure | null = null;
  let encoder: string | null = null;
  if (verified.pending.length > 0) {
    const host = hostActivities(verified.hostQueue, input.heartbeatTimeoutSeconds);
    if (input.startDelaySeconds > 0) await sleep(`${input.startDelaySeconds}s`);
    try {
      const source = await host.download({ batchId: input.batchId, video, workDir: input.workDir });
      const encoded = await host.encodeClips({ video, source, clips: verified.pending, outDir: input.outDir, settings: input.settings });
      produced = encoded.produced;
      unproducible = encoded.unproducible;
      encoder = encoded.encoder;
    } catch (err) {
      if (isCancellation(err)) throw err;
      failure = describeFailure(err);
    } finally {
      await CancellationScope.nonCancellable(() => host.deleteSource({ batchId: input.batchId, videoId: video.videoId, workDir: input.workDir }));
    }
  }
  const result = buildVideoResult({ video, clipErrors: verified.clipErrors, existing: verified.existing, produced, unproducible, failure });
  return { result, encoder: encoder ?? 'unchanged (all clips were already present)', clipFileSha256: verified.clipFileSha256 };
}
