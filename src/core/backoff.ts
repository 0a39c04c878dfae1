// The batch's shared download backoff, as a pure decision: a rate limit or a bot check
// reported by one video pauses every download of the batch, for a time that doubles
// with each pause in a row; after maxPauses in a row the batch gives its downloads up.
import type { DownloadBlocked, DownloadsAbandoned, DownloadsPaused } from './batch-input.js';

export interface BackoffState {
  /** Consecutive pauses without a successful download. */
  pauses: number;
  paused: DownloadsPaused | null;
  abandoned: DownloadsAbandoned | null;
}

export interface BackoffLimits {
  backoffSeconds: number;
  maxPauses: number;
}

export type BackoffDecision =
  { kind: 'none' } | { kind: 'pause'; paused: DownloadsPaused } | { kind: 'abandon'; abandoned: DownloadsAbandoned };

/** The pause running at `now`, if any. */
export function pauseInEffect(state: BackoffState, now: number): DownloadsPaused | null {
  return state.paused !== null && now < state.paused.until ? state.paused : null;
}

/** What a blocked download changes; during a pause (or once given up) nothing. */
export function onDownloadBlocked(
  state: BackoffState,
  blocked: DownloadBlocked,
  now: number,
  limits: BackoffLimits,
): { state: BackoffState; decision: BackoffDecision } {
  if (state.abandoned || pauseInEffect(state, now)) return { state, decision: { kind: 'none' } };
  const pauses = state.pauses + 1;
  if (pauses > limits.maxPauses) {
    const abandoned = {
      errorType: blocked.errorType,
      message:
        `downloads stopped after ${limits.maxPauses} pauses without a successful download ` +
        `(${blocked.errorType}): ${blocked.message}`,
    };
    return { state: { ...state, pauses, abandoned }, decision: { kind: 'abandon', abandoned } };
  }
  const paused: DownloadsPaused = {
    until: now + limits.backoffSeconds * 1000 * 2 ** (pauses - 1),
    errorType: blocked.errorType,
    message: blocked.message,
    pause: pauses,
    maxPauses: limits.maxPauses,
  };
  return { state: { ...state, pauses, paused }, decision: { kind: 'pause', paused } };
}
