import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { STATE_DIR_NAME } from '../config.js';
import * as layout from '../core/layout.js';
import { exitCodeForCounts, plural, summaryLine, type Report } from '../core/report.js';
import type { ReportCounts } from '../core/types.js';
import { resolveMediaTools } from '../tools/binaries.js';
import { recheckBatch } from '../tools/clip-recheck.js';
import { listGpus, selectTopology } from '../tools/encoder.js';
import { readJsonIfExists } from '../tools/fs.js';
import { ScratchFiles } from '../tools/scratch.js';
import { checkOutputSettings, readOutputSettings, readSnapshotMeta } from '../tools/snapshot-store.js';
import type { DownloadSettings } from '../activities/deps.js';
import type { ConnectionSecurity } from './connection-options.js';
import { launchEmbeddedServer } from './embedded-server.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { acquireRunLock } from './lock.js';
import { createLogger } from './logger.js';
import type { RunOptions } from './options.js';
import { progressScreen } from './progress-screen.js';
import type { BatchPlace, EarlyStart, Outcome } from './run-batch.js';
import { runBatchId, withRateControl } from './run-input.js';
import type { Session } from './session.js';
import { Stopper } from './stopper.js';

// Nothing here loads the Temporal SDK (run-batch.ts does): a run checks its inputs, settles
// from a stored report and launches the embedded server before node spends ~0.3 s loading it.

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
  'outDir' | 'temporalAddress' | 'namespace' | 'encoder' | 'deviceId' | 'workers' | 'x265Preset'
>;

/** --device-id, unless auto finds no GPU at all: then the warning says so, as doctor does. */
async function gpusToTry(host: Pick<HostOptions, 'encoder' | 'deviceId'>): Promise<number[]> {
  if (host.encoder === 'auto' && (await listGpus()).length === 0) return [];
  return [host.deviceId];
}

/**
 * What runs while the SDK loads: the embedded server boots, the encoders are checked.
 * Temporary clip files go first: only this run writes here (the lock), so they are a
 * killed run's leftovers; with a shared server other hosts' workers may be writing, and
 * their activities clean up.
 */
async function startEarly(host: HostOptions, logger: ReturnType<typeof createLogger>): Promise<EarlyStart> {
  if (!host.temporalAddress) {
    const removed = await sweepTemporaryClips(host.outDir);
    if (removed > 0) logger.info({ removed }, 'removed temporary clip files left by an earlier run');
  }
  const tools = resolveMediaTools();
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
  if (host.temporalAddress) return { tools, selection };
  const server = launchEmbeddedServer(host.outDir, host.namespace, logger);
  // Spawned before the SDK loads, so the two share the cores. A launch that failed is
  // reported where the session awaits it (or the server is stopped on the way out).
  await server.catch(() => undefined);
  return { tools, selection, server };
}

/** Stops what startEarly started when the run ends before a session took it over. */
async function stopEarly(early: EarlyStart): Promise<void> {
  const server = await early.server?.catch(() => null);
  await server?.stop(0);
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
  // Set by the callback below: declared so, TypeScript does not narrow it to null for good.
  let session = null as Session | null;
  let early: EarlyStart | null = null;
  try {
    const settled = await settleFromStoredReport(place, options, print);
    if ('exitCode' in settled) return settled.exitCode;

    early = await startEarly(options, logger);
    const { runBatch } = await import('./run-batch.js');
    const outcome = await runBatch({
      options,
      place,
      hadReport: settled.hadReport,
      early,
      logger,
      scratch,
      security,
      downloads,
      screen,
      stop: stopper.requested,
      opened: async (opened) => {
        session = opened;
        await lock.update({ uiUrl: opened.uiUrl ?? undefined, address: opened.address });
      },
    });
    return await summarize(outcome, place, print);
  } finally {
    screen.close();
    stopper.dispose();
    if (session) await session.close();
    else if (early) await stopEarly(early);
    await lock.release();
    // The batch's work folder holds nothing once its videos are done.
    await rmdir(layout.batchWorkDir(workDir, place.batchId)).catch(() => undefined);
    if (!options.workDir) await rmdir(workDir).catch(() => undefined);
  }
}
