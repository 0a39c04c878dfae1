// How a batch's policy is resolved from its input and a set of defaults. Pure: the
// batch workflow calls it with the defaults recorded in its history (or, for batches
// started before 0.3, with 0.2's frozen literals), never with config.ts directly.
import type { BatchInput, BatchPolicy, PolicyDefaults, VideoInput, VideoPolicy } from './batch-input.js';

/** The input's own values win; whatever it leaves out comes from the defaults. */
export function resolveBatchPolicy(input: BatchInput, defaults: PolicyDefaults): BatchPolicy {
  const retry = input.downloadRetry;
  return {
    settings: { ...defaults.settings, ...(input.settings ?? {}) },
    workers: input.workers ?? defaults.workers,
    startDelaySeconds: input.startDelaySeconds ?? defaults.startDelaySeconds,
    pageSize: input.pageSize ?? defaults.pageSize,
    maxStartsPerRun: input.maxStartsPerRun ?? defaults.maxStartsPerRun,
    recentLimit: defaults.recentLimit,
    cancelWaitMinutes: defaults.cancelWaitMinutes,
    backoffSeconds: input.backoffSeconds ?? defaults.backoffSeconds,
    maxPauses: input.maxPauses ?? defaults.maxPauses,
    heartbeatTimeoutSeconds: input.heartbeatTimeoutSeconds ?? defaults.heartbeatTimeoutSeconds,
    hostTimeoutSeconds: input.hostTimeoutSeconds ?? defaults.hostTimeoutSeconds,
    quick: { ...defaults.activities.quick },
    report: { ...defaults.activities.report },
    video: {
      maxHostAttempts: defaults.maxHostAttempts,
      maxPauseAnswerMinutes: defaults.maxPauseAnswerMinutes,
      download: {
        ...defaults.activities.download,
        ...(retry?.maximumAttempts !== undefined ? { maximumAttempts: retry.maximumAttempts } : {}),
        ...(retry?.initialIntervalSeconds !== undefined
          ? { initialIntervalSeconds: retry.initialIntervalSeconds }
          : {}),
      },
      encode: { ...defaults.activities.encode },
      quick: { ...defaults.activities.quick },
    },
  };
}

/** A video started without a policy (before 0.3): its batch's values rebuilt from its input. */
export function videoPolicyFromInput(input: VideoInput, defaults: PolicyDefaults): VideoPolicy {
  return resolveBatchPolicy(
    { urlsFile: '', clipDir: '', outDir: '', workDir: '', downloadRetry: input.downloadRetry },
    defaults,
  ).video;
}
