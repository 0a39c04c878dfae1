import type { ActivityOptions } from '@temporalio/workflow';

export interface ActivityProfile {
  startToCloseMinutes: number;
  maximumAttempts: number;
  initialIntervalSeconds: number;
}

/** Activity options from one of config.ts's ACTIVITY_DEFAULTS profiles. */
export function activityOptions(profile: ActivityProfile, extra: ActivityOptions = {}): ActivityOptions {
  return {
    startToCloseTimeout: `${profile.startToCloseMinutes}m`,
    retry: { initialInterval: `${profile.initialIntervalSeconds}s`, maximumAttempts: profile.maximumAttempts },
    ...extra,
  };
}
