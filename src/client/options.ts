import { resolve } from 'node:path';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { z } from 'zod';
import {
  ACTIVITY_DEFAULTS,
  BATCH_DEFAULTS,
  DEFAULT_ENCODE_SETTINGS,
  RUN_DEFAULTS,
  WORKER_DEFAULTS,
} from '../config.js';
import { CRF_RANGE } from '../core/encode-settings.js';
import { batchIdProblem } from '../core/hashing.js';
import type { DownloadMode } from '../core/sections.js';
import type { EncodeSettings, EncoderChoice } from '../core/types.js';
import { vstreamVersion } from '../worker/deployment.js';
import { UsageError } from './exit-codes.js';
import { LOG_LEVELS } from './logger.js';

export const X265_PRESETS = [
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
] as const;
export const ENCODER_CHOICES = ['auto', 'nvenc', 'x265'] as const;

const wholeNumber = (flag: string, min: number) =>
  z.coerce
    .number({ error: `${flag} must be a number` })
    .int({ error: `${flag} must be a whole number` })
    .min(min, { error: `${flag} must be at least ${min}` });

const oneOf = <T extends readonly [string, ...string[]]>(flag: string, values: T) =>
  z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(values, { error: `${flag} must be one of ${values.join(', ')}` }));

const address = z.string().regex(/^[^\s:/]+:\d{1,5}$/, { error: '--temporal-address must be HOST:PORT' });

const gigabytes = z.coerce
  .number({ error: '--max-temp-gb must be a number' })
  .positive({ error: '--max-temp-gb must be more than 0' })
  .optional();

/** --crf: a CRF, null for `off` (ABR, the original's reading), undefined when not given. */
const crfChoice = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .refine((s) => s === 'off' || (/^\d+$/.test(s) && Number(s) >= CRF_RANGE.min && Number(s) <= CRF_RANGE.max), {
    error: `--crf must be a whole number from ${CRF_RANGE.min} to ${CRF_RANGE.max}, or off`,
  })
  .transform((s) => (s === 'off' ? null : Number(s)))
  .optional();

/** Options shared by every command that hosts a worker. */
const workerFields = {
  maxTempGb: gigabytes,
  encodeWhileDownloading: z.boolean().default(true),
  logLevel: oneOf('--log-level', LOG_LEVELS),
  encoder: oneOf('--encoder', ENCODER_CHOICES),
  x265Preset: oneOf('--x265-preset', X265_PRESETS),
  namespace: z.string().min(1, { error: '--namespace must not be empty' }),
  metricsPort: wholeNumber('--metrics-port', 1)
    .max(65535, { error: '--metrics-port must be at most 65535' })
    .optional(),
  metricsAddress: z.string().regex(/^[^\s/]+$/, { error: '--metrics-address must be an IP address or host name' }),
};

/** Where the Prometheus endpoint listens (--metrics-port), or null: no metrics. */
export interface MetricsOptions {
  port: number;
  address: string;
}

function metricsOptions(o: { metricsPort?: number; metricsAddress: string }): MetricsOptions | null {
  return o.metricsPort === undefined ? null : { port: o.metricsPort, address: o.metricsAddress };
}

const runSchema = z.object({
  urlsFile: z.string(),
  inputClipDir: z.string(),
  outputDir: z.string(),
  workers: wholeNumber('--workers', 1).max(500, { error: '--workers must be at most 500' }),
  downloadAhead: wholeNumber('--download-ahead', 0)
    .max(500, { error: '--download-ahead must be at most 500' })
    .optional(),
  startDelay: z.coerce
    .number({ error: '--start-delay must be a number' })
    .min(0, { error: '--start-delay must not be negative' }),
  width: wholeNumber('--width', 2),
  height: wholeNumber('--height', 2),
  fps: wholeNumber('--fps', 1),
  crf: crfChoice,
  workDir: z.string().optional(),
  temporalAddress: address.optional(),
  batchId: z
    .string()
    .optional()
    .refine((id) => id === undefined || batchIdProblem(id) === null, {
      error: '--batch-id must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}',
    }),
  retryFailed: z.boolean().default(false),
  heartbeatTimeout: wholeNumber('--heartbeat-timeout', 1),
  graceTime: wholeNumber('--grace-time', 0),
  deviceId: wholeNumber('--device-id', 0),
  format: z.string().min(1, { error: '--format must not be empty' }).optional(),
  backoff: z.coerce
    .number({ error: '--backoff must be a number of seconds' })
    .positive({ error: '--backoff must be more than 0' }),
  maxPauses: wholeNumber('--max-pauses', 0),
  downloadAttempts: wholeNumber('--download-attempts', 1),
  downloadMode: oneOf('--download-mode', ['full', 'sections', 'auto'] as const),
  downloadRetryInterval: z.coerce
    .number({ error: '--download-retry-interval must be a number of seconds' })
    .positive({ error: '--download-retry-interval must be more than 0' }),
  ...workerFields,
});

export interface RunOptions {
  urlsFile: string;
  clipDir: string;
  outDir: string;
  workDir: string | undefined;
  workers: number;
  /** Videos in flight beyond `workers`, downloading while the others encode. */
  downloadAhead: number;
  startDelaySeconds: number;
  /** Without `crf`: the run's rate control is resolved against the output folder (resolveRateControl). */
  settings: EncodeSettings;
  /** libx265 rate control asked for: a CRF, null for `--crf off` (ABR), undefined when not given. */
  requestedCrf: number | null | undefined;
  deviceId: number;
  logLevel: (typeof LOG_LEVELS)[number];
  encoder: EncoderChoice;
  x265Preset: string;
  temporalAddress: string | undefined;
  namespace: string;
  batchId: string | undefined;
  retryFailed: boolean;
  heartbeatTimeoutSeconds: number;
  graceSeconds: number;
  maxTempGb: number | undefined;
  encodeWhileDownloading: boolean;
  format: string | undefined;
  backoffSeconds: number;
  maxPauses: number;
  downloadAttempts: number;
  downloadRetryIntervalSeconds: number;
  downloadMode: DownloadMode;
  metrics: MetricsOptions | null;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? issue.message : 'invalid options';
}

/** Validates commander's raw option values; paths become absolute. */
export function parseRunOptions(raw: Record<string, unknown>): RunOptions {
  const parsed = runSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(firstIssue(parsed.error));
  const o = parsed.data;
  const settings: EncodeSettings = { ...DEFAULT_ENCODE_SETTINGS, width: o.width, height: o.height, fps: o.fps };
  if (settings.width % 2 !== 0 || settings.height % 2 !== 0)
    throw new UsageError('--width and --height must be even (4:2:0 video)');
  return {
    urlsFile: resolve(o.urlsFile),
    clipDir: resolve(o.inputClipDir),
    outDir: resolve(o.outputDir),
    workDir: o.workDir === undefined ? undefined : resolve(o.workDir),
    workers: o.workers,
    downloadAhead: o.downloadAhead ?? o.workers * RUN_DEFAULTS.downloadAheadPerWorker,
    startDelaySeconds: o.startDelay,
    settings,
    requestedCrf: o.crf,
    deviceId: o.deviceId,
    logLevel: o.logLevel,
    encoder: o.encoder,
    x265Preset: o.x265Preset,
    temporalAddress: o.temporalAddress,
    namespace: o.namespace,
    batchId: o.batchId,
    retryFailed: o.retryFailed,
    heartbeatTimeoutSeconds: o.heartbeatTimeout,
    graceSeconds: o.graceTime,
    maxTempGb: o.maxTempGb,
    encodeWhileDownloading: o.encodeWhileDownloading,
    format: o.format,
    backoffSeconds: o.backoff,
    maxPauses: o.maxPauses,
    downloadAttempts: o.downloadAttempts,
    downloadRetryIntervalSeconds: o.downloadRetryInterval,
    downloadMode: o.downloadMode,
    metrics: metricsOptions(o),
  };
}

const gpuList = z
  .string()
  .regex(/^\d+(,\d+)*$/, { error: '--gpus must be a comma-separated list of GPU indices, e.g. 0,1' })
  .transform((s) => [...new Set(s.split(',').map(Number))]);

const workerSchema = z.object({
  temporalAddress: address,
  hostId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { error: '--host-id must match [A-Za-z0-9._-]{1,64}' }),
  gpus: gpuList.optional(),
  sessionsPerGpu: wholeNumber('--sessions-per-gpu', 1),
  downloadSlots: wholeNumber('--download-slots', 1),
  cpuSlots: wholeNumber('--cpu-slots', 1).optional(),
  workDir: z.string().optional(),
  versioning: z.boolean().default(true),
  deploymentName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, {
    error: '--deployment-name must match [A-Za-z0-9][A-Za-z0-9_-]{0,99}',
  }),
  buildId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/, { error: '--build-id must match [A-Za-z0-9][A-Za-z0-9._+-]{0,127}' })
    .optional(),
  ...workerFields,
});

export interface WorkerOptions {
  temporalAddress: string;
  namespace: string;
  hostId: string;
  /** Undefined: every GPU nvidia-smi lists. */
  gpus: number[] | undefined;
  sessionsPerGpu: number;
  downloadSlots: number;
  cpuSlots: number | undefined;
  workDir: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  encoder: EncoderChoice;
  x265Preset: string;
  maxTempGb: number | undefined;
  encodeWhileDownloading: boolean;
  /** The Worker Deployment version this host polls as (build ID: vstream's version); null with --no-versioning. */
  deployment: WorkerDeploymentVersion | null;
  metrics: MetricsOptions | null;
}

export function parseWorkerOptions(raw: Record<string, unknown>): WorkerOptions {
  const parsed = workerSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(firstIssue(parsed.error));
  const { versioning, deploymentName, buildId, metricsPort, metricsAddress, ...o } = parsed.data;
  return {
    ...o,
    gpus: o.gpus,
    cpuSlots: o.cpuSlots,
    workDir: o.workDir === undefined ? undefined : resolve(o.workDir),
    maxTempGb: o.maxTempGb,
    deployment: versioning ? { deploymentName, buildId: buildId ?? vstreamVersion() } : null,
    metrics: metricsOptions({ metricsPort, metricsAddress }),
  };
}

/** Commander's defaults, from the one defaults module. */
export const OPTION_DEFAULTS = {
  workers: String(RUN_DEFAULTS.workers),
  startDelay: String(RUN_DEFAULTS.startDelaySeconds),
  width: String(DEFAULT_ENCODE_SETTINGS.width),
  height: String(DEFAULT_ENCODE_SETTINGS.height),
  fps: String(DEFAULT_ENCODE_SETTINGS.fps),
  deviceId: String(RUN_DEFAULTS.deviceId),
  logLevel: RUN_DEFAULTS.logLevel,
  encoder: RUN_DEFAULTS.encoder,
  x265Preset: RUN_DEFAULTS.x265Preset,
  namespace: WORKER_DEFAULTS.namespace,
  deploymentName: WORKER_DEFAULTS.deploymentName,
  metricsAddress: WORKER_DEFAULTS.metricsAddress,
  temporalAddress: WORKER_DEFAULTS.temporalAddress,
  downloadSlots: String(WORKER_DEFAULTS.downloadSlots),
  sessionsPerGpu: String(WORKER_DEFAULTS.sessionsPerGpu),
  heartbeatTimeout: String(ACTIVITY_DEFAULTS.heartbeatTimeoutSeconds),
  graceTime: String(WORKER_DEFAULTS.runGraceSeconds),
  backoff: String(BATCH_DEFAULTS.backoffSeconds),
  maxPauses: String(BATCH_DEFAULTS.maxPauses),
  downloadAttempts: String(ACTIVITY_DEFAULTS.download.maximumAttempts),
  downloadRetryInterval: String(ACTIVITY_DEFAULTS.download.initialIntervalSeconds),
  downloadMode: RUN_DEFAULTS.downloadMode,
};
