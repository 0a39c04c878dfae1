// Activity proxies built from a batch's policy, never from config.ts (histories outlive defaults).
import {
  ActivityCancellationType,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { EncodeActivities, HostActivities, PingActivities, SharedActivities } from '../activities/index.js';
import { hostPingTaskQueue } from '../config.js';
import type { ActivityProfile, VideoPolicy } from '../core/batch-input.js';

/** Activity options from one of the policy's profiles. */
export function activityOptions(profile: ActivityProfile, extra: ActivityOptions = {}): ActivityOptions {
  return {
    startToCloseTimeout: `${profile.startToCloseMinutes}m`,
    retry: { initialInterval: `${profile.initialIntervalSeconds}s`, maximumAttempts: profile.maximumAttempts },
    ...extra,
  };
}

/** Activities any worker runs: as remote activities, or as local ones of the workflow's worker. */
export function sharedActivities(profile: ActivityProfile) {
  return {
    remote: proxyActivities<SharedActivities>(activityOptions(profile)),
    local: proxyLocalActivities<SharedActivities>(activityOptions(profile)),
  };
}

/**
 * Activities routed to the host that verified the video: its disk holds the source.
 * Since 0.2 they must start within the host timeout, or the host is taken for gone.
 */
export function hostActivities(
  taskQueue: string,
  heartbeatTimeoutSeconds: number,
  policy: VideoPolicy,
  hostTimeoutSeconds?: number,
) {
  const heartbeatTimeout = `${heartbeatTimeoutSeconds}s` as const;
  const scheduleToStart = hostTimeoutSeconds ? { scheduleToStartTimeout: `${hostTimeoutSeconds}s` as const } : {};
  // On cancellation, wait until the activity has killed its process and removed its files.
  const cancellationType = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;
  const long = { taskQueue, heartbeatTimeout, cancellationType, ...scheduleToStart };
  const { download } = proxyActivities<HostActivities>(activityOptions(policy.download, long));
  const { encodeClips } = proxyActivities<HostActivities>(activityOptions(policy.encode, long));
  const { deleteSource, finishVideo } = proxyActivities<HostActivities>(
    activityOptions(policy.quick, { taskQueue, ...scheduleToStart }),
  );
  return { download, encodeClips, deleteSource, finishVideo };
}

/** The encode activity on one GPU (or the CPU) queue of the downloading host. */
export function encodeActivity(
  taskQueue: string,
  heartbeatTimeoutSeconds: number,
  hostTimeoutSeconds: number,
  policy: VideoPolicy,
) {
  return proxyActivities<EncodeActivities>(
    activityOptions(policy.encode, {
      taskQueue,
      heartbeatTimeout: `${heartbeatTimeoutSeconds}s`,
      scheduleToStartTimeout: `${hostTimeoutSeconds}s`,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }),
  ).encodeClips;
}

/**
 * How long a ping waits for the host at most: a live host's ping worker has room at once,
 * so this only bounds how late a gone host is found. Frozen here (a workflow's behaviour,
 * not a default): min(host timeout, this).
 */
const PING_WAIT_SECONDS = 30;

/** The host's ping (PATCHES.busyHost): answered while the host's process runs. */
export function pingActivity(hostQueue: string, hostTimeoutSeconds: number) {
  const wait = Math.min(hostTimeoutSeconds, PING_WAIT_SECONDS);
  return proxyActivities<PingActivities>({
    taskQueue: hostPingTaskQueue(hostQueue),
    scheduleToStartTimeout: `${wait}s`,
    startToCloseTimeout: `${wait}s`,
    retry: { maximumAttempts: 1 },
  }).pingHost;
}
