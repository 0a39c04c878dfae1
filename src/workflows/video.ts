import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  sleep,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { HostActivities, SharedActivities } from '../activities/index.js';
import { ACTIVITY_DEFAULTS } from '../config.js';
import type { VideoInput } from '../core/batch-input.js';
import { ErrorType } from '../core/errors.js';
import type { ClipOutput, LineError, VideoResult } from '../core/types.js';
import { buildVideoResult, skippedResult, type Failure } from '../core/video-result.js';
import { activityOptions } from './activity-options.js';
import { videoFinishedSignal } from './definitions.js';

const { verifyClip, recordVideo } = proxyActivities<SharedActivities>(activityOptions(ACTIVITY_DEFAULTS.quick));

/** Activities routed to the host that verified the video: its disk holds the source. */
function hostActivities(taskQueue: string, heartbeatTimeoutSeconds: number) {
  const heartbeatTimeout = `${heartbeatTimeoutSeconds}s` as const;
  const { download } = proxyActivities<HostActivities>(activityOptions(ACTIVITY_DEFAULTS.download, { taskQueue, heartbeatTimeout }));
  const { encodeClips } = proxyActivities<HostActivities>(activityOptions(ACTIVITY_DEFAULTS.encode, { taskQueue, heartbeatTimeout }));
  const { deleteSource } = proxyActivities<HostActivities>(activityOptions(ACTIVITY_DEFAULTS.quick, { taskQueue }));
  return { download, encodeClips, deleteSource };
}

/** The failure that ended an activity for good, as the report shows it. */
export function describeFailure(err: unknown): Failure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? ErrorType.Unknown, message: cause.message };
  if (cause instanceof TimeoutFailure) return { type: 'Timeout', message: `activity timed out (${cause.timeoutType})` };
  return { type: ErrorType.Unknown, message: cause instanceof Error ? cause.message : String(cause) };
}

async function processVideo(input: VideoInput): Promise<{ result: VideoResult; encoder: string | null; clipFileSha256: string | null }> {
  const { video } = input;
  const verified = await verifyClip({
    batchId: input.batchId,
    video,
    clipDir: input.clipDir,
    outDir: input.outDir,
    settings: input.settings,
    retryFailed: input.retryFailed,
  });
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
      // Also after a failure or a cancellation: sources are never kept.
      await CancellationScope.nonCancellable(() =>
        host.deleteSource({ batchId: input.batchId, videoId: video.videoId, workDir: input.workDir }),
      );
    }
  }
  const result = buildVideoResult({
    video,
    clipErrors: verified.clipErrors,
    existing: verified.existing,
    produced,
    unproducible,
    failure,
  });
  return { result, encoder: encoder ?? 'unchanged (all clips were already present)', clipFileSha256: verified.clipFileSha256 };
}

/** One video: verifyClip, then download, encode and deleteSource on the verifying host. */
export async function videoWorkflow(input: VideoInput): Promise<VideoResult> {
  let outcome: Awaited<ReturnType<typeof processVideo>>;
  try {
    outcome = await processVideo(input);
  } catch (err) {
    if (isCancellation(err)) throw err;
    const failure = describeFailure(err);
    outcome = {
      result: { ...buildVideoResult({ video: input.video, clipErrors: [], existing: [], produced: [], unproducible: [], failure }) },
      encoder: null,
      clipFileSha256: null,
    };
  }
  const { result, encoder, clipFileSha256 } = outcome;
  const manifest = encoder && clipFileSha256 ? { settings: input.settings, clipFileSha256, encoder } : null;
  await recordVideo({ batchId: input.batchId, outDir: input.outDir, result, manifest });
  try {
    await getExternalWorkflowHandle(input.parentWorkflowId).signal(videoFinishedSignal, {
      videoId: result.videoId,
      status: result.status,
      clips: result.clips.length,
      reason: result.reason,
      errorType: result.errorType,
    });
  } catch (err) {
    log.warn('could not report to the batch workflow', { parent: input.parentWorkflowId, error: String(err) });
  }
  return result;
}
