import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { SharedActivities } from '../activities/index.js';
import { ACTIVITY_DEFAULTS, BATCH_DEFAULTS, RUN_DEFAULTS } from '../config.js';
import {
  videoWorkflowId,
  type BatchContinuation,
  type BatchInput,
  type BatchPhase,
  type BatchProgress,
  type FinishedEntry,
  type VideoFinished,
} from '../core/batch-input.js';
import { withDefaultSettings } from '../core/encode-settings.js';
import { countOf, emptyStatusCounts } from '../core/report.js';
import type { BatchSummary, VideoEntry } from '../core/types.js';
import { activityOptions } from './activity-options.js';
import { progressQuery, videoFinishedSignal } from './definitions.js';
import { videoWorkflow } from './video.js';

const { prepareBatch, readVideoPage, writeReport } = proxyActivities<SharedActivities>(activityOptions(ACTIVITY_DEFAULTS.report));

/**
 * A batch: one video workflow per unique video of the URL list, at most `workers`
 * in flight, refilled as they report back. The list is read in pages from its
 * snapshot; the batch continues as new every `maxStartsPerRun` starts, carrying
 * only its offset, counters and in-flight set.
 */
export async function batchWorkflow(input: BatchInput): Promise<BatchSummary> {
  const info = workflowInfo();
  const batchId = input.batchId ?? info.workflowId;
  const settings = withDefaultSettings(input.settings);
  const workers = input.workers ?? RUN_DEFAULTS.workers;
  const startDelaySeconds = input.startDelaySeconds ?? RUN_DEFAULTS.startDelaySeconds;
  const pageSize = input.pageSize ?? BATCH_DEFAULTS.pageSize;
  const maxStartsPerRun = input.maxStartsPerRun ?? BATCH_DEFAULTS.maxStartsPerRun;
  const carried = input.continuation;

  let phase: BatchPhase = carried ? 'running' : 'preparing';
  const inFlight = new Set<string>(carried?.inFlight ?? []);
  const counts = carried?.counts ?? emptyStatusCounts();
  let clips = carried?.clips ?? 0;
  let offset = carried?.offset ?? 0;
  let total = carried?.total ?? 0;
  let rejectedLines = carried?.rejectedLines ?? 0;
  const startedAt = carried?.startedAt ?? new Date().toISOString();
  const runs = (carried?.runs ?? 0) + 1;
  const recent: FinishedEntry[] = [];

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
  }));

  if (!carried) {
    const snapshot = await prepareBatch({ batchId, urlsFile: input.urlsFile, clipDir: input.clipDir, outDir: input.outDir, settings });
    total = snapshot.videos;
    rejectedLines = snapshot.rejectedLines;
    phase = 'running';
  }

  const staggered = !carried && !input.retryFailed;
  async function startVideo(video: VideoEntry): Promise<void> {
    const workflowId = videoWorkflowId(batchId, video.videoId);
    // In the set before the start: a fast child may report before its start resolves.
    inFlight.add(video.videoId);
    try {
      await startChild(videoWorkflow, {
        workflowId,
        parentClosePolicy: ParentClosePolicy.ABANDON,
        args: [
          {
            batchId,
            parentWorkflowId: info.workflowId,
            video,
            clipDir: input.clipDir,
            outDir: input.outDir,
            workDir: input.workDir,
            settings,
            startDelaySeconds: staggered && video.index < workers ? video.index * startDelaySeconds : 0,
            retryFailed: input.retryFailed ?? false,
            heartbeatTimeoutSeconds: input.heartbeatTimeoutSeconds ?? ACTIVITY_DEFAULTS.heartbeatTimeoutSeconds,
          },
        ],
      });
    } catch (err) {
      // Still running from an earlier run of this batch: it reports here when done.
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      throw err;
    }
  }

  let page: VideoEntry[] = [];
  let pageStart = offset;
  let startsThisRun = 0;
  while (offset < total) {
    await condition(() => inFlight.size < workers);
    if (offset - pageStart >= page.length) {
      page = await readVideoPage({ outDir: input.outDir, batchId, offset, limit: pageSize });
      pageStart = offset;
      if (page.length === 0) throw new Error(`snapshot of batch ${batchId} ends at ${offset} of ${total} videos`);
    }
    await startVideo(page[offset - pageStart] as VideoEntry);
    offset++;
    startsThisRun++;
    if (offset < total && (startsThisRun >= maxStartsPerRun || workflowInfo().continueAsNewSuggested)) {
      await condition(allHandlersFinished);
      const continuation: BatchContinuation = {
        offset,
        total,
        rejectedLines,
        startedAt,
        counts,
        clips,
        inFlight: [...inFlight],
        runs,
      };
      log.info('continuing as new', { batchId, offset, total, runs });
      await continueAsNew<typeof batchWorkflow>({ ...input, continuation });
    }
  }

  await condition(() => inFlight.size === 0);
  phase = 'reporting';
  const summary = await writeReport({ outDir: input.outDir, batchId, startedAt });
  phase = 'finished';
  return summary;
}
