// Plain data shared by workflows, activities and the CLI. JSON only: these cross
// Temporal payloads and files.

export interface EncodeSettings {
  width: number;
  height: number;
  fps: number;
  maxrateKbps: number;
  bufsizeKbits: number;
  gop: number;
  /**
   * libx265 constant quality (CRF 0-51), capped by maxrateKbps/bufsizeKbits (VBV).
   * Absent: ABR at maxrateKbps, the original's reading, and what every output folder made
   * before the field existed has. NVENC ignores it: it keeps the original's VBR.
   */
  crf?: number;
}

export type EncoderKind = 'nvenc' | 'x265';
export type EncoderChoice = 'auto' | EncoderKind;

/** The encoder a worker uses; recorded with every clip it makes. */
export type EncoderConfig = { kind: 'x265'; preset: string } | { kind: 'nvenc'; deviceId: number };

/** cancelled: the batch was cancelled before the video finished; running the batch again continues it. */
/** Where a host encodes: NVENC on some GPUs (a queue and a session budget each), or libx265 on the CPU. */
export type EncodeTopology =
  { kind: 'gpu'; devices: number[]; sessionsPerGpu: number } | { kind: 'cpu'; slots: number; preset: string };

export type VideoStatus = 'succeeded' | 'partial' | 'skipped' | 'failed' | 'cancelled';
export const VIDEO_STATUSES: readonly VideoStatus[] = ['succeeded', 'partial', 'skipped', 'failed', 'cancelled'];

/** A problem with one input line: URL list or clip file. */
export interface LineError {
  line: number;
  text: string;
  reason: string;
}

export interface ClipSpec {
  line: number;
  startFrame: number;
  endFrame: number;
}

export interface ClipOutput {
  file: string;
  startFrame: number;
  endFrame: number;
  frames: number;
  bytes: number;
  /** The encoder that made it, when known (clips from before 0.2 do not say). */
  encoder?: string;
}

/** What an earlier run of the batch recorded for a video. */
export interface PriorResult {
  status: VideoStatus;
  clips: number;
  /** Its clip file appeared or changed since (set only when the page read was asked to recheck): run it again. */
  stale?: boolean;
}

/** One unique video of the URL list snapshot. */
export interface VideoEntry {
  /** 0-based position among the snapshot's unique videos. */
  index: number;
  /** 1-based line number in the URL list. */
  line: number;
  url: string;
  videoId: string;
}

export interface VideoResult {
  videoId: string;
  /** 1-based line of the URL list. */
  line: number;
  url: string;
  status: VideoStatus;
  reason: string | null;
  errorType: string | null;
  clipErrors: LineError[];
  clips: ClipOutput[];
  /** Absent in results recorded before 0.5 and for videos that never reported. */
  timings?: VideoTimings;
}

/**
 * Wall-clock timings of a video's last run, measured by its activities (the successful
 * attempt of each). The download fields are absent for a video that never downloaded.
 */
export interface VideoTimings {
  /** When the download that succeeded started (ISO). */
  startedAt?: string;
  downloadSeconds?: number;
  encodeSeconds?: number;
  /** When its result was recorded (ISO). */
  finishedAt?: string;
}

export interface SourceInfo {
  path: string;
  bytes: number;
  width: number;
  height: number;
  fps: number;
  /** Null when unknown (sections of a video whose metadata gives no duration). */
  durationSeconds: number | null;
  /** The encode queue of the downloading host chosen for this source (0.2). */
  encodeQueue?: string;
  /** Only parts were downloaded (--download-mode sections): one file each. */
  sections?: DownloadedSection[];
  /** When the download started (ISO) and its wall seconds (0.5). */
  downloadStartedAt?: string;
  downloadSeconds?: number;
}

export interface DownloadedSection {
  path: string;
  /** The range asked for, in source seconds. */
  start: number;
  end: number;
  /** The file's first timestamp in source seconds (the keyframe it starts at). */
  fileStartSeconds: number;
  bytes: number;
}

export interface StatusCounts {
  succeeded: number;
  partial: number;
  skipped: number;
  failed: number;
  cancelled: number;
}

export interface ReportCounts extends StatusCounts {
  videos: number;
  clips: number;
  rejectedLines: number;
  /** Failed videos per errorType (VideoUnavailable, RateLimited, ...). */
  byErrorType?: Record<string, number>;
}

export interface BatchSummary {
  batchId: string;
  startedAt: string;
  finishedAt: string;
  counts: ReportCounts;
  reportPath: string;
}
