// What `vstream run` hands the batch workflow, from its options: pure, so it is unit-tested.
import { DEFAULT_X265_CRF } from '../config.js';
import type { BatchInput } from '../core/batch-input.js';
import { resolveRateControl } from '../core/encode-settings.js';
import { deriveBatchId } from '../core/hashing.js';
import type { EncodeSettings } from '../core/types.js';
import type { RunOptions } from './options.js';

/**
 * The run's settings, given what the output folder recorded (null: a new folder). Without
 * --crf: the folder's rate control (ABR for one made before --crf existed, so the same
 * command finds the same batch), or DEFAULT_X265_CRF for a new folder.
 */
export function withRateControl<T extends Pick<RunOptions, 'settings' | 'requestedCrf'>>(
  options: T,
  recorded: EncodeSettings | null,
): T {
  return {
    ...options,
    settings: resolveRateControl(options.settings, options.requestedCrf, recorded, DEFAULT_X265_CRF),
  };
}

/** --batch-id, or one derived from the paths and encode settings (the same command finds its batch again). */
export function runBatchId(
  options: Pick<RunOptions, 'batchId' | 'urlsFile' | 'clipDir' | 'outDir' | 'settings'>,
): string {
  const { urlsFile, clipDir, outDir, settings } = options;
  return options.batchId ?? deriveBatchId({ urlsFile, clipDir, outDir, settings });
}

export type BatchInputOptions = Pick<
  RunOptions,
  | 'urlsFile'
  | 'clipDir'
  | 'outDir'
  | 'settings'
  | 'workers'
  | 'downloadAhead'
  | 'startDelaySeconds'
  | 'retryFailed'
  | 'heartbeatTimeoutSeconds'
  | 'format'
  | 'backoffSeconds'
  | 'maxPauses'
  | 'downloadAttempts'
  | 'downloadRetryIntervalSeconds'
  | 'downloadMode'
>;

/** The batch workflow's input for a run; `format` is left out unless given (the workflow's default applies). */
export function batchInputFromOptions(
  options: BatchInputOptions,
  batchId: string,
  workDir: string,
): BatchInput & { batchId: string } {
  return {
    batchId,
    urlsFile: options.urlsFile,
    clipDir: options.clipDir,
    outDir: options.outDir,
    workDir,
    settings: options.settings,
    workers: options.workers,
    ...(options.downloadAhead > 0 ? { downloadAhead: options.downloadAhead } : {}),
    startDelaySeconds: options.startDelaySeconds,
    retryFailed: options.retryFailed,
    // The same command picks up clip files added or changed since the batch's videos were done.
    recheckClipFiles: true,
    heartbeatTimeoutSeconds: options.heartbeatTimeoutSeconds,
    ...(options.format ? { format: options.format } : {}),
    backoffSeconds: options.backoffSeconds,
    maxPauses: options.maxPauses,
    downloadRetry: {
      maximumAttempts: options.downloadAttempts,
      initialIntervalSeconds: options.downloadRetryIntervalSeconds,
    },
    downloadMode: options.downloadMode,
  };
}
