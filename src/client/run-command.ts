import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { checkOutputSettings, readSnapshotMeta } from '../tools/snapshot-store.js';
import { SHARED_TASK_QUEUE, STATE_DIR_NAME, WORKFLOW_TYPES } from '../config.js';
import type { BatchInput } from '../core/batch-input.js';
import { deriveBatchId } from '../core/hashing.js';
import * as layout from '../core/layout.js';
import { exitCodeForCounts, summaryLine, type Report } from '../core/report.js';
import type { BatchSummary, ReportCounts } from '../core/types.js';
import { resolveMediaTools } from '../tools/binaries.js';
import { describeTopology, selectTopology } from '../tools/encoder.js';
import { readJsonIfExists } from '../tools/fs.js';
import { ScratchFiles } from '../tools/scratch.js';
import { TempBudget } from '../tools/temp-budget.js';
import type { batchWorkflow } from '../workflows/batch.js';
import { installRuntime } from '../worker/runtime.js';
import type { DownloadSettings } from '../activities/deps.js';
import type { ConnectionSecurity } from './connection-options.js';
import { ytDlpAgeWarning } from './download-settings.js';
import { CliError, ExitCode, UsageError } from './exit-codes.js';
import { acquireRunLock } from './lock.js';
import { createLogger } from './logger.js';
import type { RunOptions } from './options.js';
import { followProgress } from './progress.js';
import { openSession, type Session } from './session.js';
import { Stopper } from './stopper.js';

async function requireInput(path: string, flag: string, kind: 'file' | 'dir'): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new UsageError(`${flag}: no such ${kind === 'file' ? 'file' : 'folder'}: ${path}`);
  if (kind === 'file' && !info.isFile()) throw new UsageError(`${flag}: not a file: ${path}`);
  if (kind === 'dir' && !info.isDirectory()) throw new UsageError(`${flag}: not a folder: ${path}`);
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Removes what a killed run left half-written in the output folder: temporary clip files. */
async function sweepTemporaryClips(outDir: string): Promise<number> {
  let removed = 0;
  const entries = await readdir(outDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name === STATE_DIR_NAME) continue;
    const folder = join(outDir, entry.name);
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names.filter(layout.isTempFileName)) {
      await rm(join(folder, name), { force: true });
      removed++;
    }
  }
  return removed;
}

export function printSummary(out: (line: string) => void, counts: ReportCounts, outDir: string, reportPath: string): void {
  out(`done: ${summaryLine(counts)}`);
  out(`clips: ${outDir}/<videoId>/`);
  out(`report: ${reportPath}`);
}

/**
 * `vstream run`: hosts a worker, starts or re-attaches to the batch on an embedded
 * Temporal dev server (or a given one), shows progress and prints a summary.
 */
export async function runCommand(
  options: RunOptions,
  security: ConnectionSecurity = {},
  downloads?: DownloadSettings,
  out: (line: string) => void = console.log,
): Promise<number> {
  await requireInput(options.urlsFile, '--urls-file', 'file');
  await requireInput(options.clipDir, '--input-clip-dir', 'dir');
  await mkdir(options.outDir, { recursive: true });
  const workDir = options.workDir ?? layout.defaultWorkDir(options.outDir);
  await mkdir(workDir, { recursive: true });

  const batchId = options.batchId ?? deriveBatchId({ urlsFile: options.urlsFile, clipDir: options.clipDir, outDir: options.outDir, settings: options.settings });
  const lock = await acquireRunLock(layout.lockPath(options.outDir), `output folder ${options.outDir}`);
  const logger = createLogger(options.logLevel, layout.logPath(options.outDir));
  const scratch = new ScratchFiles();
  const stopper = new Stopper(
    out,
    scratch,
    `vstream: stopping: no new videos; running downloads and encodes may finish for up to ${options.graceSeconds} s (Ctrl-C again to stop at once); running the same command again resumes`,
  );
  let session: Session | null = null;
  try {
    const mismatch = await checkOutputSettings(options.outDir, options.settings);
    if (mismatch) throw new UsageError(mismatch);

    const storedReport = await readJsonIfExists<Report>(layout.batchReportPath(options.outDir, batchId));
    // A cancelled batch is not finished: running it again continues it.
    if (storedReport && !options.retryFailed && !(storedReport.counts.cancelled > 0)) {
      out(`vstream: batch ${batchId} already finished at ${storedReport.finishedAt}; nothing to do (--retry-failed runs failed and partial videos again)`);
      const meta = await readSnapshotMeta(options.outDir, batchId);
      if (meta && meta.urlsSha256 !== (await fileSha256(options.urlsFile))) {
        out(`vstream: note: ${options.urlsFile} changed since the batch's snapshot of ${meta.createdAt}; the batch keeps its snapshot (use --batch-id to start another batch)`);
      }
      printSummary(out, storedReport.counts, options.outDir, layout.batchReportPath(options.outDir, batchId));
      return exitCodeForCounts(storedReport.counts);
    }

    if (!options.temporalAddress) {
      // Only this run writes here (the lock): a temporary file is a killed run's leftover.
      // With a shared server, other hosts' workers may be writing: their activities clean up.
      const removed = await sweepTemporaryClips(options.outDir);
      if (removed > 0) logger.info({ removed }, 'removed temporary clip files left by an earlier run');
    }

    const tools = resolveMediaTools();
    installRuntime(logger);
    void ytDlpAgeWarning(tools.ytDlp).then((warning) => warning && logger.warn({}, warning));
    // One host: NVENC on --device-id, or libx265; --workers encodes and downloads at once.
    const selection = selectTopology(options.encoder, {
      ffmpeg: tools.ffmpeg,
      gpus: [options.deviceId],
      sessionsPerGpu: options.workers,
      cpuSlots: options.workers,
      x265Preset: options.x265Preset,
    });
    selection.then((s) => s.warnings.forEach((w) => logger.warn({}, w))).catch(() => undefined);
    session = await openSession({
      outDir: options.outDir,
      temporalAddress: options.temporalAddress,
      namespace: options.namespace,
      logger,
      security,
      worker: {
        tools,
        topology: selection.then((s) => s.topology),
        downloadSlots: options.workers,
        graceSeconds: options.graceSeconds,
        scratch,
        tempBudget: options.maxTempGb ? new TempBudget(options.maxTempGb * 1024 ** 3) : undefined,
        downloads,
      },
    });
    await lock.update({ uiUrl: session.uiUrl ?? undefined, address: session.address });

    const input: BatchInput = {
      batchId,
      urlsFile: options.urlsFile,
      clipDir: options.clipDir,
      outDir: options.outDir,
      workDir,
      settings: options.settings,
      workers: options.workers,
      startDelaySeconds: options.startDelaySeconds,
      retryFailed: options.retryFailed,
      heartbeatTimeoutSeconds: options.heartbeatTimeoutSeconds,
      ...(options.format ? { format: options.format } : {}),
      backoffSeconds: options.backoffSeconds,
      maxPauses: options.maxPauses,
      downloadRetry: { maximumAttempts: options.downloadAttempts, initialIntervalSeconds: options.downloadRetryIntervalSeconds },
      downloadMode: options.downloadMode,
    };
    const { client } = session;
    const existing = await client.workflow
      .getHandle(batchId)
      .describe()
      .catch(() => null);
    const state = existing?.status.name === 'RUNNING' ? 'resuming' : storedReport ? 'continuing' : 'starting';
    const handle = await client.workflow.start<typeof batchWorkflow>(WORKFLOW_TYPES.batch, {
      taskQueue: SHARED_TASK_QUEUE,
      workflowId: batchId,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });

    out(`vstream: ${state} batch ${batchId} with ${describeTopology((await selection).topology)}`);
    if (session.uiUrl) out(`Temporal UI: ${session.uiUrl}/namespaces/${options.namespace}/workflows/${encodeURIComponent(batchId)}`);
    logger.info({ batchId, address: session.address, workDir }, 'batch attached');

    const progress = followProgress(handle, out);
    let outcome: { summary: BatchSummary } | 'stop';
    try {
      outcome = await Promise.race([handle.result().then((summary: BatchSummary) => ({ summary })), stopper.requested, session.failure]);
    } catch (err) {
      await progress.stop(false);
      if (err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure) {
        const report = await readJsonIfExists<Report>(layout.batchReportPath(options.outDir, batchId));
        out(`vstream: batch ${batchId} was cancelled; running the same command again continues it`);
        if (report) printSummary(out, report.counts, options.outDir, layout.latestReportPath(options.outDir));
        return ExitCode.cancelled;
      }
      if (err instanceof WorkflowFailedError) throw new CliError(`batch ${batchId} failed: ${err.cause?.message ?? err.message}`);
      throw err;
    }
    if (outcome === 'stop') {
      await progress.stop(false);
      await session.close();
      out('vstream: stopped; running the same command again resumes');
      return ExitCode.interrupted;
    }
    await progress.stop(true);
    printSummary(out, outcome.summary.counts, options.outDir, outcome.summary.reportPath);
    return exitCodeForCounts(outcome.summary.counts);
  } finally {
    stopper.dispose();
    await session?.close();
    await lock.release();
    // The batch's work folder holds nothing once its videos are done.
    await rmdir(layout.batchWorkDir(workDir, batchId)).catch(() => undefined);
    if (!options.workDir) await rmdir(workDir).catch(() => undefined);
  }
}
