import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { checkOutputSettings, readSnapshotMeta } from '../activities/batch.js';
import { SHARED_TASK_QUEUE, STATE_DIR_NAME, WORKER_DEFAULTS, WORKFLOW_TYPES } from '../config.js';
import type { BatchInput, BatchProgress } from '../core/batch-input.js';
import { deriveBatchId } from '../core/hashing.js';
import * as layout from '../core/layout.js';
import { exitCodeForCounts, plural, summaryLine, type Report } from '../core/report.js';
import type { BatchSummary, ReportCounts } from '../core/types.js';
import { launchDevServer, type LaunchedDevServer } from '../server/dev-server.js';
import { resolveMediaTools, resolveTool } from '../tools/binaries.js';
import { describeEncoder, selectEncoder } from '../tools/encoder.js';
import { readJsonIfExists } from '../tools/fs.js';
import type { batchWorkflow } from '../workflows/batch.js';
import { progressQuery } from '../workflows/definitions.js';
import { installRuntime } from '../worker/runtime.js';
import { createVstreamWorkers } from '../worker/workers.js';
import { CliError, ExitCode, UsageError } from './exit-codes.js';
import { acquireRunLock } from './lock.js';
import { createLogger } from './logger.js';
import type { RunOptions } from './options.js';

const PROGRESS_POLL_MS = 1_000;
const QUIET_STATUS_EVERY_MS = 30_000;
/** The server drains for a second on SIGTERM; after a finished batch nothing is left to drain. */
const SERVER_STOP_GRACE_MS = 300;

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

function describeFinished(entry: BatchProgress['recent'][number], total: number): string {
  const what =
    entry.status === 'succeeded'
      ? `succeeded, ${plural(entry.clips, 'clip')}`
      : `${entry.status}${entry.errorType ? ` (${entry.errorType})` : ''}${entry.clips > 0 ? `, ${plural(entry.clips, 'clip')}` : ''}: ${entry.reason ?? ''}`;
  return `[${entry.seq}/${total}] ${entry.videoId}: ${what}`;
}

/**
 * `vstream run`: hosts a worker, starts or re-attaches to the batch on an embedded
 * Temporal dev server (or a given one), shows progress and prints a summary.
 */
export async function runCommand(options: RunOptions, out: (line: string) => void = console.log): Promise<number> {
  await requireInput(options.urlsFile, '--urls-file', 'file');
  await requireInput(options.clipDir, '--input-clip-dir', 'dir');
  await mkdir(options.outDir, { recursive: true });
  const workDir = options.workDir ?? layout.defaultWorkDir(options.outDir);
  await mkdir(workDir, { recursive: true });

  const batchId = options.batchId ?? deriveBatchId({ urlsFile: options.urlsFile, clipDir: options.clipDir, outDir: options.outDir, settings: options.settings });
  const lock = await acquireRunLock(layout.lockPath(options.outDir), `output folder ${options.outDir}`);
  const logger = createLogger(options.logLevel, layout.logPath(options.outDir));
  const cleanups: Array<() => Promise<unknown>> = [() => lock.release()];
  let interrupted = false;
  let onInterrupt: () => void = () => undefined;
  const interruptedPromise = new Promise<'interrupted'>((resolve) => {
    onInterrupt = () => {
      if (interrupted) {
        out('vstream: stopping now');
        process.exit(ExitCode.interrupted);
      }
      interrupted = true;
      out('vstream: stopping; running the same command again resumes (Ctrl-C again to stop at once)');
      resolve('interrupted');
    };
  });
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);

  try {
    const mismatch = await checkOutputSettings(options.outDir, options.settings);
    if (mismatch) throw new UsageError(mismatch);

    const storedReport = await readJsonIfExists<Report>(layout.batchReportPath(options.outDir, batchId));
    if (storedReport && !options.retryFailed) {
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
    // The embedded server boots while the encoder is checked.
    let server: LaunchedDevServer | null = null;
    if (!options.temporalAddress) {
      server = await launchDevServer({
        temporalBin: resolveTool('temporal'),
        dbFile: layout.temporalDbPath(options.outDir),
        logFile: join(layout.stateDir(options.outDir), 'temporal-server.log'),
        namespace: options.namespace,
      });
      const devServer = server;
      // Its state is durable in SQLite: a short grace keeps the exit quick.
      cleanups.unshift(() => devServer.stop(SERVER_STOP_GRACE_MS));
    }
    const selection = await selectEncoder(options.encoder, { ffmpeg: tools.ffmpeg, deviceId: options.deviceId, x265Preset: options.x265Preset });
    if (selection.warning) logger.warn({}, selection.warning);
    if (server) {
      await server.ready;
      await lock.update({ uiUrl: server.uiUrl });
    }
    const address = server?.address ?? (options.temporalAddress as string);

    const nativeConnection = await NativeConnection.connect({ address });
    cleanups.unshift(() => nativeConnection.close());
    const workers = await createVstreamWorkers({
      connection: nativeConnection,
      namespace: options.namespace,
      hostId: hostname().replace(/[^A-Za-z0-9._-]/g, '-'),
      deps: { tools, encoder: selection.encoder, logger },
      hostSlots: options.workers,
      shutdownGraceTime: WORKER_DEFAULTS.runShutdownGraceTime,
    });
    const workersDone = workers.run();
    cleanups.unshift(async () => {
      workers.shutdown();
      await workersDone;
    });

    const connection = await Connection.connect({ address });
    cleanups.unshift(() => connection.close());
    const client = new Client({ connection, namespace: options.namespace });
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
    };
    const existing = await client.workflow
      .getHandle(batchId)
      .describe()
      .catch(() => null);
    const resuming = existing?.status.name === 'RUNNING';
    const handle = await client.workflow.start<typeof batchWorkflow>(WORKFLOW_TYPES.batch, {
      taskQueue: SHARED_TASK_QUEUE,
      workflowId: batchId,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });

    out(`vstream: ${resuming ? 'resuming' : 'starting'} batch ${batchId} with ${describeEncoder(selection.encoder)}`);
    if (server) out(`Temporal UI: ${server.uiUrl}/namespaces/${options.namespace}/workflows/${encodeURIComponent(batchId)}`);
    logger.info({ batchId, address, workDir }, 'batch attached');

    let lastSeq = 0;
    let lastPrint = Date.now();
    let announcedTotal = false;
    const showProgress = async () => {
      await handle
        .query(progressQuery)
        .then((progress) => {
          if (!announcedTotal && progress.phase !== 'preparing') {
            announcedTotal = true;
            const rejected = progress.rejectedLines > 0 ? `, ${plural(progress.rejectedLines, 'URL line')} rejected` : '';
            out(`vstream: ${plural(progress.total, 'video')}${rejected}; ${progress.done} done`);
          }
          for (const entry of progress.recent.filter((e) => e.seq > lastSeq)) {
            out(describeFinished(entry, progress.total));
            lastSeq = entry.seq;
            lastPrint = Date.now();
          }
          if (Date.now() - lastPrint > QUIET_STATUS_EVERY_MS) {
            lastPrint = Date.now();
            out(`vstream: ${progress.done}/${progress.total} done, ${progress.inFlight.length} in flight, ${plural(progress.clips, 'clip')}, ${progress.counts.failed} failed`);
          }
        })
        .catch(() => undefined);
    };
    const poll = setInterval(() => void showProgress(), PROGRESS_POLL_MS);
    cleanups.unshift(async () => clearInterval(poll));

    const outcome = await Promise.race([
      handle.result().then((summary: BatchSummary) => ({ summary })),
      interruptedPromise,
      workersDone.then(() => {
        throw new CliError('the worker stopped unexpectedly');
      }),
    ]);
    if (outcome === 'interrupted') return ExitCode.interrupted;
    clearInterval(poll);
    await showProgress(); // the videos that finished since the last poll
    printSummary(out, outcome.summary.counts, options.outDir, outcome.summary.reportPath);
    return exitCodeForCounts(outcome.summary.counts);
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = err.cause;
      throw new CliError(`batch ${batchId} failed: ${cause?.message ?? err.message}`);
    }
    throw err;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    for (const cleanup of cleanups) {
      await cleanup().catch((err: unknown) => logger.warn({ err: String(err) }, 'cleanup step failed'));
    }
    // The batch's work folder holds nothing once its videos are done.
    await rmdir(layout.batchWorkDir(workDir, batchId)).catch(() => undefined);
    if (!options.workDir) await rmdir(workDir).catch(() => undefined);
  }
}
