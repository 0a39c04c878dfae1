import type { LineError, ReportCounts, StatusCounts, VideoResult, VideoStatus } from './types.js';

export function emptyStatusCounts(): StatusCounts {
  return { succeeded: 0, partial: 0, skipped: 0, failed: 0 };
}

export function countOf(counts: StatusCounts): number {
  return counts.succeeded + counts.partial + counts.skipped + counts.failed;
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

export function buildReport(input: ReportInput): Report {
  const statusCounts = emptyStatusCounts();
  let clips = 0;
  for (const video of input.videos) {
    statusCounts[video.status satisfies VideoStatus]++;
    clips += video.clips.length;
  }
  return {
    batchId: input.batchId,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    counts: { videos: input.videos.length, ...statusCounts, clips, rejectedLines: input.rejectedLines.length },
    rejectedLines: input.rejectedLines,
    videos: input.videos,
  };
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
    `${counts.skipped} skipped, ${counts.failed} failed; ${plural(counts.clips, 'clip')}` +
    (counts.rejectedLines > 0 ? `; ${plural(counts.rejectedLines, 'URL line')} rejected` : '')
  );
}
