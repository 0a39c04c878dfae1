// One source of truth for defaults, queue names and timeouts.
// Workflow code may import names from here (queue names, workflow types) but never a
// default: a batch takes its defaults once, through a local activity that records
// POLICY_DEFAULTS in its history (src/workflows/policy.ts), so changing a value here
// never changes the commands of a batch already running.
import type { PolicyDefaults } from './core/batch-input.js';

/** Task queue polled for workflows and for activities any host may run. */
export const SHARED_TASK_QUEUE = 'vstream';

/** Activities that touch a host's disk (download, verify, delete) run on that host's queue. */
export function hostTaskQueue(hostId: string): string {
  return `vstream-host-${hostId}`;
}

/**
 * A host's ping queue, served by a worker of its own with room to spare: a host activity
 * that did not start within the host timeout moves its video only when this stays
 * unanswered too (a host busy with long downloads or encodes is not a host gone).
 */
export function hostPingTaskQueue(hostQueue: string): string {
  return `${hostQueue}-ping`;
}

/** One queue per GPU of a host: its worker runs as many NVENC sessions as the device allows. */
export function gpuTaskQueue(hostId: string, deviceId: number): string {
  return `vstream-gpu-${hostId}-${deviceId}`;
}

/** A host without usable NVENC encodes with libx265 on this queue. */
export function cpuTaskQueue(hostId: string): string {
  return `vstream-cpu-${hostId}`;
}

export const WORKFLOW_TYPES = {
  batch: 'batchWorkflow',
  video: 'videoWorkflow',
} as const;

/** Encode settings that define the output; part of the batch ID and of each video's manifest. */
export const DEFAULT_ENCODE_SETTINGS = {
  width: 1280,
  height: 720,
  fps: 30,
  /** VBR target and peak, as the original's NVENC settings. */
  maxrateKbps: 4000,
  bufsizeKbits: 8000,
  gop: 240,
} as const;

/**
 * libx265 rate control of a NEW output folder: constant quality capped at maxrateKbps /
 * bufsizeKbits (VBV). Chosen from `npm run bench:rate` (README, Rate control). Not part of
 * DEFAULT_ENCODE_SETTINGS: settings without it mean ABR, which running batches and older
 * output folders keep.
 */
export const DEFAULT_X265_CRF = 23;

export const RUN_DEFAULTS = {
  workers: 2,
  /**
   * Videos downloaded ahead of the encoders, per worker: each encoder finds its next
   * source on disk when it finishes (at the cost of one more source on disk each).
   */
  downloadAheadPerWorker: 1,
  startDelaySeconds: 15,
  deviceId: 0,
  logLevel: 'info',
  encoder: 'auto',
  /** libx265 preset for the CPU encoder: a quality/speed middle ground on few cores. */
  x265Preset: 'fast',
  /** Whole videos, as the original: auto saves bandwidth on sparse clips at the cost of a metadata call. */
  downloadMode: 'full',
} as const;

export const WORKER_DEFAULTS = {
  namespace: 'default',
  /** `vstream worker`'s Worker Deployment; its build ID is vstream's version. */
  deploymentName: 'vstream',
  /** Where `vstream worker` finds Temporal unless told otherwise. */
  temporalAddress: '127.0.0.1:7233',
  /** Downloads at once on one host. */
  downloadSlots: 2,
  /** Pings answered at once by a host (each takes a moment; the queue must never be full). */
  pingSlots: 20,
  /** Concurrent NVENC sessions per GPU (GeForce cards cap a whole system at 8). */
  sessionsPerGpu: 2,
  /** libx265 is multi-threaded: about one encode per four cores keeps them busy. */
  coresPerCpuEncode: 4,
  /** Running activities may finish this long after a worker is asked to stop. */
  shutdownGraceTime: '30s',
  /** `vstream run` on Ctrl-C: running downloads and encodes may finish for this long, then are cancelled. */
  runGraceSeconds: 30,
  /** --metrics-port listens here: this host only unless told otherwise (compose binds 0.0.0.0). */
  metricsAddress: '127.0.0.1',
} as const;

/** How a client command reaches a Temporal server it was given. */
export const CONNECTION_DEFAULTS = {
  /**
   * A TLS handshake beside the client's connect waits this long for the server's verdict:
   * a server that refuses the client (mTLS) says so in an alert the SDK's client only
   * retries until its 10 s deadline.
   */
  tlsVerdictMs: 5_000,
} as const;

/** The live progress of `vstream run` and `vstream status --watch`. */
export const PROGRESS_DEFAULTS = {
  /** How often the display asks the batch and its videos where they are. */
  pollMs: 1_000,
  /** Long activities heartbeat this often (or a third of their heartbeat timeout, if less)... */
  heartbeatEveryMs: 2_000,
  /** ...and the worker sends the details on at least this often (the SDK's default: 0.8 x the timeout). */
  heartbeatThrottleMs: 2_000,
  /** Without a terminal: a status line after this long without a line. */
  plainStatusEveryMs: 30_000,
  /** At the end, the last look is tried this many times (pollMs apart) before giving up. */
  finalLookTries: 5,
  /** `status --watch` stops when the batch's server has not answered for this long. */
  watchLostAfterMs: 10_000,
} as const;

export const BATCH_DEFAULTS = {
  /** Videos read from the snapshot per readVideoPage call. */
  pageSize: 200,
  /** Child starts per batch run before continue-as-new (about 12 history events each). */
  maxStartsPerRun: 400,
  /** Finished videos kept in the progress query for display. */
  recentLimit: 100,
  /** How long a cancelled batch waits for its videos to clean up and report. */
  cancelWaitMinutes: 10,
  /** How many hosts a video may lose before it fails. */
  maxHostAttempts: 5,
  /** First pause of every download after a rate limit or bot check; each next one doubles. */
  backoffSeconds: 600,
  /** Consecutive pauses without a successful download before the batch gives up its downloads. */
  maxPauses: 5,
  /** A video blocked by a rate limit waits this long at most for the batch's answer, then tries again. */
  maxPauseAnswerMinutes: 10,
} as const;

export const ACTIVITY_DEFAULTS = {
  /** Long activities heartbeat at least this often while their process runs. */
  heartbeatTimeoutSeconds: 30,
  /**
   * A host activity no worker of its host picks up in this time means the host is gone:
   * the video starts over on another host.
   */
  hostTimeoutSeconds: 300,
  // Attempts also end when a worker dies mid-activity: allow a few restarts.
  download: { startToCloseMinutes: 180, maximumAttempts: 5, initialIntervalSeconds: 10 },
  encode: { startToCloseMinutes: 240, maximumAttempts: 5, initialIntervalSeconds: 5 },
  quick: { startToCloseMinutes: 2, maximumAttempts: 10, initialIntervalSeconds: 1 },
  report: { startToCloseMinutes: 30, maximumAttempts: 10, initialIntervalSeconds: 1 },
} as const;

/**
 * Encoding while the source downloads (src/core/growing-source.ts, src/tools/early-encodes.ts):
 * a download that finds an encoder of its host idle starts its video's encode as soon as the
 * file's index is on disk, instead of leaving the cores idle until the last byte.
 */
export const GROWING_SOURCE_DEFAULTS = {
  /** How often a download looks at its growing file until the encode can start. */
  pollMs: 100,
  /** Head bytes read to find an MP4's index. */
  headBytes: 64 * 1024,
  /**
   * Started only when the rest of the source should arrive within this long: an encode
   * waiting on a slow download holds its encoder from sources already downloaded.
   */
  startWithinSeconds: 30,
  /** A pass reads the growing file only when its clips end at least this long before the source. */
  endMarginSeconds: 1,
  /** ffmpeg ends its input after this long without new bytes (a stalled download). */
  readTimeoutSeconds: 60,
  /** An encode started early that no encode activity has taken this long after its download is stopped. */
  unclaimedSeconds: 600,
} as const;

/** The defaults a batch's policy is resolved from, on its first run (see the head of this file). */
export const POLICY_DEFAULTS: PolicyDefaults = {
  settings: { ...DEFAULT_ENCODE_SETTINGS },
  workers: RUN_DEFAULTS.workers,
  startDelaySeconds: RUN_DEFAULTS.startDelaySeconds,
  pageSize: BATCH_DEFAULTS.pageSize,
  maxStartsPerRun: BATCH_DEFAULTS.maxStartsPerRun,
  recentLimit: BATCH_DEFAULTS.recentLimit,
  cancelWaitMinutes: BATCH_DEFAULTS.cancelWaitMinutes,
  backoffSeconds: BATCH_DEFAULTS.backoffSeconds,
  maxPauses: BATCH_DEFAULTS.maxPauses,
  heartbeatTimeoutSeconds: ACTIVITY_DEFAULTS.heartbeatTimeoutSeconds,
  hostTimeoutSeconds: ACTIVITY_DEFAULTS.hostTimeoutSeconds,
  maxHostAttempts: BATCH_DEFAULTS.maxHostAttempts,
  maxPauseAnswerMinutes: BATCH_DEFAULTS.maxPauseAnswerMinutes,
  activities: {
    download: { ...ACTIVITY_DEFAULTS.download },
    encode: { ...ACTIVITY_DEFAULTS.encode },
    quick: { ...ACTIVITY_DEFAULTS.quick },
    report: { ...ACTIVITY_DEFAULTS.report },
  },
};

/** The `source` field of every line the Temporal SDK logs (the terminal leaves them to the log file). */
export const SDK_LOG_SOURCE = 'temporal';

/** Reserved folder under the output directory for vstream's own state. */
export const STATE_DIR_NAME = '_vstream';
export const MANIFEST_FILE_NAME = '_vstream.json';

/**
 * The Temporal server of the production stack: docker-compose.yml's temporalio/server and
 * admin-tools tags and the native build (`npm run cluster`) use this release; a unit test
 * holds them (and README) to it. The Go toolchain is the oldest that builds it.
 */
export const TEMPORAL_SERVER = { version: '1.32.2', goToolchain: 'go1.27.3' } as const;
