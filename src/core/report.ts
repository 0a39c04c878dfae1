import type { LineError, ReportCounts, StatusCounts, VideoEntry, VideoResult, VideoStatus } from './types.js';

export function emptyStatusCounts(): StatusCounts {
  return { succeeded: 0, partial: 0, skipped: 0, failed: 0, cancelled: 0 };
}

export function countOf(counts: StatusCounts): number {
  return counts.succeeded + counts.partial + counts.skipped + counts.failed + counts.cancelled;
}

export interface Report {
  batchId: string;
  startedAt: string;
  finishedAt: string;
  counts: ReportCounts;
  rejectedLines: LineError[];
  videos: VideoResult[];
}

export interface ReportInput {
  batchId: string;
  startedAt: string;
  finishedAt: string;
  rejectedLines: LineError[];
  /** In URL-list order. */
  videos: VideoResult[];
}

/** Counts a report's videos one at a time, so a report of any length streams. */
export class ReportTally {
  private readonly statuses = emptyStatusCounts();
  private readonly byErrorType: Record<string, number> = {};
  private clips = 0;
  private videos = 0;

  add(video: Pick<VideoResult, 'status' | 'clips' | 'errorType'>): void {
    this.statuses[video.status satisfies VideoStatus]++;
    this.clips += video.clips.length;
    this.videos++;
    if (video.status === 'failed') {
      const type = video.errorType ?? 'Unknown';
      this.byErrorType[type] = (this.byErrorType[type] ?? 0) + 1;
    }
  }

  counts(rejectedLines: number): ReportCounts {
    return {
      videos: this.videos,
      ...this.statuses,
      clips: this.clips,
      rejectedLines,
      byErrorType: { ...this.byErrorType },
    };
  }
}

/** The report's fields before its videos, in the order they are written. */
export type ReportHead = Omit<Report, 'videos'>;

export function buildReport(input: ReportInput): Report {
  const tally = new ReportTally();
  input.videos.forEach((video) => tally.add(video));
  return {
    batchId: input.batchId,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    counts: tally.counts(input.rejectedLines.length),
    rejectedLines: input.rejectedLines,
    videos: input.videos,
  };
}

/** A video that never reported: cancelled with its batch, never started once downloads were given up, or lost. */
export function unrecordedResult(
  video: VideoEntry,
  batchCancelled: boolean,
  abandoned?: { errorType: string; message: string },
): VideoResult {
  const base = { videoId: video.videoId, line: video.line, url: video.url, clipErrors: [], clips: [] };
  if (batchCancelled)
    return {
      ...base,
      status: 'cancelled',
      reason: 'the batch was cancelled before this video finished',
      errorType: null,
    };
  if (abandoned) return { ...base, status: 'failed', reason: abandoned.message, errorType: abandoned.errorType };
  return { ...base, status: 'failed', reason: 'no result was recorded for this video', errorType: 'Unknown' };
}

/** 0 when every video succeeded or was skipped and every line was read; else 3. */
export function exitCodeForCounts(counts: ReportCounts): 0 | 3 {
  return counts.failed > 0 || counts.partial > 0 || counts.rejectedLines > 0 ? 3 : 0;
}

/** "1 clip", "2 clips" */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function summaryLine(counts: ReportCounts): string {
  return (
    `${plural(counts.videos, 'video')}: ${counts.succeeded} succeeded, ${counts.partial} partial, ` +
    `${counts.skipped} skipped, ${counts.failed} failed` +
    (counts.failed > 0 && counts.byErrorType
      ? ` (${Object.entries(counts.byErrorType)
          .map(([type, n]) => `${type} ${n}`)
          .join(', ')})`
      : '') +
    (counts.cancelled > 0 ? `, ${counts.cancelled} cancelled` : '') +
    `; ${plural(counts.clips, 'clip')}` +
    (counts.rejectedLines > 0 ? `; ${plural(counts.rejectedLines, 'URL line')} rejected` : '')
  );
}
