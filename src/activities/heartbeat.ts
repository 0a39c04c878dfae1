import { Context } from '@temporalio/activity';
import { PROGRESS_DEFAULTS } from '../config.js';

/** Keeps an activity's heartbeat going while its process runs, with the latest progress. */
export function startHeartbeat(details: () => unknown, configuredMs: number | undefined): () => void {
  const context = Context.current();
  const timeoutMs = context.info.heartbeatTimeoutMs ?? 30_000;
  const intervalMs = configuredMs ?? Math.max(200, Math.min(PROGRESS_DEFAULTS.heartbeatEveryMs, timeoutMs / 3));
  const beat = () => context.heartbeat(details());
  beat();
  const timer = setInterval(beat, intervalMs);
  return () => clearInterval(timer);
}
