import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { checkOutputSettings, readOutputSettings, readSnapshotMeta } from '../tools/snapshot-store.js';
import { SHARED_TASK_QUEUE, STATE_DIR_NAME, WORKFLOW_TYPES } from '../config.js';
import type { BatchInput } from '../core/batch-input.js';
import * as layout from '../core/layout.js';
import { batchStaticDetails, batchStaticSummary } from '../core/workflow-story.js';
import { exitCodeForCounts, plural, summaryLine, type Report } from '../core/report.js';
import type { BatchSummary, ReportCounts } from '../core/types.js';
import { batchUiLinks, uiLinkLines } from '../core/ui-links.js';
import { resolveMediaTools } from '../tools/binaries.js';
import { describeTopology, listGpus, selectTopology, type TopologySelection } from '../tools/encoder.js';
import { recheckBatch } from '../tools/clip-recheck.js';
import { readJsonIfExists } from '../tools/fs.js';
import { ScratchFiles } from '../tools/scratch.js';
import { TempBudget } from '../tools/temp-budget.js';
import type { batchWorkflow } from '../workflows/batch.js';
import { installRuntime, metricsEndpoint } from '../worker/runtime.js';
import type { DownloadSettings } from '../activities/deps.js';
import type { Logger } from 'pino';
import type { ConnectionSecurity } from './connection-options.js';
import { startYtDlp } from './download-settings.js';
import { CliError, ExitCode, UsageError } from './exit-codes.js';
import { acquireRunLock } from './lock.js';
import { createLogger } from './logger.js';
import type { RunOptions } from './options.js';
import { batchSnapshots, followProgress, progressScreen, type ProgressScreen } from './progress.js';
import { batchInputFromOptions, runBatchId, withRateControl } from './run-input.js';
import { searchAttributeUsage } from './search-attributes-command.js';
import { localHostId, openSession, type Session } from './session.js';
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

function printSummary(
  out: (line: string) => void,
  counts: ReportCounts,
  outDir: string,
  reportPath: string,
  embeddedServer: boolean,
): void {
  out(`done: ${summaryLine(counts)}`);
  out(`clips: ${outDir}/<videoId>/`);
  out(`report: ${reportPath}`);
  out(`report for people (open in a browser): ${layout.reportHtmlBeside(reportPath)}`);
  // The embedded UI ends with the run; this serves the same history, on the same port.
  if (embeddedServer) out(`Temporal UI after this run: vstream ui -o ${outDir}`);
}

type Out = (line: string) => void;

/** Where a run's batch lives. */
interface BatchPlace {
  outDir: string;
  batchId: string;
  workDir: string;
  /** The run's own server, on the output folder's history (no --temporal-address). */
  embeddedServer: boolean;
}

/** Check inputs: the URL list and the clip folder exist; the output and work folders are made. Returns the work folder. */
async function checkInputs(options: Pick<RunOptions, 'urlsFile' | 'clipDir' | 'outDir' | 'workDir'>): Promise<string> {
  await requireInput(options.urlsFile, '--urls-file', 'file');
  await requireInput(options.clipDir, '--input-clip-dir', 'dir');
  await mkdir(options.outDir, { recursive: true });
  const workDir = options.workDir ?? layout.defaultWorkDir(options.outDir);
  await mkdir(workDir, { recursive: true });
  return workDir;
}

type Settled = { exitCode: number } | { hadReport: boolean };

/**
 * Settle from a stored report: the output folder must have been made with these settings,
 * and a batch that finished answers from its report, without a server, unless a clip
 * file appeared or changed since (the batch then runs those videos again).
 */
async function settleFromStoredReport(
  place: BatchPlace,
  request: Pick<RunOptions, 'urlsFile' | 'clipDir' | 'retryFailed' | 'settings'>,
  out: Out,
): Promise<Settled> {
  const mismatch = await checkOutputSettings(place.outDir, request.settings);
  if (mismatch) throw new UsageError(mismatch);
  const reportPath = layout.batchReportPath(place.outDir, place.batchId);
  const storedReport = await readJsonIfExists<Report>(reportPath);
  // A cancelled batch is not finished: running it again continues it.
  if (!storedReport || request.retryFailed || storedReport.counts.cancelled > 0)
    return { hadReport: Boolean(storedReport) };
  const recheck = await recheckBatch({ clipDir: request.clipDir, outDir: place.outDir }, place.batchId);
  if (recheck.stale.length > 0) {
    out(
      `vstream: batch ${place.batchId} finished at ${storedReport.finishedAt}; ${plural(recheck.stale.length, 'video')} whose clip file appeared or changed since: running ${recheck.stale.length === 1 ? 'it' : 'them'} again`,
    );
    return { hadReport: true };
  }
  out(
    `vstream: batch ${place.batchId} already finished at ${storedReport.finishedAt}; nothing to do (${plural(recheck.checked, 'clip file')} checked, none appeared or changed; --retry-failed runs failed and partial videos again)`,
  );
  const meta = await readSnapshotMeta(place.outDir, place.batchId);
  if (meta && meta.urlsSha256 !== (await fileSha256(request.urlsFile))) {
    out(
      `vstream: note: ${request.urlsFile} changed since the batch's snapshot of ${meta.createdAt}; the batch keeps its snapshot (use --batch-id to start another batch)`,
    );
  }
  printSummary(out, storedReport.counts, place.outDir, reportPath, place.embeddedServer);
  return { exitCode: exitCodeForCounts(storedReport.counts) };
}

type HostOptions = Pick<
  RunOptions,
  | 'outDir'
  | 'temporalAddress'
  | 'namespace'
  | 'encoder'
  | 'deviceId'
  | 'workers'
  | 'x265Preset'
  | 'graceSeconds'
  | 'maxTempGb'
  | 'encodeWhileDownloading'
  | 'metrics'
>;

/** --device-id, unless auto finds no GPU at all: then the warning says so, as doctor does. */
async function gpusToTry(host: Pick<HostOptions, 'encoder' | 'deviceId'>): Promise<number[]> {
  if (host.encoder === 'auto' && (await listGpus()).length === 0) return [];
  return [host.deviceId];
}

interface SessionContext {
  logger: Logger;
  scratch: ScratchFiles;
  security: ConnectionSecurity;
  downloads: DownloadSettings | undefined;
}

/**
 * Open a session: the embedded server (or the given one) and this process's worker. One
 * host: NVENC on --device-id, or libx265; --workers encodes and downloads at once. The
 * encoders are checked while the server boots.
 */
async function openRunSession(
  host: HostOptions,
  context: SessionContext,
): Promise<{ session: Session; selection: Promise<TopologySelection> }> {
  const { logger } = context;
  if (!host.temporalAddress) {
    // Only this run writes here (the lock): a temporary file is a killed run's leftover.
    // With a shared server, other hosts' workers may be writing: their activities clean up.
    const removed = await sweepTemporaryClips(host.outDir);
    if (removed > 0) logger.info({ removed }, 'removed temporary clip files left by an earlier run');
  }
  const tools = resolveMediaTools();
  installRuntime(logger, undefined, metricsEndpoint(host.metrics, localHostId()));
  const ytDlp = startYtDlp(tools.ytDlp, logger);
  const selection = gpusToTry(host).then((gpus) =>
    selectTopology(host.encoder, {
      ffmpeg: tools.ffmpeg,
      gpus,
      sessionsPerGpu: host.workers,
      cpuSlots: host.workers,
      x265Preset: host.x265Preset,
    }),
  );
  selection.then((s) => s.warnings.forEach((w) => logger.warn({}, w))).catch(() => undefined);
  const session = await openSession({
    outDir: host.outDir,
    temporalAddress: host.temporalAddress,
    namespace: host.namespace,
    logger,
    security: context.security,
    worker: {
      tools,
      ytDlp,
      topology: selection.then((s) => s.topology),
      downloadSlots: host.workers,
      graceSeconds: host.graceSeconds,
      scratch: context.scratch,
      tempBudget: host.maxTempGb ? new TempBudget(host.maxTempGb * 1024 ** 3) : undefined,
      downloads: context.downloads,
      metrics: host.metrics !== null,
      encodeWhileDownloading: host.encodeWhileDownloading,
    },
  });
  return { session, selection };
}

/**
 * Start or attach: the workflow ID is the batch ID, so a batch still running is attached
 * to, and one that ended (cancelled, or run again with --retry-failed) is continued.
 */
async function startOrAttach(client: Client, input: BatchInput & { batchId: string }, hadReport: boolean) {
  const existing = await client.workflow
    .getHandle(input.batchId)
    .describe()
    .catch(() => null);
  const state = existing?.status.name === 'RUNNING' ? 'resuming' : hadReport ? 'continuing' : 'starting';
  const handle = await client.workflow.start<typeof batchWorkflow>(WORKFLOW_TYPES.batch, {
    taskQueue: SHARED_TASK_QUEUE,
    workflowId: input.batchId,
    args: [input],
    // What the UI shows on the batch's page; fixed at its first start (continue-as-new keeps it).
    staticSummary: batchStaticSummary(input),
    staticDetails: batchStaticDetails(input),
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
  return { handle, state };
}

type Outcome = { kind: 'finished'; summary: BatchSummary } | { kind: 'stopped' } | { kind: 'cancelled' };

/** Watch: progress lines until the batch ends, Ctrl-C asks to stop, or the server or the worker fails. */
async function watch(
  client: Client,
  handle: WorkflowHandle<typeof batchWorkflow>,
  ends: { stop: Promise<'stop'>; failure: Promise<never> },
  screen: ProgressScreen,
): Promise<Outcome> {
  const progress = followProgress(batchSnapshots(client, handle.workflowId, screen.wantsActivities), screen);
  let outcome: Outcome;
  try {
    outcome = await Promise.race([
      handle.result().then((summary: BatchSummary) => ({ kind: 'finished' as const, summary })),
      ends.stop.then(() => ({ kind: 'stopped' as const })),
      ends.failure,
    ]);
  } catch (err) {
    await progress.stop(false);
    if (err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure) return { kind: 'cancelled' };
    if (err instanceof WorkflowFailedError)
      throw new CliError(`batch ${handle.workflowId} failed: ${err.cause?.message ?? err.message}`);
    throw err;
  }
  await progress.stop(outcome.kind === 'finished');
  return outcome;
}

/** Summarize: what the batch made, where its report is, and the exit code of how it ended. */
async function summarize(outcome: Outcome, place: BatchPlace, out: Out): Promise<number> {
  switch (outcome.kind) {
    case 'finished':
      printSummary(out, outcome.summary.counts, place.outDir, outcome.summary.reportPath, place.embeddedServer);
      return exitCodeForCounts(outcome.summary.counts);
    case 'stopped':
      out('vstream: stopped; running the same command again resumes');
      return ExitCode.interrupted;
    case 'cancelled': {
      const report = await readJsonIfExists<Report>(layout.batchReportPath(place.outDir, place.batchId));
      out(`vstream: batch ${place.batchId} was cancelled; running the same command again continues it`);
      if (report)
        printSummary(out, report.counts, place.outDir, layout.latestReportPath(place.outDir), place.embeddedServer);
      return ExitCode.cancelled;
    }
  }
}

/**
 * `vstream run`: hosts a worker, starts or re-attaches to the batch on an embedded
 * Temporal dev server (or a given one), shows progress and prints a summary.
 */
export async function runCommand(
  requested: RunOptions,
  security: ConnectionSecurity = {},
  downloads?: DownloadSettings,
  out: Out = console.log,
): Promise<number> {
  const options = withRateControl(requested, await readOutputSettings(requested.outDir));
  const workDir = await checkInputs(options);
  const place: BatchPlace = {
    outDir: options.outDir,
    batchId: runBatchId(options),
    workDir,
    embeddedServer: !options.temporalAddress,
  };
  const lock = await acquireRunLock(layout.lockPath(options.outDir), `output folder ${options.outDir}`);
  const logger = createLogger(options.logLevel, layout.logPath(options.outDir));
  const scratch = new ScratchFiles();
  // Every line goes through the screen: on a terminal, above its live block.
  const screen = progressScreen(out, options.logLevel);
  const print = screen.line;
  const stopper = new Stopper(
    print,
    scratch,
    `vstream: stopping: no new videos; running downloads and encodes may finish for up to ${options.graceSeconds} s (Ctrl-C again to stop at once); running the same command again resumes`,
  );
  let session: Session | null = null;
  try {
    const settled = await settleFromStoredReport(place, options, print);
    if ('exitCode' in settled) return settled.exitCode;

    const opened = await openRunSession(options, { logger, scratch, security, downloads });
    session = opened.session;
    await lock.update({ uiUrl: session.uiUrl ?? undefined, address: session.address });

    // Checked once, recorded in the input of a new start; a running batch keeps its own.
    const searchAttributes = await searchAttributeUsage(session.client.connection, {
      address: session.address,
      namespace: options.namespace,
    });
    const input = {
      ...batchInputFromOptions(options, place.batchId, workDir),
      searchAttributes: searchAttributes.use,
    };
    const { handle, state } = await startOrAttach(session.client, input, settled.hadReport);
    print(`vstream: ${state} batch ${place.batchId} with ${describeTopology((await opened.selection).topology)}`);
    if (state !== 'resuming' && searchAttributes.line) print(searchAttributes.line);
    if (session.uiUrl) {
      const links = batchUiLinks({
        uiUrl: session.uiUrl,
        namespace: options.namespace,
        batchId: place.batchId,
        searchAttributes: input.searchAttributes ?? false,
      });
      uiLinkLines(links).forEach((line) => print(line));
    }
    const metrics = metricsEndpoint(options.metrics, localHostId());
    if (metrics) print(`metrics: http://${metrics.bindAddress}/metrics`);
    logger.info({ batchId: place.batchId, address: session.address, workDir }, 'batch attached');

    const outcome = await watch(session.client, handle, { stop: stopper.requested, failure: session.failure }, screen);
    // Stopped: running activities get their grace time before the line that says so.
    if (outcome.kind === 'stopped') await session.close();
    return await summarize(outcome, place, print);
  } finally {
    screen.close();
    stopper.dispose();
    await session?.close();
    await lock.release();
    // The batch's work folder holds nothing once its videos are done.
    await rmdir(layout.batchWorkDir(workDir, place.batchId)).catch(() => undefined);
    if (!options.workDir) await rmdir(workDir).catch(() => undefined);
  }
}
