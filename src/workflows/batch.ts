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
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  type SignalDefinition,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { SharedActivities } from '../activities/index.js';
import type { PagedVideo } from '../activities/index.js';
import { ACTIVITY_DEFAULTS, BATCH_DEFAULTS, RUN_DEFAULTS } from '../config.js';
import {
  videoWorkflowId,
  type BatchContinuation,
  type BatchInput,
  type BatchPhase,
  type BatchProgress,
  type DownloadBlocked,
  type DownloadsAbandoned,
  type DownloadsPaused,
  type FinishedEntry,
  type VideoFinished,
} from '../core/batch-input.js';
import { withDefaultSettings } from '../core/encode-settings.js';
import { ErrorType } from '../core/errors.js';
import { DOWNLOAD_MODES } from '../core/sections.js';
import { countOf, emptyStatusCounts } from '../core/report.js';
import type { BatchSummary, PriorResult } from '../core/types.js';
import { activityOptions } from './activity-options.js';
import {
  downloadBlockedSignal,
  downloadsAbandonedSignal,
  downloadsPausedSignal,
  downloadSucceededSignal,
  progressQuery,
  videoFinishedSignal,
} from './definitions.js';
import { PATCHES } from './patches.js';
import { videoWorkflow } from './video.js';

const remote = proxyActivities<SharedActivities>(activityOptions(ACTIVITY_DEFAULTS.report));
const local = proxyLocalActivities<SharedActivities>(activityOptions(ACTIVITY_DEFAULTS.quick));

/** A video an earlier run of the batch finished for good is not run again. */
function isSettled(prior: PriorResult | null | undefined, retryFailed: boolean): prior is PriorResult {
  if (!prior) return false;
  if (prior.status === 'succeeded' || prior.status === 'skipped') return true;
  if (prior.status === 'partial' || prior.status === 'failed') return !retryFailed;
  return false; // cancelled: continue it
}

/**
 * A batch: one video workflow per unique video of the URL list, at most `workers`
 * in flight, refilled as they report back. The list is read in pages from its
 * snapshot; videos an earlier run settled are counted, not run again; the batch
 * continues as new every `maxStartsPerRun` starts, carrying only its offset,
 * counters and in-flight set. Cancelled, it cancels its videos, waits for them to
 * clean up, writes the report (not-started videos as cancelled) and ends cancelled.
 */
export async function batchWorkflow(input: BatchInput): Promise<BatchSummary> {
  const info = workflowInfo();
  const batchId = input.batchId ?? info.workflowId;
  const settings = withDefaultSettings(input.settings);
  const workers = input.workers ?? RUN_DEFAULTS.workers;
  const startDelaySeconds = input.startDelaySeconds ?? RUN_DEFAULTS.startDelaySeconds;
  const pageSize = input.pageSize ?? BATCH_DEFAULTS.pageSize;
  const maxStartsPerRun = input.maxStartsPerRun ?? BATCH_DEFAULTS.maxStartsPerRun;
  const retryFailed = input.retryFailed ?? false;
  const carried = input.continuation;
  const v02 = patched(PATCHES.v02);
  const readVideoPage = v02 ? local.readVideoPage : remote.readVideoPage;

  let phase: BatchPhase = carried ? 'running' : 'preparing';
  const inFlight = new Set<string>(carried?.inFlight ?? []);
  // Runs before 0.2 carried no `cancelled` count.
  const counts = { ...emptyStatusCounts(), ...carried?.counts };
  let clips = carried?.clips ?? 0;
  let offset = carried?.offset ?? 0;
  let total = carried?.total ?? 0;
  let rejectedLines = carried?.rejectedLines ?? 0;
  const startedAt = carried?.startedAt ?? new Date().toISOString();
  const runs = (carried?.runs ?? 0) + 1;
  const recent: FinishedEntry[] = [];

  // Shared backoff: a rate limit or bot check pauses every download of the batch.
  const backoffSeconds = input.backoffSeconds ?? BATCH_DEFAULTS.backoffSeconds;
  const maxPauses = input.maxPauses ?? BATCH_DEFAULTS.maxPauses;
  let pauses = carried?.pauses ?? 0;
  let paused: DownloadsPaused | null = carried?.paused ?? null;
  let abandoned: DownloadsAbandoned | null = carried?.abandoned ?? null;
  const pauseInEffect = () => (paused !== null && Date.now() < paused.until ? paused : null);
  const tellVideos = async <T>(signal: SignalDefinition<[T]>, payload: T) => {
    for (const videoId of [...inFlight]) {
      await getExternalWorkflowHandle(videoWorkflowId(batchId, videoId))
        .signal(signal, payload)
        .catch(() => undefined); // it just finished
    }
  };
  setHandler(downloadBlockedSignal, async (blocked: DownloadBlocked) => {
    // During a pause the blocked video waits for its end like the others.
    if (abandoned || pauseInEffect()) return;
    pauses++;
    if (pauses > maxPauses) {
      abandoned = {
        errorType: blocked.errorType,
        message: `downloads stopped after ${maxPauses} pauses without a successful download (${blocked.errorType}): ${blocked.message}`,
      };
      log.warn('downloads given up', { batchId, ...abandoned });
      await tellVideos(downloadsAbandonedSignal, abandoned);
      return;
    }
    paused = { until: Date.now() + backoffSeconds * 1000 * 2 ** (pauses - 1), errorType: blocked.errorType, message: blocked.message, pause: pauses, maxPauses };
    log.warn('downloads paused', { batchId, ...paused });
    await tellVideos(downloadsPausedSignal, paused);
  });
  setHandler(downloadSucceededSignal, () => {
    pauses = 0;
  });

  setHandler(videoFinishedSignal, (finished: VideoFinished) => {
    // A repeated or stray report changes nothing.
    if (!inFlight.delete(finished.videoId)) return;
    counts[finished.status]++;
    clips += finished.clips;
    recent.push({ ...finished, seq: countOf(counts) });
    if (recent.length > BATCH_DEFAULTS.recentLimit) recent.shift();
  });
  setHandler(progressQuery, (): BatchProgress => ({
    batchId,
    phase,
    total,
    rejectedLines,
    started: offset,
    done: countOf(counts),
    inFlight: [...inFlight],
    counts: { ...counts },
    clips,
    runs,
    recent,
    paused: pauseInEffect(),
    abandoned,
  }));

  const staggered = !carried && !retryFailed;
  async function startVideo(video: PagedVideo): Promise<void> {
    // In the set before the start: a fast child may report before its start resolves.
    inFlight.add(video.videoId);
    try {
      // Not cancellable half-way: a started child must be in the set, to be cancelled too.
      await CancellationScope.nonCancellable(() =>
        startChild(videoWorkflow, {
          workflowId: videoWorkflowId(batchId, video.videoId),
          parentClosePolicy: ParentClosePolicy.ABANDON,
          args: [
            {
              batchId,
              parentWorkflowId: info.workflowId,
              video: { index: video.index, line: video.line, url: video.url, videoId: video.videoId },
              clipDir: input.clipDir,
              outDir: input.outDir,
              workDir: input.workDir,
              settings,
              startDelaySeconds: staggered && video.index < workers ? video.index * startDelaySeconds : 0,
              retryFailed,
              heartbeatTimeoutSeconds: input.heartbeatTimeoutSeconds ?? ACTIVITY_DEFAULTS.heartbeatTimeoutSeconds,
              hostTimeoutSeconds: input.hostTimeoutSeconds ?? ACTIVITY_DEFAULTS.hostTimeoutSeconds,
              ...(input.format ? { format: input.format } : {}),
              ...(pauses > 0 ? { reportDownloads: true } : {}),
              ...(input.downloadRetry ? { downloadRetry: input.downloadRetry } : {}),
              ...(input.downloadMode ? { downloadMode: input.downloadMode } : {}),
            },
          ],
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
      // Typos in a JSON input from the Temporal CLI: fail at once, naming the field.
      if (input.downloadMode !== undefined && !DOWNLOAD_MODES.includes(input.downloadMode)) {
        throw ApplicationFailure.nonRetryable(`downloadMode must be one of ${DOWNLOAD_MODES.join(', ')}, not ${JSON.stringify(input.downloadMode)}`, ErrorType.InvalidInput);
      }
      const snapshot = await remote.prepareBatch({ batchId, urlsFile: input.urlsFile, clipDir: input.clipDir, outDir: input.outDir, settings });
      total = snapshot.videos;
      rejectedLines = snapshot.rejectedLines;
      phase = 'running';
    }

    let page: PagedVideo[] = [];
    let pageStart = offset;
    let startsThisRun = 0;
    // Starts issued together complete in one round trip (0.2); 0.1 awaited each.
    let starting: Promise<void>[] = [];
    while (offset < total) {
      if (offset - pageStart >= page.length) {
        page = await readVideoPage({ outDir: input.outDir, batchId, offset, limit: pageSize });
        pageStart = offset;
        if (page.length === 0) throw new Error(`snapshot of batch ${batchId} ends at ${offset} of ${total} videos`);
      }
      const video = page[offset - pageStart] as PagedVideo;
      if (isSettled(video.prior, retryFailed)) {
        counts[video.prior.status]++;
        clips += video.prior.clips;
        offset++;
        continue;
      }
      if (inFlight.size >= workers) {
        await Promise.all(starting);
        starting = [];
        await condition(() => inFlight.size < workers);
      }
      // No video starts while downloads are paused; none once they are given up.
      for (let pause = pauseInEffect(); pause && !abandoned; pause = pauseInEffect()) {
        await condition(() => abandoned !== null, pause.until - Date.now());
      }
      if (abandoned) break;
      const start = startVideo(video);
      if (v02) starting.push(start);
      else await start;
      offset++;
      startsThisRun++;
      if (offset < total && (startsThisRun >= maxStartsPerRun || workflowInfo().continueAsNewSuggested)) {
        await Promise.all(starting);
        await condition(allHandlersFinished);
        const continuation: BatchContinuation = { offset, total, rejectedLines, startedAt, counts, clips, inFlight: [...inFlight], runs, pauses, paused, abandoned };
        log.info('continuing as new', { batchId, offset, total, runs });
        await continueAsNew<typeof batchWorkflow>({ ...input, continuation });
      }
    }
    await Promise.all(starting);
    await condition(() => inFlight.size === 0);
    await condition(allHandlersFinished);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    phase = 'cancelling';
    await CancellationScope.nonCancellable(async () => {
      for (const videoId of inFlight) {
        await getExternalWorkflowHandle(videoWorkflowId(batchId, videoId))
          .cancel()
          .catch((cancelErr: unknown) => log.warn('could not cancel a video', { videoId, error: String(cancelErr) }));
      }
      // Each video reports `cancelled` once its processes are killed and its files removed.
      const allReported = await condition(() => inFlight.size === 0, `${BATCH_DEFAULTS.cancelWaitMinutes}m`);
      if (!allReported) log.warn('videos did not report after cancellation', { videos: [...inFlight] });
      await remote.writeReport({ outDir: input.outDir, batchId, startedAt, cancelled: true });
    });
    throw err;
  }

  phase = 'reporting';
  const summary = await remote.writeReport({ outDir: input.outDir, batchId, startedAt, ...(abandoned ? { abandoned } : {}) });
  phase = 'finished';
  return summary;
}
