// What `vstream run` and `vstream status --watch` show while a batch runs: pure functions
// from snapshots (the batch's progress answer, each in-flight video's pending activities,
// the clock) to lines. The client polls and draws; everything shown is decided here.
import type { BatchProgress, FinishedEntry } from './batch-input.js';
import { plural } from './report.js';

/** One pending activity of a video workflow, as its describe() tells it. */
export interface ActivityView {
  type: string;
  state: 'scheduled' | 'started' | 'cancelRequested';
  attempt: number;
  /** The error type of the attempt before, when this is a retry. */
  lastFailureType: string | null;
  /** When a retry waiting for its interval starts (epoch ms). */
  nextAttemptAt: number | null;
  /** The latest heartbeat details, decoded. */
  details: unknown;
}

export interface ProgressSnapshot {
  /** The clock (epoch ms). */
  at: number;
  progress: BatchProgress;
  /** Pending activities of in-flight videos; a video left out is shown as waiting. */
  activities: Record<string, ActivityView[]>;
}

/** What the display has seen since it started. */
export interface Tally {
  /** Set by the first look: the rates count from then. */
  since: number | null;
  lastSeq: number;
  /** Videos and clips finished while watching: the rates. */
  videos: number;
  clips: number;
  /** Failed and partial videos by error type, among those shown. */
  failures: Record<string, number>;
  announced: boolean;
  lastPauseUntil: number;
  abandonedShown: boolean;
}

export function emptyTally(): Tally {
  return {
    since: null,
    lastSeq: 0,
    videos: 0,
    clips: 0,
    failures: {},
    announced: false,
    lastPauseUntil: 0,
    abandonedShown: false,
  };
}

const MB = 1_000_000;
/** Rates need this much watching before they mean anything. */
const MIN_RATE_WINDOW_MS = 10_000;

/** "45s", "4m 05s", "2h 03m". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

function formatMb(bytes: number): string {
  return `${(bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0)} MB`;
}

export function describeFinished(entry: FinishedEntry, total: number): string {
  const clips = entry.clips > 0 ? `, ${plural(entry.clips, 'clip')}` : '';
  const what =
    entry.status === 'succeeded'
      ? `succeeded, ${plural(entry.clips, 'clip')}`
      : `${entry.status}${entry.errorType ? ` (${entry.errorType})` : ''}${clips}: ${entry.reason ?? ''}`;
  return `[${entry.seq}/${total}] ${entry.videoId}: ${what}`;
}

export function describeProgress(progress: BatchProgress): string {
  const counts = progress.counts;
  const extra = [
    counts.failed > 0 ? `${counts.failed} failed` : null,
    counts.partial > 0 ? `${counts.partial} partial` : null,
    counts.cancelled > 0 ? `${counts.cancelled} cancelled` : null,
  ].filter(Boolean);
  const paused = progress.paused
    ? `; downloads paused until ${new Date(progress.paused.until).toLocaleTimeString()} (${progress.paused.errorType})`
    : '';
  return (
    `${progress.done}/${progress.total} done, ${progress.inFlight.length} in flight, ${plural(progress.clips, 'clip')}` +
    (extra.length > 0 ? `, ${extra.join(', ')}` : '') +
    paused
  );
}

/**
 * The lines that stay (the permanent record): the batch's size once known, each pause
 * and the abandonment once, each finished video once; and the tally, updated.
 */
export function advance(tally: Tally, snapshot: ProgressSnapshot): { tally: Tally; lines: string[] } {
  const { progress, at } = snapshot;
  // Videos that had finished before the first look count for the failures, not for the rates.
  const firstLook = tally.since === null;
  const next: Tally = { ...tally, since: tally.since ?? at, failures: { ...tally.failures } };
  const lines: string[] = [];
  if (!next.announced && progress.phase !== 'preparing') {
    next.announced = true;
    const rejected = progress.rejectedLines > 0 ? `, ${plural(progress.rejectedLines, 'URL line')} rejected` : '';
    lines.push(`vstream: ${plural(progress.total, 'video')}${rejected}; ${progress.done} done`);
  }
  const { paused } = progress;
  if (paused && paused.until !== next.lastPauseUntil) {
    next.lastPauseUntil = paused.until;
    lines.push(
      `vstream: downloads paused until ${new Date(paused.until).toLocaleTimeString()} (pause ${paused.pause} of ${paused.maxPauses}, ${paused.errorType}: ${paused.message})`,
    );
  }
  if (progress.abandoned && !next.abandonedShown) {
    next.abandonedShown = true;
    lines.push(
      `vstream: ${progress.abandoned.message}; the remaining videos fail (--retry-failed takes them up later)`,
    );
  }
  for (const entry of progress.recent.filter((e) => e.seq > tally.lastSeq)) {
    lines.push(describeFinished(entry, progress.total));
    next.lastSeq = entry.seq;
    if (entry.errorType) next.failures[entry.errorType] = (next.failures[entry.errorType] ?? 0) + 1;
    if (!firstLook) {
      next.videos++;
      next.clips += entry.clips;
    }
  }
  return { tally: next, lines };
}

export interface Rates {
  videosPerHour: number;
  clipsPerHour: number;
  /** Until the last video is done, at the rate so far; null before any finished. */
  etaMs: number | null;
}

export function rates(tally: Tally, progress: BatchProgress, at: number): Rates | null {
  const elapsed = at - (tally.since ?? at);
  if (tally.videos === 0 || elapsed < MIN_RATE_WINDOW_MS) return null;
  const perMs = tally.videos / elapsed;
  const remaining = Math.max(0, progress.total - progress.done);
  return {
    videosPerHour: perMs * 3_600_000,
    clipsPerHour: (tally.clips / elapsed) * 3_600_000,
    etaMs: remaining / perMs,
  };
}

function describeRates(r: Rates | null): string | null {
  if (!r) return null;
  const rounded = (n: number) => (n >= 10 ? Math.round(n).toString() : n.toFixed(1));
  const eta = r.etaMs === null ? '' : `, ETA ${formatDuration(r.etaMs)}`;
  return `${rounded(r.videosPerHour)} videos/h, ${rounded(r.clipsPerHour)} clips/h${eta}`;
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
const numberOr = (value: unknown, fallback: number | null): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;

/** "downloading 45% of 120 MB, 3.1 MB/s" from the download's heartbeat. */
function describeDownload(details: unknown): string {
  const d = record(details);
  const disk = record(d.waitingForDisk);
  if (typeof disk.neededBytes === 'number') return `waiting for temp space (${formatMb(disk.neededBytes)} needed)`;
  if (d.waitingForEncoder === true) return 'downloaded, waiting for an encoder';
  const done = numberOr(d.downloadedBytes, null);
  if (done === null) return 'downloading';
  const total = numberOr(d.totalBytes, null);
  const speed = numberOr(d.speedBytesPerSecond, null);
  const amount = total ? `${Math.min(100, Math.floor((done / total) * 100))}% of ${formatMb(total)}` : formatMb(done);
  return `downloading ${amount}${speed ? `, ${(speed / MB).toFixed(1)} MB/s` : ''}`;
}

/** "encoding clip 3 of 7, 118 fps" from the encode's heartbeat. */
function describeEncode(details: unknown): string {
  const d = record(details);
  const clips = numberOr(d.clips, null);
  if (clips === null) return 'encoding';
  const made = (Array.isArray(d.produced) ? d.produced.length : 0) + (numberOr(d.unproducible, 0) ?? 0);
  const fps = numberOr(d.fps, null);
  return `encoding clip ${Math.min(clips, made + 1)} of ${clips}${fps ? `, ${Math.round(fps)} fps` : ''}`;
}

const STARTED_WORDS: Record<string, (details: unknown) => string> = {
  download: describeDownload,
  encodeClips: describeEncode,
  finishVideo: () => 'finishing',
  deleteSource: () => 'removing the source',
  verifyClip: () => 'verifying',
  recordVideo: () => 'recording',
};

const QUEUED_WORDS: Record<string, string> = { download: 'download', encodeClips: 'encode' };

function describeActivity(activity: ActivityView, at: number): string {
  const retry =
    activity.attempt > 1
      ? ` (attempt ${activity.attempt}${activity.lastFailureType ? `, last ${activity.lastFailureType}` : ''})`
      : '';
  if (activity.state === 'cancelRequested') return `stopping${retry}`;
  if (activity.state === 'scheduled') {
    if (activity.nextAttemptAt && activity.nextAttemptAt > at)
      return `${activity.type} retry in ${formatDuration(activity.nextAttemptAt - at)}${retry}`;
    return `queued for ${QUEUED_WORDS[activity.type] ?? activity.type}${retry}`;
  }
  const words = STARTED_WORDS[activity.type];
  return `${words ? words(activity.details) : activity.type}${retry}`;
}

/** What one in-flight video is doing: its running activity, else what it waits for. */
export function videoStage(videoId: string, snapshot: ProgressSnapshot): string {
  const { progress, at } = snapshot;
  const activities = snapshot.activities[videoId] ?? [];
  const main = activities.find((a) => a.state === 'started') ?? activities[0];
  if (main) return describeActivity(main, at);
  const staggerEnds = progress.startDelays?.[videoId];
  if (staggerEnds && staggerEnds > at) return `staggered start, ${formatDuration(staggerEnds - at)} left`;
  if (progress.paused && progress.paused.until > at) return 'held: downloads paused';
  return 'waiting';
}

function failureWords(failures: Record<string, number>): string | null {
  const entries = Object.entries(failures).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.length > 0 ? entries.map(([type, n]) => `${type} ${n}`).join(', ') : null;
}

function pauseWords(progress: BatchProgress, at: number): string | null {
  const { paused } = progress;
  if (!paused || paused.until <= at) return null;
  return `downloads paused, ${formatDuration(paused.until - at)} left (pause ${paused.pause} of ${paused.maxPauses}, ${paused.errorType})`;
}

/** The live block drawn under the finished lines on a terminal. */
export function liveLines(tally: Tally, snapshot: ProgressSnapshot): string[] {
  const { progress, at } = snapshot;
  if (progress.phase === 'preparing') return ['vstream: preparing the batch (snapshot of the URL list)'];
  const head = [describeProgress({ ...progress, paused: null }), describeRates(rates(tally, progress, at))]
    .filter(Boolean)
    .join(' | ');
  const width = Math.max(0, ...progress.inFlight.map((id) => id.length));
  const lines = [`vstream: ${head}`];
  for (const videoId of progress.inFlight) lines.push(`  ${videoId.padEnd(width)}  ${videoStage(videoId, snapshot)}`);
  const failures = failureWords(tally.failures);
  if (failures) lines.push(`  failures: ${failures}`);
  const pause = pauseWords(progress, at);
  if (pause) lines.push(`  ${pause}`);
  if (progress.phase === 'cancelling' || progress.phase === 'reporting') lines.push(`  ${progress.phase}`);
  return lines;
}

/** One line for logs and pipes: counts, rates, each video's stage, a pause. */
export function statusLine(tally: Tally, snapshot: ProgressSnapshot): string {
  const { progress, at } = snapshot;
  const parts = [describeProgress({ ...progress, paused: null }), describeRates(rates(tally, progress, at))];
  const stages = progress.inFlight.map((id) => `${id} ${videoStage(id, snapshot)}`).join(', ');
  const failures = failureWords(tally.failures);
  const pause = pauseWords(progress, at);
  return `vstream: ${[parts.filter(Boolean).join(', '), stages, failures && `failures: ${failures}`, pause]
    .filter(Boolean)
    .join('; ')}`;
}

/** Plain output's state: the tally and when a line was last printed. */
export interface PlainState {
  tally: Tally;
  lastPrintAt: number;
  statusShown: boolean;
}

/** A status line is printed at `at` (videos in flight): the first one, or after `quietMs` without a line. */
export function statusLineDue(state: Pick<PlainState, 'lastPrintAt' | 'statusShown'>, at: number, quietMs: number) {
  return !state.statusShown || at - state.lastPrintAt >= quietMs;
}

/**
 * Plain lines (no terminal): the permanent lines, a status line as soon as videos are
 * in flight, then one after each `quietMs` without a line.
 */
export function plainLines(state: PlainState, snapshot: ProgressSnapshot, quietMs: number) {
  const { tally, lines } = advance(state.tally, snapshot);
  let { lastPrintAt, statusShown } = state;
  if (lines.length > 0) lastPrintAt = snapshot.at;
  const running = snapshot.progress.phase === 'running' && snapshot.progress.inFlight.length > 0;
  if (running && statusLineDue({ lastPrintAt, statusShown }, snapshot.at, quietMs)) {
    lines.push(statusLine(tally, snapshot));
    lastPrintAt = snapshot.at;
    statusShown = true;
  }
  return { state: { tally, lastPrintAt, statusShown }, lines };
}
