import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { PagedVideo } from '../activities/index.js';
import {
  videoWorkflowId,
  type BatchContinuation,
  type BatchInput,
  type BatchPhase,
  type BatchPolicy,
  type BatchProgress,
  type VideoInput,
} from '../core/batch-input.js';
import { ErrorType } from '../core/errors.js';
import { DOWNLOAD_MODES } from '../core/sections.js';
import type { BatchSummary } from '../core/types.js';
import { BatchBackoff, type Broadcast } from './backoff.js';
import {
  downloadBlockedSignal,
  downloadSucceededSignal,
  progressQuery,
  videoFinishedSignal,
} from './definitions.js';
import { BATCH_0_1 } from './legacy/v01.js';
import { PATCHES } from './patches.js';
import { knownPolicy, recordPolicy } from './policy.js';
import { sharedActivities } from './proxies.js';
import { videoWorkflow } from './video.js';
import { isSettled, VideoWindow } from './window.js';

/** How this release reads pages and starts videos (0.1's way is in legacy/v01.ts). */
const BATCH_0_2 = { pagesAsLocalActivities: true, concurrentStarts: true };

/**
 * A batch: one video workflow per unique video of the URL list, at most `workers`
 * in flight, refilled as they report back. The list is read in pages from its
 * snapshot; videos an earlier run settled are counted, not run again; the batch
 * continues as new every `maxStartsPerRun` starts, carrying only its offset,
 * counters, in-flight set and policy. Cancelled, it cancels its videos, waits for
 * them to clean up, writes the report (not-started videos as cancelled) and ends
 * cancelled.
 */
export async function batchWorkflow(input: BatchInput): Promise<BatchSummary> {
  const release = patched(PATCHES.v02) ? BATCH_0_2 : BATCH_0_1;
  const policy = knownPolicy(input) ?? (await recordPolicy(input));
  const info = workflowInfo();
  const batchId = input.batchId ?? info.workflowId;
  const carried = input.continuation;
  const retryFailed = input.retryFailed ?? false;
  const { local } = sharedActivities(policy.quick);
  const { remote: reporting } = sharedActivities(policy.report);
  const readVideoPage = release.pagesAsLocalActivities ? local.readVideoPage : reporting.readVideoPage;

  const window = new VideoWindow(carried, policy.recentLimit);
  const tellVideos: Broadcast = async (signal, payload) => {
    for (const videoId of [...window.inFlight]) {
      await getExternalWorkflowHandle(videoWorkflowId(batchId, videoId))
        .signal(signal, payload)
        .catch(() => undefined); // it just finished
    }
  };
  const backoff = new BatchBackoff(batchId, policy, carried, tellVideos);
  let phase: BatchPhase = carried ? 'running' : 'preparing';
  let offset = carried?.offset ?? 0;
  let total = carried?.total ?? 0;
  let rejectedLines = carried?.rejectedLines ?? 0;
  const startedAt = carried?.startedAt ?? new Date().toISOString();
  const runs = (carried?.runs ?? 0) + 1;

  setHandler(downloadBlockedSignal, (report) => backoff.blocked(report));
  setHandler(downloadSucceededSignal, () => backoff.succeeded());
  setHandler(videoFinishedSignal, (report) => window.finished(report));
  setHandler(progressQuery, (): BatchProgress => ({
    batchId,
    phase,
    total,
    rejectedLines,
    started: offset,
    done: window.done,
    inFlight: [...window.inFlight],
    counts: { ...window.counts },
    clips: window.clips,
    runs,
    recent: window.recent,
    paused: backoff.pause(),
    abandoned: backoff.abandoned,
  }));

  const staggered = !carried && !retryFailed;
  async function startVideo(video: PagedVideo): Promise<void> {
    window.add(video.videoId);
    try {
      // Not cancellable half-way: a started child must be in the set, to be cancelled too.
      await CancellationScope.nonCancellable(() =>
        startChild(videoWorkflow, {
          workflowId: videoWorkflowId(batchId, video.videoId),
          parentClosePolicy: ParentClosePolicy.ABANDON,
          args: [videoInput(input, policy, batchId, video, staggered, backoff.countingPauses)],
        }),
      );
    } catch (err) {
      // Still running from an earlier run of this batch: it reports here when done.
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      throw err;
    }
  }

  try {
    if (!carried) {
      checkInput(input);
      const snapshot = await reporting.prepareBatch({
        batchId,
        urlsFile: input.urlsFile,
        clipDir: input.clipDir,
        outDir: input.outDir,
        settings: policy.settings,
      });
      total = snapshot.videos;
      rejectedLines = snapshot.rejectedLines;
      phase = 'running';
    }

    // The window (samples-typescript batch-sliding-window): a page at a time, a start per free slot.
    let page: PagedVideo[] = [];
    let pageStart = offset;
    let startsThisRun = 0;
    let starting: Promise<void>[] = [];
    while (offset < total) {
      if (offset - pageStart >= page.length) {
        page = await readVideoPage({ outDir: input.outDir, batchId, offset, limit: policy.pageSize });
        pageStart = offset;
        if (page.length === 0) throw new Error(`snapshot of batch ${batchId} ends at ${offset} of ${total} videos`);
      }
      const video = page[offset - pageStart] as PagedVideo;
      if (isSettled(video.prior, retryFailed)) {
        window.settled(video.prior);
        offset++;
        continue;
      }
      if (window.size >= policy.workers) {
        await Promise.all(starting);
        starting = [];
        await condition(() => window.size < policy.workers);
      }
      // No video starts while downloads are paused; none once they are given up.
      for (let pause = backoff.pause(); pause && !backoff.abandoned; pause = backoff.pause()) {
        await condition(() => backoff.abandoned !== null, pause.until - Date.now());
      }
      if (backoff.abandoned) break;
      const start = startVideo(video);
      if (release.concurrentStarts) starting.push(start);
      else await start;
      offset++;
      startsThisRun++;
      if (offset < total && (startsThisRun >= policy.maxStartsPerRun || workflowInfo().continueAsNewSuggested)) {
        await Promise.all(starting);
        await condition(allHandlersFinished);
        const counts = window.counts;
        const inFlight = [...window.inFlight];
        const continuation: BatchContinuation = {
          ...{ offset, total, rejectedLines, startedAt, counts, clips: window.clips, inFlight, runs },
          ...backoff.carried(),
        };
        log.info('continuing as new', { batchId, offset, total, runs });
        await continueAsNew<typeof batchWorkflow>({ ...input, policy, continuation });
      }
    }
    await Promise.all(starting);
    await condition(() => window.size === 0);
    await condition(allHandlersFinished);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    phase = 'cancelling';
    await CancellationScope.nonCancellable(async () => {
      await cancelVideos(batchId, window, policy);
      await reporting.writeReport({ outDir: input.outDir, batchId, startedAt, cancelled: true });
    });
    throw err;
  }

  phase = 'reporting';
  const abandoned = backoff.abandoned;
  const summary = await reporting.writeReport({ outDir: input.outDir, batchId, startedAt, ...(abandoned ? { abandoned } : {}) });
  phase = 'finished';
  return summary;
}

/** Typos in a JSON input from the Temporal CLI: the batch fails at once, naming the field. */
function checkInput(input: BatchInput): void {
  if (input.downloadMode !== undefined && !DOWNLOAD_MODES.includes(input.downloadMode)) {
    const message = `downloadMode must be one of ${DOWNLOAD_MODES.join(', ')}, not ${JSON.stringify(input.downloadMode)}`;
    throw ApplicationFailure.nonRetryable(message, ErrorType.InvalidInput);
  }
}

/** A video's input: the batch's data and policy; the first `workers` videos of a first start are staggered. */
function videoInput(
  input: BatchInput,
  policy: BatchPolicy,
  batchId: string,
  video: PagedVideo,
  staggered: boolean,
  reportDownloads: boolean,
): VideoInput {
  return {
    batchId,
    parentWorkflowId: workflowInfo().workflowId,
    video: { index: video.index, line: video.line, url: video.url, videoId: video.videoId },
    clipDir: input.clipDir,
    outDir: input.outDir,
    workDir: input.workDir,
    settings: policy.settings,
    startDelaySeconds: staggered && video.index < policy.workers ? video.index * policy.startDelaySeconds : 0,
    retryFailed: input.retryFailed ?? false,
    heartbeatTimeoutSeconds: policy.heartbeatTimeoutSeconds,
    hostTimeoutSeconds: policy.hostTimeoutSeconds,
    ...(input.format ? { format: input.format } : {}),
    ...(reportDownloads ? { reportDownloads: true } : {}),
    ...(input.downloadRetry ? { downloadRetry: input.downloadRetry } : {}),
    ...(input.downloadMode ? { downloadMode: input.downloadMode } : {}),
    policy: policy.video,
  };
}

/** Cancels every video in flight and waits for each to report `cancelled` (processes killed, files removed). */
async function cancelVideos(batchId: string, window: VideoWindow, policy: BatchPolicy): Promise<void> {
  for (const videoId of window.inFlight) {
    await getExternalWorkflowHandle(videoWorkflowId(batchId, videoId))
      .cancel()
      .catch((err: unknown) => log.warn('could not cancel a video', { videoId, error: String(err) }));
  }
  const allReported = await condition(() => window.size === 0, `${policy.cancelWaitMinutes}m`);
  if (!allReported) log.warn('videos did not report after cancellation', { videos: [...window.inFlight] });
}
