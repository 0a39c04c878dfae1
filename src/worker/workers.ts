import { NativeConnection, Worker } from '@temporalio/worker';
import { createHostActivities, createSharedActivities, type ActivityDeps } from '../activities/index.js';
import { SHARED_TASK_QUEUE, WORKER_DEFAULTS, hostTaskQueue } from '../config.js';
import { workflowSource } from './workflow-source.js';

export interface VstreamWorkersOptions {
  connection: NativeConnection;
  namespace: string;
  /** Names this host's queue; stable across restarts so retried activities find it again. */
  hostId: string;
  deps: Omit<ActivityDeps, 'hostQueue'>;
  /** Concurrent downloads + encodes on this host. */
  hostSlots: number;
  /** How long running activities may finish after shutdown starts, before they are cancelled. */
  shutdownGraceTime?: string;
  maxCachedWorkflows?: number;
}

export interface VstreamWorkers {
  hostQueue: string;
  /** Resolves when both workers have stopped. */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * One process, two workers (samples-typescript `worker-specific-task-queues`): the
 * shared queue for workflows and host-independent activities, and this host's queue
 * for the activities that need its disk.
 */
export async function createVstreamWorkers(options: VstreamWorkersOptions): Promise<VstreamWorkers> {
  const hostQueue = hostTaskQueue(options.hostId);
  const deps: ActivityDeps = { ...options.deps, hostQueue };
  const shutdownGraceTime = options.shutdownGraceTime ?? WORKER_DEFAULTS.shutdownGraceTime;
  const shared = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: SHARED_TASK_QUEUE,
    ...workflowSource(),
    activities: createSharedActivities(deps),
    maxCachedWorkflows: options.maxCachedWorkflows ?? 500,
    maxConcurrentActivityTaskExecutions: Math.max(4, options.hostSlots * 2),
    shutdownGraceTime,
  });
  const host = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: hostQueue,
    activities: createHostActivities(deps),
    maxConcurrentActivityTaskExecutions: options.hostSlots,
    shutdownGraceTime,
  });
  return {
    hostQueue,
    run: async () => {
      await Promise.all([shared.run(), host.run()]);
    },
    shutdown: () => {
      for (const worker of [shared, host]) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
      }
    },
  };
}
