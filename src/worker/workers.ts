import { availableParallelism } from 'node:os';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { DownloadSettings } from '../activities/deps.js';
import { createEarlyEncodeStarter, type VideoEarlyEncodes } from '../activities/encode.js';
import {
  createEncodeActivities,
  createHostActivities,
  createPingActivities,
  createSharedActivities,
  type EncodeDeps,
  type HostDeps,
  type Logger,
  type SharedDeps,
} from '../activities/index.js';
import {
  PROGRESS_DEFAULTS,
  SHARED_TASK_QUEUE,
  WORKER_DEFAULTS,
  cpuTaskQueue,
  gpuTaskQueue,
  hostPingTaskQueue,
  hostTaskQueue,
} from '../config.js';
import type { EncodeTopology, EncoderConfig } from '../core/types.js';
import type { ToolPaths } from '../tools/binaries.js';
import type { ScratchFiles } from '../tools/scratch.js';
import { VstreamMetrics } from '../tools/metrics.js';
import { EarlyEncodes } from '../tools/early-encodes.js';
import { EncodeQueues, Sessions } from '../tools/sessions.js';
import type { TempBudget } from '../tools/temp-budget.js';
import type { YtDlpRunner } from '../tools/ytdlp-runner.js';
import { versionedWorker } from './deployment.js';
import { failureEvents } from './failure-events.js';
import { workflowSource } from './workflow-source.js';

/** CPU encodes at once from the core count: libx265 threads each encode itself. */
export function defaultCpuSlots(cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / WORKER_DEFAULTS.coresPerCpuEncode));
}

export interface VstreamWorkersOptions {
  connection: NativeConnection;
  namespace: string;
  /** Names this host's queues; stable across restarts so retried activities find them again. */
  hostId: string;
  tools: ToolPaths;
  /** How yt-dlp runs (src/tools/ytdlp-runner.ts); without it, a process per run. The caller closes it. */
  ytDlp?: YtDlpRunner;
  logger: Logger;
  encode: EncodeTopology;
  /** Downloads (and verifications, deletions) at once on this host. */
  downloadSlots: number;
  /** This host's work dir for sources; without it, the batch's. */
  workDir?: string;
  scratch?: ScratchFiles;
  tempBudget?: TempBudget;
  downloads?: DownloadSettings;
  heartbeatIntervalMs?: number;
  /** How long running activities may finish after shutdown starts, before they are cancelled. */
  shutdownGraceTime?: string;
  maxCachedWorkflows?: number;
  /**
   * The shared queue (workflows) is polled as this deployment version; without it, unversioned.
   * Host and encode queues stay unversioned: a host's activities reach whichever vstream runs
   * there, so a host replaced in place, or not yet upgraded, finishes the videos it holds.
   */
  deployment?: WorkerDeploymentVersion;
  /** Record vstream's metrics on the runtime's meter (installed with a Prometheus endpoint). */
  metrics?: boolean;
  /** Start a video's encode while its source downloads when an encoder is idle (default true). */
  encodeWhileDownloading?: boolean;
}

export interface EncodeTarget {
  queue: string;
  encoder: EncoderConfig;
  capacity: number;
}

export interface VstreamWorkers {
  hostQueue: string;
  encodeTargets: EncodeTarget[];
  /** Resolves when every worker has stopped. */
  run(): Promise<void>;
  shutdown(): void;
}

export function encodeTargets(hostId: string, topology: EncodeTopology): EncodeTarget[] {
  return topology.kind === 'gpu'
    ? topology.devices.map((deviceId) => ({
        queue: gpuTaskQueue(hostId, deviceId),
        encoder: { kind: 'nvenc', deviceId },
        capacity: topology.sessionsPerGpu,
      }))
    : [{ queue: cpuTaskQueue(hostId), encoder: { kind: 'x265', preset: topology.preset }, capacity: topology.slots }];
}

/** A GPU's NVENC session budget; the gauge follows what its encodes hold. */
function nvencSessions(encoder: EncoderConfig, capacity: number, metrics?: VstreamMetrics): Sessions | undefined {
  if (encoder.kind !== 'nvenc') return undefined;
  return new Sessions(capacity, (inUse) => metrics?.nvencSessionsInUse(encoder.deviceId, inUse));
}

/**
 * One process per host (samples-typescript `worker-specific-task-queues`): the shared
 * queue for workflows, this host's queue for downloads, verifications and deletions
 * (at most downloadSlots at once), and one encode queue per GPU (at most its session
 * budget) or one CPU queue. A video's encode goes to the least loaded encode queue of
 * the host that downloaded its source.
 */
export async function createVstreamWorkers(options: VstreamWorkersOptions): Promise<VstreamWorkers> {
  const hostQueue = hostTaskQueue(options.hostId);
  const targets = encodeTargets(options.hostId, options.encode);
  const queues = new EncodeQueues(targets.map((t) => ({ name: t.queue, capacity: t.capacity })));
  const first = targets[0] as EncodeTarget;
  const metrics = options.metrics ? new VstreamMetrics(Runtime.instance().metricMeter) : undefined;
  metrics?.initialise(targets.map((t) => t.encoder));
  const shared: SharedDeps = { tools: options.tools, logger: options.logger, hostQueue, metrics };
  const earlyEncodes: VideoEarlyEncodes | undefined =
    options.encodeWhileDownloading === false ? undefined : new EarlyEncodes();
  const longRunning = { heartbeatIntervalMs: options.heartbeatIntervalMs, scratch: options.scratch, earlyEncodes };
  const encoders = new Map<string, EncodeDeps>(
    targets.map((target) => [
      target.queue,
      {
        ...shared,
        ...longRunning,
        encoder: target.encoder,
        encodeQueues: queues,
        encodeQueue: target.queue,
        sessions: nvencSessions(target.encoder, target.capacity, metrics),
      },
    ]),
  );
  const host: HostDeps = {
    ...shared,
    ...longRunning,
    encoder: first.encoder,
    encodeQueues: queues,
    tempBudget: options.tempBudget,
    downloads: options.downloads,
    workDir: options.workDir,
    ytDlp: options.ytDlp,
    ...(earlyEncodes ? { startEarlyEncode: createEarlyEncodeStarter(encoders, queues) } : {}),
  };
  const shutdownGraceTime = options.shutdownGraceTime ?? WORKER_DEFAULTS.shutdownGraceTime;
  // Heartbeat details reach the server within seconds: the live progress shows them.
  const maxHeartbeatThrottleInterval = PROGRESS_DEFAULTS.heartbeatThrottleMs;
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    shutdownGraceTime,
    interceptors: { activity: [failureEvents(options.logger)] },
  };
  // Created together: each loads its own native parts, the shared one the workflow bundle.
  const workers = await Promise.all([
    Worker.create({
      ...common,
      taskQueue: SHARED_TASK_QUEUE,
      ...workflowSource('prebuilt'),
      ...(options.deployment ? { workerDeploymentOptions: versionedWorker(options.deployment) } : {}),
      activities: createSharedActivities(shared),
      maxCachedWorkflows: options.maxCachedWorkflows ?? 500,
    }),
    Worker.create({
      ...common,
      taskQueue: hostQueue,
      activities: createHostActivities(host),
      maxConcurrentActivityTaskExecutions: options.downloadSlots,
      maxHeartbeatThrottleInterval,
    }),
    // Answers "is this host alive?" while its other slots are all busy.
    Worker.create({
      ...common,
      taskQueue: hostPingTaskQueue(hostQueue),
      activities: createPingActivities({ hostQueue }),
      maxConcurrentActivityTaskExecutions: WORKER_DEFAULTS.pingSlots,
    }),
    ...targets.map((target) =>
      Worker.create({
        ...common,
        taskQueue: target.queue,
        activities: createEncodeActivities(encoders.get(target.queue) as EncodeDeps),
        maxConcurrentActivityTaskExecutions: target.capacity,
        maxHeartbeatThrottleInterval,
      }),
    ),
  ]);
  return {
    hostQueue,
    encodeTargets: targets,
    run: async () => {
      await Promise.all(workers.map((w) => w.run()));
      // An encode started early whose video's encode activity never came (the host stopped first).
      await earlyEncodes?.stopAll();
    },
    shutdown: () => {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    },
  };
}
