import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Logger } from '../activities/deps.js';
import { eventLogger, type EventSubject } from '../activities/events.js';
import { ErrorType } from '../core/errors.js';

/**
 * Logs every failed activity attempt once, as an `activity.failed` event (file only): the
 * terminal shows the video's end, from the run's progress, not each attempt.
 */
export function failureEvents(logger: Logger): ActivityInterceptorsFactory {
  return (context) => ({
    inbound: {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          if (!(err instanceof CancelledFailure)) {
            const failure = err instanceof ApplicationFailure ? err : null;
            const { activityType: activity, attempt } = context.info;
            eventLogger(logger, input.args[0] as EventSubject | undefined).event(
              'activity.failed',
              {
                activity,
                attempt,
                errorType: failure ? (failure.type ?? ErrorType.Unknown) : (err as Error).name,
                message: (err as Error).message,
                nonRetryable: failure?.nonRetryable ?? false,
              },
              `${activity} failed (attempt ${attempt}): ${(err as Error).message}`,
            );
          }
          throw err;
        }
      },
    },
  });
}
