// Workflow inputs: plain JSON, so a batch can be started from the Temporal CLI with
// `temporal workflow start --input-file batch.json`.
import type { DownloadMode } from './sections.js';
import type { EncodeSettings, StatusCounts, VideoEntry, VideoStatus } from './types.js';

export interface BatchInput {
  /** Defaults to the workflow ID. */
  batchId?: string;
  urlsFile: string;
  clipDir: string;
  outDir: string;
  /** Where sources are downloaded; each is deleted after its clips are made. */
  workDir: string;
  /** Missing fields take the defaults (1280x720, 30 fps, the original's rate control). */
  settings?: Partial<EncodeSettings>;
  /** Videos in flight at once (the original's worker processes). */
  workers?: number;
  /**
   * Videos in flight beyond `workers`: they download while the others encode, then wait
   * on their host for an encoder. `vstream run` sets it (as many as --workers by default);
   * absent (`temporal workflow start`, older clients): none.
   */
  downloadAhead?: number;
  /** The i-th of the first videos in flight starts i x this many seconds late, on a first start. */
  startDelaySeconds?: number;
  /** Process failed and partial videos again; succeeded ones are kept as they are. */
  retryFailed?: boolean;
  /**
   * Run again the videos an earlier run of the batch finished whose clip file appeared
   * (skipped for want of one) or changed (clips made from another) since. `vstream run` sets it.
   */
  recheckClipFiles?: boolean;
  /**
   * Whether the server has vstream's search attributes (src/core/search-attributes.ts):
   * the client that starts the batch checks once; without them the batch runs without
   * upserting any and says so. Absent (older clients, `temporal workflow start`): none.
   */
  searchAttributes?: boolean;
  heartbeatTimeoutSeconds?: number;
  /** A host that picks up none of its video's activities in this time is taken for gone (default 300). */
  hostTimeoutSeconds?: number;
  /** yt-dlp format selection (default: 299, then H.264, then VP9 up to 1080p, never AV1). */
  format?: string;
  /** full (default), sections (only the clips' time ranges) or auto (sections when they cover little). */
  downloadMode?: DownloadMode;
  /** First pause of all downloads after a rate limit or a bot check (default 600 s); doubles each time. */
  backoffSeconds?: number;
  /** Consecutive pauses without a successful download before the remaining videos fail (default 5). */
  maxPauses?: number;
  /** Retries of a failed download (network errors): attempts in all, and the first wait (default 5, 10 s). */
  downloadRetry?: DownloadRetry;
  pageSize?: number;
  maxStartsPerRun?: number;
  /** Set by the batch itself on its first run and carried through continue-as-new. */
  policy?: BatchPolicy;
  /** Set by the batch itself when it continues as new. */
  continuation?: BatchContinuation;
}

/** An activity's timeouts and retries: one of config.ts's ACTIVITY_DEFAULTS profiles. */
export interface ActivityProfile {
  startToCloseMinutes: number;
  maximumAttempts: number;
  initialIntervalSeconds: number;
}

/** The values a batch's policy and the defaults it is resolved from share. */
interface PolicyValues {
  settings: EncodeSettings;
  workers: number;
  startDelaySeconds: number;
  pageSize: number;
  maxStartsPerRun: number;
  recentLimit: number;
  cancelWaitMinutes: number;
  backoffSeconds: number;
  maxPauses: number;
  heartbeatTimeoutSeconds: number;
  hostTimeoutSeconds: number;
}

/**
 * Every value a batch's commands depend on, fixed on its first run: a batch resumed
 * after an upgrade that changed a default keeps the values it started with.
 */
export interface BatchPolicy extends PolicyValues {
  /** Activities of the batch itself: page reads (local) and the report. */
  quick: ActivityProfile;
  report: ActivityProfile;
  /** Handed to every video of the batch. */
  video: VideoPolicy;
}

/** What a video workflow's commands depend on beyond its input, fixed by its batch. */
export interface VideoPolicy {
  maxHostAttempts: number;
  maxPauseAnswerMinutes: number;
  /** With the batch's --download-attempts and --download-retry-interval applied. */
  download: ActivityProfile;
  encode: ActivityProfile;
  quick: ActivityProfile;
}

/** The defaults a policy is resolved from: config.ts's today, or a release's frozen literals. */
export interface PolicyDefaults extends PolicyValues {
  maxHostAttempts: number;
  maxPauseAnswerMinutes: number;
  activities: Record<'download' | 'encode' | 'quick' | 'report', ActivityProfile>;
}

export interface BatchContinuation {
  offset: number;
  total: number;
  rejectedLines: number;
  startedAt: string;
  counts: StatusCounts;
  clips: number;
  inFlight: string[];
  runs: number;
  /** Consecutive pauses without a successful download, and the pause running (if any). */
  pauses?: number;
  paused?: DownloadsPaused | null;
  abandoned?: DownloadsAbandoned | null;
}

export interface VideoInput {
  batchId: string;
  /** Results are signalled here, by workflow ID, so they reach the batch's current run. */
  parentWorkflowId: string;
  video: VideoEntry;
  clipDir: string;
  outDir: string;
  workDir: string;
  settings: EncodeSettings;
  startDelaySeconds: number;
  retryFailed: boolean;
  heartbeatTimeoutSeconds: number;
  /** Absent in videos started by 0.1. */
  hostTimeoutSeconds?: number;
  format?: string;
  /** Tell the batch when a download succeeds (it is counting pauses). */
  reportDownloads?: boolean;
  downloadRetry?: DownloadRetry;
  downloadMode?: DownloadMode;
  /** Absent in videos started before 0.3: they run on 0.2's frozen values. */
  policy?: VideoPolicy;
  /** The server has vstream's search attributes: the video upserts its own (from 0.5). */
  searchAttributes?: boolean;
}

export interface DownloadRetry {
  maximumAttempts?: number;
  initialIntervalSeconds?: number;
}

/** The batch stops every new download until `until` (epoch ms). */
export interface DownloadsPaused {
  until: number;
  errorType: string;
  message: string;
  /** Consecutive pauses so far, and how many the batch allows. */
  pause: number;
  maxPauses: number;
}

/** The batch gave up: videos not downloaded yet fail with this type. */
export interface DownloadsAbandoned {
  errorType: string;
  message: string;
}

export interface DownloadBlocked {
  videoId: string;
  errorType: string;
  message: string;
}

export interface VideoFinished {
  videoId: string;
  status: VideoStatus;
  clips: number;
  reason: string | null;
  errorType: string | null;
}

export interface FinishedEntry extends VideoFinished {
  /**
   * 1-based completion order within the batch, for display: consecutive, the first of
   * a run after the videos done (or settled) before it.
   */
  seq: number;
}

export type BatchPhase = 'preparing' | 'running' | 'cancelling' | 'reporting' | 'finished';

export interface BatchProgress {
  batchId: string;
  phase: BatchPhase;
  total: number;
  rejectedLines: number;
  started: number;
  done: number;
  inFlight: string[];
  counts: StatusCounts;
  clips: number;
  runs: number;
  recent: FinishedEntry[];
  /** Downloads are paused (rate limit, bot check) until then; null when they run. */
  paused?: DownloadsPaused | null;
  /** Downloads given up after too many pauses. */
  abandoned?: DownloadsAbandoned | null;
  /** Staggered first videos: when each one's start delay ends (epoch ms, about: it sleeps after verifying). */
  startDelays?: Record<string, number>;
}

export function videoWorkflowId(batchId: string, videoId: string): string {
  return `${batchId}/${videoId}`;
}

/** The batch of a video workflow, from its ID (videoWorkflowId); any other workflow ID as it is. */
export function batchIdOfWorkflow(workflowId: string, videoId: string): string {
  const suffix = `/${videoId}`;
  return workflowId.endsWith(suffix) ? workflowId.slice(0, -suffix.length) : workflowId;
}

/** The batch's choices report.html shows beside its encode settings. */
export interface ReportRunSettings {
  workers: number;
  /** Videos downloaded ahead of the encoders; absent: none. */
  downloadAhead?: number;
  downloadMode: DownloadMode;
  /** yt-dlp's format selection; absent: vstream's default chain. */
  format?: string;
  retryFailed: boolean;
}

export function reportRunSettings(input: BatchInput, workers: number): ReportRunSettings {
  return {
    workers,
    ...(input.downloadAhead ? { downloadAhead: input.downloadAhead } : {}),
    downloadMode: input.downloadMode ?? 'full',
    ...(input.format ? { format: input.format } : {}),
    retryFailed: input.retryFailed ?? false,
  };
}
