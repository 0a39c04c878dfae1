import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  setCurrentDetails,
  startChild,
  TerminatedFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { PagedVideo } from '../activities/index.js';
import {
  reportRunSettings,
  videoWorkflowId,
  type BatchContinuation,
  type BatchInput,
  type BatchPhase,
  type BatchPolicy,
  type BatchProgress,
  type DownloadBlocked,
  type VideoFinished,
  type VideoInput,
} from '../core/batch-input.js';
import { ErrorType } from '../core/errors.js';
import { DOWNLOAD_MODES } from '../core/sections.js';
import type { BatchSummary, VideoResult } from '../core/types.js';
import { buildVideoResult, cancelledResult, videoFinishedReport } from '../core/video-result.js';
import { batchCurrentDetails, batchStatus, videoStaticDetails, videoStaticSummary } from '../core/workflow-story.js';
import { BatchBackoff, type Broadcast } from './backoff.js';
import { PATCHES } from './patches.js';
import { sharedActivities } from './proxies.js';
import { batchStartAttributes, statusAttribute, videoStartAttributes } from './story.js';
import { videoWorkflow } from './video.js';
import { describeFailure } from './video-steps.js';
import { VideoWindow } from './window.js';

/** How a release reads the snapshot's pages and starts videos. */
export interface StartMode {
  pagesAsLocalActivities: boolean;
  /** Starts issued together complete in one round trip; else each is awaited. */
  concurrentStarts: boolean;
}

/**
 * One run of a batch: where it is in the snapshot, its window of videos, its backoff,
 * and the steps the workflow takes with them (samples-typescript safe-message-handlers:
 * state and handlers in a class, the workflow function wires them).
 */
export class BatchRun {
  readonly batchId: string;
  readonly window: VideoWindow;
  readonly backoff: BatchBackoff;
  phase: BatchPhase;
  offset: number;
  total: number;
  private rejectedLines: number;
  private readonly startedAt: string;
  private readonly runs: number;
  /** The first window of a batch's first start begins i x startDelay late. */
  private readonly staggered: boolean;
  /** Videos in flight at most: `workers`, plus those downloading ahead (PATCHES.downloadAhead). */
  readonly windowSize: number;
  /** Page reads recheck the clip files of videos earlier runs finished. */
  private readonly recheckClipFiles: boolean;
  /** Tells its story to the UI (PATCHES.ui): summaries, current details, a failed video fails. */
  private readonly story: boolean;
  /** The server has vstream's search attributes (the input says so): upserted, handed to the videos. */
  private readonly searchAttributes: boolean;
  private readonly activities: ReturnType<typeof sharedActivities>;
  private readonly reporting: ReturnType<typeof sharedActivities>['remote'];
  /** Results of videos that closed without reporting, being recorded: the run does not end before them. */
  closing = 0;
  /** Query-only (not carried): when each staggered video's start delay ends. */
  private readonly startDelays: Record<string, number> = {};

  constructor(
    private readonly input: BatchInput,
    readonly policy: BatchPolicy,
    readonly mode: StartMode,
    features: { recheckClipFiles: boolean; story: boolean; downloadAhead: number },
  ) {
    const carried = input.continuation;
    this.batchId = input.batchId ?? workflowInfo().workflowId;
    this.window = new VideoWindow(carried, policy.recentLimit);
    this.backoff = new BatchBackoff(this.batchId, policy, carried, this.tellVideos);
    this.phase = carried ? 'running' : 'preparing';
    this.offset = carried?.offset ?? 0;
    this.total = carried?.total ?? 0;
    this.rejectedLines = carried?.rejectedLines ?? 0;
    this.startedAt = carried?.startedAt ?? new Date().toISOString();
    this.runs = (carried?.runs ?? 0) + 1;
    this.staggered = !carried && !input.retryFailed;
    this.windowSize = policy.workers + features.downloadAhead;
    this.recheckClipFiles = features.recheckClipFiles;
    this.story = features.story;
    this.searchAttributes = this.story && input.searchAttributes === true;
    this.activities = sharedActivities(policy.quick);
    this.reporting = sharedActivities(policy.report).remote;
  }

  get retryFailed(): boolean {
    return this.input.retryFailed ?? false;
  }

  /** Every run, first or continued: its attributes (continue-as-new may not carry them) and details. */
  started(): void {
    if (this.searchAttributes) upsertSearchAttributes(batchStartAttributes(this.batchId));
    this.showDetails();
  }

  /** The videoFinished signal. */
  videoFinished(report: VideoFinished): void {
    this.window.finished(report);
    this.showDetails();
  }

  /** The downloadBlocked signal: the backoff decides at once, then tells the videos. */
  downloadBlocked(report: DownloadBlocked): Promise<void> {
    const telling = this.backoff.blocked(report);
    this.showDetails();
    return telling;
  }

  /** The batch's current details in the UI: live counts and a pause (metadata, no command). */
  showDetails(): void {
    if (this.story) setCurrentDetails(batchCurrentDetails(this.progress(), Date.now()));
  }

  /** Checks the input and snapshots the URL list (a first run only). */
  async prepare(): Promise<void> {
    checkInput(this.input);
    const { urlsFile, clipDir, outDir } = this.input;
    const snapshot = await this.reporting.prepareBatch({
      batchId: this.batchId,
      urlsFile,
      clipDir,
      outDir,
      settings: this.policy.settings,
    });
    this.total = snapshot.videos;
    this.rejectedLines = snapshot.rejectedLines;
    this.phase = 'running';
    this.showDetails();
  }

  /** The snapshot page from `offset`, with what earlier runs recorded for each video. */
  readPage(offset: number): Promise<PagedVideo[]> {
    const read = this.mode.pagesAsLocalActivities ? this.activities.local : this.reporting;
    return read.readVideoPage({
      outDir: this.input.outDir,
      batchId: this.batchId,
      offset,
      limit: this.policy.pageSize,
      ...(this.recheckClipFiles ? { recheckClipDir: this.input.clipDir } : {}),
    });
  }

  async startVideo(video: PagedVideo): Promise<void> {
    this.window.add(video.videoId);
    const delaySeconds = this.startDelaySeconds(video);
    if (delaySeconds > 0) this.startDelays[video.videoId] = Date.now() + delaySeconds * 1000;
    const videoInput = this.videoInput(video);
    const story = this.story
      ? { staticSummary: videoStaticSummary(videoInput), staticDetails: videoStaticDetails(videoInput) }
      : {};
    const attributes = this.searchAttributes
      ? { typedSearchAttributes: videoStartAttributes(this.batchId, video.videoId) }
      : {};
    let child;
    try {
      // Not cancellable half-way: a started child must be in the set, to be cancelled too.
      // ABANDON, and a failed video does not fail the batch: it reports by signal.
      child = await CancellationScope.nonCancellable(() =>
        startChild(videoWorkflow, {
          workflowId: videoWorkflowId(this.batchId, video.videoId),
          parentClosePolicy: ParentClosePolicy.ABANDON,
          args: [videoInput],
          ...story,
          ...attributes,
        }),
      );
    } catch (err) {
      // Still running from an earlier run of this batch: it reports here when done.
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      throw err;
    }
    // Its close comes after its report; one closing without (terminated, failed early) is counted then.
    child.result().then(
      (result) => this.closedUnreported(video, result, null),
      (err: unknown) => this.closedUnreported(video, null, err),
    );
  }

  /**
   * A video workflow closed and had not reported (PATCHES.childClosed): without this the
   * batch would wait for it forever. Recorded as failed (cancelled, if it was), then counted.
   */
  private async closedUnreported(video: PagedVideo, result: VideoResult | null, closed: unknown): Promise<void> {
    if (!this.window.inFlight.has(video.videoId) || !patched(PATCHES.childClosed)) return;
    this.closing++;
    try {
      const recorded = result ?? unreportedResult(video, closed);
      log.warn('a video closed without reporting to its batch: counted from its close', {
        videoId: video.videoId,
        status: recorded.status,
        reason: recorded.reason,
      });
      if (!result) {
        const record = { batchId: this.batchId, outDir: this.input.outDir, result: recorded, manifest: null };
        await CancellationScope.nonCancellable(() => this.activities.local.recordVideo(record)).catch((err: unknown) =>
          log.warn('could not record the result of a video that closed without reporting', {
            videoId: video.videoId,
            error: String(err),
          }),
        );
      }
      this.videoFinished(videoFinishedReport(recorded));
    } finally {
      this.closing--;
    }
  }

  /** What the next run carries: only positions, counters, the videos in flight and the backoff. */
  continuation(): BatchContinuation {
    return {
      offset: this.offset,
      total: this.total,
      rejectedLines: this.rejectedLines,
      startedAt: this.startedAt,
      counts: this.window.counts,
      clips: this.window.clips,
      inFlight: [...this.window.inFlight],
      runs: this.runs,
      ...this.backoff.carried(),
    };
  }

  progress(): BatchProgress {
    return {
      batchId: this.batchId,
      phase: this.phase,
      total: this.total,
      rejectedLines: this.rejectedLines,
      started: this.offset,
      done: this.window.done,
      inFlight: [...this.window.inFlight],
      counts: { ...this.window.counts },
      clips: this.window.clips,
      runs: this.runs,
      recent: this.window.recent,
      paused: this.backoff.pause(),
      abandoned: this.backoff.abandoned,
      startDelays: this.startDelays,
    };
  }

  /** Cancels every video in flight, waits for each to report `cancelled`, writes the report. */
  async cancel(): Promise<void> {
    this.phase = 'cancelling';
    for (const videoId of this.window.inFlight) {
      await getExternalWorkflowHandle(videoWorkflowId(this.batchId, videoId))
        .cancel()
        .catch((err: unknown) => log.warn('could not cancel a video', { videoId, error: String(err) }));
    }
    // Each video reports once its processes are killed and its files removed.
    const allReported = await condition(() => this.window.size === 0, `${this.policy.cancelWaitMinutes}m`);
    if (!allReported) log.warn('videos did not report after cancellation', { videos: [...this.window.inFlight] });
    const { outDir } = this.input;
    const report = { outDir, batchId: this.batchId, startedAt: this.startedAt, cancelled: true };
    await this.reporting.writeReport({ ...report, runSettings: reportRunSettings(this.input, this.policy.workers) });
    if (this.searchAttributes) upsertSearchAttributes([statusAttribute('cancelled')]);
    this.showDetails();
  }

  async report(): Promise<BatchSummary> {
    this.phase = 'reporting';
    const abandoned = this.backoff.abandoned;
    const summary = await this.reporting.writeReport({
      outDir: this.input.outDir,
      batchId: this.batchId,
      startedAt: this.startedAt,
      ...(abandoned ? { abandoned } : {}),
      runSettings: reportRunSettings(this.input, this.policy.workers),
    });
    this.phase = 'finished';
    if (this.searchAttributes) upsertSearchAttributes([statusAttribute(batchStatus(summary.counts, false))]);
    this.showDetails();
    return summary;
  }

  /** Signals every video in flight, in start order. */
  private readonly tellVideos: Broadcast = async (signal, payload) => {
    for (const videoId of [...this.window.inFlight]) {
      await getExternalWorkflowHandle(videoWorkflowId(this.batchId, videoId))
        .signal(signal, payload)
        .catch(() => undefined); // it just finished
    }
  };

  private startDelaySeconds(video: PagedVideo): number {
    const { policy } = this;
    return this.staggered && video.index < this.windowSize ? video.index * policy.startDelaySeconds : 0;
  }

  private videoInput(video: PagedVideo): VideoInput {
    const { input, policy } = this;
    return {
      batchId: this.batchId,
      parentWorkflowId: workflowInfo().workflowId,
      video: { index: video.index, line: video.line, url: video.url, videoId: video.videoId },
      clipDir: input.clipDir,
      outDir: input.outDir,
      workDir: input.workDir,
      settings: policy.settings,
      startDelaySeconds: this.startDelaySeconds(video),
      retryFailed: this.retryFailed,
      heartbeatTimeoutSeconds: policy.heartbeatTimeoutSeconds,
      hostTimeoutSeconds: policy.hostTimeoutSeconds,
      ...(input.format ? { format: input.format } : {}),
      ...(this.backoff.countingPauses ? { reportDownloads: true } : {}),
      ...(input.downloadRetry ? { downloadRetry: input.downloadRetry } : {}),
      ...(input.downloadMode ? { downloadMode: input.downloadMode } : {}),
      policy: policy.video,
      ...(this.searchAttributes ? { searchAttributes: true } : {}),
    };
  }
}

/** The result the batch records for a video whose workflow closed without reporting. */
export function unreportedResult(video: PagedVideo, closed: unknown): VideoResult {
  const entry = { index: video.index, line: video.line, url: video.url, videoId: video.videoId };
  const cause = closed instanceof ChildWorkflowFailure ? closed.cause : closed;
  if (cause instanceof CancelledFailure) return cancelledResult(entry, []);
  const failure =
    cause instanceof TerminatedFailure
      ? {
          type: ErrorType.Unknown,
          message: 'its workflow was terminated (in the Temporal UI or with `temporal workflow terminate`)',
        }
      : describeFailure(cause);
  const message = `the video's workflow ended without reporting: ${failure.message}`;
  const none = { clipErrors: [], existing: [], produced: [], unproducible: [] };
  return buildVideoResult({ video: entry, ...none, failure: { type: failure.type, message } });
}

/** Typos in a JSON input from the Temporal CLI: the batch fails at once, naming the field. */
function checkInput(input: BatchInput): void {
  const ahead = input.downloadAhead;
  if (ahead !== undefined && !(Number.isInteger(ahead) && ahead >= 0)) {
    const message = `downloadAhead must be a whole number of videos, not ${JSON.stringify(ahead)}`;
    throw ApplicationFailure.nonRetryable(message, ErrorType.InvalidInput);
  }
  if (input.downloadMode !== undefined && !DOWNLOAD_MODES.includes(input.downloadMode)) {
    const message = `downloadMode must be one of ${DOWNLOAD_MODES.join(', ')}, not ${JSON.stringify(input.downloadMode)}`;
    throw ApplicationFailure.nonRetryable(message, ErrorType.InvalidInput);
  }
}
