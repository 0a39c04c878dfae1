import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { PagedVideo } from '../activities/index.js';
import type { BatchInput } from '../core/batch-input.js';
import type { BatchSummary } from '../core/types.js';
import { BatchRun, type StartMode } from './batch-run.js';
import { downloadBlockedSignal, downloadSucceededSignal, progressQuery, videoFinishedSignal } from './definitions.js';
import { BATCH_0_1 } from './legacy/v01.js';
import { PATCHES } from './patches.js';
import { knownPolicy, recordPolicy } from './policy.js';
import { isSettled } from './window.js';

/** Pages as local activities, all free window slots started at once (0.1's way: legacy/v01.ts). */
const BATCH_0_2: StartMode = { pagesAsLocalActivities: true, concurrentStarts: true };

/**
 * A batch: one video workflow per unique video of the URL list, at most `workers`
 * (plus `downloadAhead`) in flight, refilled as they report back (samples-typescript batch-sliding-window).
 * The list is read in pages from its snapshot; videos an earlier run settled are
 * counted, not run again; the batch continues as new every `maxStartsPerRun` starts,
 * carrying its position, counters, in-flight set and policy. Cancelled, it cancels its
 * videos, waits for them to clean up, writes the report and ends cancelled.
 */
export async function batchWorkflow(input: BatchInput): Promise<BatchSummary> {
  const mode = patched(PATCHES.v02) ? BATCH_0_2 : BATCH_0_1;
  // Every patch is asked before the first await: asked after a local activity that
  // resolves in a later workflow task, its marker lands there, and a replay, which sees
  // the activity resolve in the first task, finds no call for it (TMPRL1100).
  const recheckClipFiles = input.recheckClipFiles === true && patched(PATCHES.recheckClipFiles);
  const story = patched(PATCHES.ui);
  const downloadAhead =
    (input.downloadAhead ?? 0) > 0 && patched(PATCHES.downloadAhead) ? (input.downloadAhead ?? 0) : 0;
  const policy = knownPolicy(input) ?? (await recordPolicy(input));
  const batch = new BatchRun(input, policy, mode, { recheckClipFiles, story, downloadAhead });
  setHandler(downloadBlockedSignal, (report) => batch.downloadBlocked(report));
  setHandler(downloadSucceededSignal, () => batch.backoff.succeeded());
  setHandler(videoFinishedSignal, (report) => batch.videoFinished(report));
  setHandler(progressQuery, () => batch.progress());
  batch.started();

  try {
    if (!input.continuation) await batch.prepare();
    const { window, backoff } = batch;
    let page: PagedVideo[] = [];
    let pageStart = batch.offset;
    let startsThisRun = 0;
    let starting: Promise<void>[] = [];
    while (batch.offset < batch.total) {
      if (batch.offset - pageStart >= page.length) {
        page = await batch.readPage(batch.offset);
        pageStart = batch.offset;
        if (page.length === 0)
          throw new Error(`snapshot of batch ${batch.batchId} ends at ${batch.offset} of ${batch.total} videos`);
      }
      const video = page[batch.offset - pageStart] as PagedVideo;
      if (isSettled(video.prior, batch.retryFailed)) {
        window.settled(video.prior);
        batch.offset++;
        continue;
      }
      if (window.size >= batch.windowSize) {
        await Promise.all(starting);
        starting = [];
        await condition(() => window.size < batch.windowSize);
      }
      // No video starts while downloads are paused; none once they are given up.
      for (let pause = backoff.pause(); pause && !backoff.abandoned; pause = backoff.pause()) {
        await condition(() => backoff.abandoned !== null, pause.until - Date.now());
        batch.showDetails();
      }
      if (backoff.abandoned) break;
      const start = batch.startVideo(video);
      if (mode.concurrentStarts) starting.push(start);
      else await start;
      batch.offset++;
      startsThisRun++;
      const longRun = startsThisRun >= policy.maxStartsPerRun || workflowInfo().continueAsNewSuggested;
      if (batch.offset < batch.total && longRun) {
        await Promise.all(starting);
        await condition(() => allHandlersFinished() && batch.closing === 0);
        log.info('continuing as new', { batchId: batch.batchId, offset: batch.offset, total: batch.total });
        await continueAsNew<typeof batchWorkflow>({ ...input, policy, continuation: batch.continuation() });
      }
    }
    await Promise.all(starting);
    await condition(() => window.size === 0);
    await condition(allHandlersFinished);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(() => batch.cancel());
    throw err;
  }
  return batch.report();
}
