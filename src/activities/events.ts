import { Context } from '@temporalio/activity';
import { batchIdOfWorkflow } from '../core/batch-input.js';
import { eventFields, type EventIds, type LogEventFields, type LogEventName } from '../core/log-events.js';
import type { Logger } from './deps.js';

/** What an activity's input says of its batch and video (inputs name them one of these ways). */
export interface EventSubject {
  batchId?: string;
  videoId?: string;
  video?: { videoId: string };
  result?: { videoId: string };
}

/** An activity's logger of events, bound to its batch and video. */
export interface EventLogger {
  readonly ids: EventIds;
  event<K extends LogEventName>(name: K, fields: LogEventFields[K], msg: string): void;
}

/** The batch and video of an activity: from its input, the batch from its workflow's ID when the input lacks it. */
export function eventIds(subject: EventSubject | undefined): EventIds {
  const videoId = subject?.videoId ?? subject?.video?.videoId ?? subject?.result?.videoId ?? null;
  if (subject?.batchId) return { batchId: subject.batchId, videoId };
  const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
  return { batchId: videoId ? batchIdOfWorkflow(workflowId, videoId) : workflowId, videoId };
}

/**
 * Events of one activity, one JSON line each (src/core/log-events.ts), at level info:
 * they go to the log file, not the terminal.
 */
export function eventLogger(logger: Logger, subject: EventSubject | undefined): EventLogger {
  const ids = eventIds(subject);
  return {
    ids,
    event: (name, fields, msg) => logger.info(eventFields(name, ids, fields), msg),
  };
}
