// The events of the log file (<out>/_vstream/vstream.log, and `vstream worker`'s JSON
// lines): one JSON line each, with `event` (a name from this list), `batchId`, `videoId`
// (batch-wide events: the video that caused them), the fields listed here, and a human
// `msg`. The README lists the same names; a unit test holds them together.
// Imported by workflow code: keep it free of Node built-ins.

/** The fields each event carries besides event, batchId, videoId and msg. */
export interface LogEventFields {
  'verify.start': { clipFile: string };
  'video.verified': { outcome: 'work' | 'done'; clips: number; existing: number; pending: number; clipErrors: number };
  'video.skipped': { reason: string; clipErrors: number };
  'download.start': { attempt: number; mode: string };
  'encode.early': { queue: string; bytes: number };
  'download.end': { attempt: number; mode: 'full' | 'sections'; bytes: number; seconds: number; sections: number };
  'encoder.waited': { seconds: number };
  'encode.start': { attempt: number; pass: number; clips: number; encoder: string; frames: number };
  'encode.end': {
    attempt: number;
    pass: number;
    clips: number;
    encoder: string;
    frames: number;
    seconds: number;
    fps: number;
    ok: boolean;
  };
  'clip.written': { path: string; frames: number; bytes: number };
  'clip.unproducible': { line: number; reason: string };
  'video.finished': { status: string; clips: number; errorType: string | null; reason: string | null };
  'activity.failed': { activity: string; attempt: number; errorType: string; message: string; nonRetryable: boolean };
  'pause.start': { until: string; pause: number; maxPauses: number; errorType: string; message: string };
  'pause.end': { heldSeconds: number };
  'pause.held': { attempt: number; heldSeconds: number };
  'downloads.abandoned': { errorType: string; message: string };
}

export type LogEventName = keyof LogEventFields;

export interface LogEventInfo {
  /** Where it is logged: an activity (on the worker that ran it) or a workflow (replay-aware). */
  from: 'activity' | 'workflow';
  about: string;
}

/** Every event, in the order a video meets them. All are logged at level info: the terminal shows none. */
export const LOG_EVENTS: Record<LogEventName, LogEventInfo> = {
  'verify.start': { from: 'activity', about: "the video's verification starts: its clip file is read next" },
  'video.verified': { from: 'activity', about: 'the clip file was read: clips to make, already on disk, malformed' },
  'video.skipped': { from: 'activity', about: 'no clip file or no usable line: nothing to do (reason)' },
  'download.start': { from: 'activity', about: 'a download attempt starts (mode asked: full, sections, auto)' },
  'encode.early': {
    from: 'activity',
    about: "the encode starts while the source downloads (an encoder was idle): its queue, the file's bytes so far",
  },
  'download.end': { from: 'activity', about: 'the source is on disk: mode used, bytes, seconds' },
  'encoder.waited': {
    from: 'activity',
    about: 'a source downloaded ahead waited this long for an encoder of its host',
  },
  'encode.start': { from: 'activity', about: 'an ffmpeg pass starts: clips it writes, encoder, frames' },
  'encode.end': { from: 'activity', about: 'the pass ended: frames, seconds, encode speed (fps), ok' },
  'clip.written': { from: 'activity', about: 'a clip was checked and renamed into place: path, frames, bytes' },
  'clip.unproducible': { from: 'activity', about: 'a clip line the source cannot give (reason)' },
  'video.finished': { from: 'activity', about: 'the result was recorded: status, clips, errorType, reason' },
  'activity.failed': { from: 'activity', about: 'an activity attempt failed: activity, attempt, errorType, message' },
  'pause.start': { from: 'workflow', about: 'the batch pauses every download (rate limit, bot check) until `until`' },
  'pause.end': { from: 'workflow', about: "a video's download held by the pause goes ahead: heldSeconds" },
  'pause.held': {
    from: 'activity',
    about: 'a retry of a download (the server schedules it, not the workflow) waited out the pause: heldSeconds',
  },
  'downloads.abandoned': { from: 'workflow', about: 'too many pauses in a row: downloads are given up' },
};

export const LOG_EVENT_NAMES = Object.keys(LOG_EVENTS) as LogEventName[];

export function isLogEventName(value: unknown): value is LogEventName {
  return typeof value === 'string' && Object.hasOwn(LOG_EVENTS, value);
}

/** The ids every event line carries. */
export interface EventIds {
  batchId: string;
  /** Null for the batch's own activities (prepareBatch, writeReport). */
  videoId: string | null;
}

/** One event line's fields, in the order they are written. */
export function eventFields<K extends LogEventName>(
  name: K,
  ids: EventIds,
  fields: LogEventFields[K],
): Record<string, unknown> {
  return { event: name, batchId: ids.batchId, videoId: ids.videoId, ...fields };
}

/** Seconds with millisecond precision, for `seconds` fields. */
export function secondsSince(startMs: number, nowMs: number): number {
  return Math.round(nowMs - startMs) / 1000;
}
