import type { BatchContinuation, FinishedEntry, VideoFinished } from '../core/batch-input.js';
import { countOf, emptyStatusCounts } from '../core/report.js';
import type { PriorResult, StatusCounts } from '../core/types.js';

/**
 * A video an earlier run of the batch finished for good is not run again; one whose
 * clip file appeared or changed since (stale: only reported when the batch asks) is.
 */
export function isSettled(prior: PriorResult | null | undefined, retryFailed: boolean): prior is PriorResult {
  if (!prior || prior.stale) return false;
  if (prior.status === 'succeeded' || prior.status === 'skipped') return true;
  if (prior.status === 'partial' || prior.status === 'failed') return !retryFailed;
  return false; // cancelled: continue it
}

/**
 * The batch's sliding window: the videos in flight (by ID, in start order) and the
 * tally of those that finished. Videos report by signal; a repeated or stray report
 * changes nothing.
 */
export class VideoWindow {
  readonly inFlight: Set<string>;
  readonly counts: StatusCounts;
  clips: number;
  /** The latest finished videos, for display. */
  readonly recent: FinishedEntry[] = [];
  /** The last finished video's `seq`: 0 until one finishes in this run. */
  private lastSeq = 0;

  constructor(
    carried: BatchContinuation | undefined,
    private readonly recentLimit: number,
  ) {
    this.inFlight = new Set(carried?.inFlight ?? []);
    // Runs before 0.2 carried no `cancelled` count.
    this.counts = { ...emptyStatusCounts(), ...carried?.counts };
    this.clips = carried?.clips ?? 0;
  }

  get size(): number {
    return this.inFlight.size;
  }

  get done(): number {
    return countOf(this.counts);
  }

  /** In the set before its start: a fast video may report before its start resolves. */
  add(videoId: string): void {
    this.inFlight.add(videoId);
  }

  /** The videoFinished signal. */
  finished(report: VideoFinished): void {
    if (!this.inFlight.delete(report.videoId)) return;
    // Consecutive numbers: the first after every video done or settled so far, then one
    // more each. Videos settled later (their page read since) do not make the numbers skip.
    const seq = this.lastSeq === 0 ? this.done + 1 : this.lastSeq + 1;
    this.lastSeq = seq;
    this.counts[report.status]++;
    this.clips += report.clips;
    this.recent.push({ ...report, seq });
    if (this.recent.length > this.recentLimit) this.recent.shift();
  }

  /** A video an earlier run settled: counted, not started. */
  settled(prior: PriorResult): void {
    this.counts[prior.status]++;
    this.clips += prior.clips;
  }
}
