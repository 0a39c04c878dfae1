import { resolve } from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import * as layout from '../core/layout.js';
import { countOf, plural, summaryLine, type Report } from '../core/report.js';
import { batchUiLinks, uiLinkLines } from '../core/ui-links.js';
import { resolveMediaTools } from '../tools/binaries.js';
import type { EncodeTopology } from '../core/types.js';
import { readJsonIfExists } from '../tools/fs.js';
import { ScratchFiles } from '../tools/scratch.js';
import { progressQuery } from '../workflows/definitions.js';
import { installRuntime } from '../worker/runtime.js';
import { readDiskState, resolveBatchId, usesSearchAttributes } from './batch-lookup.js';
import { CliError, ExitCode, UsageError } from './exit-codes.js';
import { acquireRunLock, readLiveHolder } from './lock.js';
import { createLogger } from './logger.js';
import type { ConnectionSecurity } from './connection-options.js';
import { PROGRESS_DEFAULTS } from '../config.js';
import { describeProgress } from '../core/progress-view.js';
import { batchSnapshots, followProgress } from './progress.js';
import { progressScreen } from './progress-screen.js';
import { openSession, type Session } from './session.js';

export interface BatchCommandOptions {
  batchId: string | undefined;
  outDir: string | undefined;
  temporalAddress: string | undefined;
  namespace: string;
  security?: ConnectionSecurity;
  /** status: follow the batch until it ends or Ctrl-C. */
  watch?: boolean;
}

type Out = (line: string) => void;

function requireTarget(options: BatchCommandOptions): void {
  if (!options.outDir && !options.temporalAddress)
    throw new UsageError('give -o/--output-dir (embedded server) or --temporal-address');
  if (!options.outDir && !options.batchId)
    throw new UsageError('give the batch ID (with --temporal-address there is no output folder to find it in)');
}

/**
 * A client for the batch's server: the given address, the address of the run that
 * holds the output folder, or (none running) the embedded server started here, with
 * a worker when the batch's workflows must make progress (cancellation).
 */
async function connect(
  options: BatchCommandOptions,
  hostWorker: boolean,
): Promise<{ session: Session; release: () => Promise<void>; live: boolean }> {
  const logger = createLogger('warn');
  if (options.temporalAddress) {
    const session = await openSession({
      outDir: options.outDir ?? '.',
      temporalAddress: options.temporalAddress,
      namespace: options.namespace,
      logger,
      security: options.security,
    });
    return { session, release: async () => undefined, live: true };
  }
  const outDir = options.outDir as string;
  const holder = await readLiveHolder(layout.lockPath(outDir));
  if (holder?.address) {
    return {
      session: await openSession({ outDir, temporalAddress: holder.address, namespace: options.namespace, logger }),
      release: async () => undefined,
      live: true,
    };
  }
  const lock = await acquireRunLock(layout.lockPath(outDir), `output folder ${outDir}`);
  try {
    installRuntime(logger);
    const tools = hostWorker ? resolveMediaTools() : null;
    const worker = tools
      ? {
          tools,
          topology: Promise.resolve<EncodeTopology>({ kind: 'cpu', slots: 1, preset: 'ultrafast' }),
          downloadSlots: 2,
          graceSeconds: 5,
          scratch: new ScratchFiles(),
        }
      : undefined;
    const session = await openSession({ outDir, namespace: options.namespace, logger, worker });
    await lock.update({ address: session.address, uiUrl: session.uiUrl ?? undefined });
    return { session, release: () => lock.release(), live: false };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function isRunning(client: Client, batchId: string): Promise<boolean> {
  const description = await client.workflow
    .getHandle(batchId)
    .describe()
    .catch(() => null);
  return description?.status.name === 'RUNNING';
}

/** `vstream cancel`: cancels the batch for good; its videos stop and are reported `cancelled`. */
export async function cancelCommand(raw: BatchCommandOptions, out: Out = console.log): Promise<number> {
  requireTarget(raw);
  const outDir = raw.outDir ? resolve(raw.outDir) : undefined;
  const batchId = outDir ? await resolveBatchId(outDir, raw.batchId) : (raw.batchId as string);
  const { session, release } = await connect({ ...raw, outDir }, true);
  try {
    if (!(await isRunning(session.client, batchId)))
      throw new CliError(`batch ${batchId} is not running: nothing to cancel`);
    const handle = session.client.workflow.getHandle(batchId);
    await handle.cancel();
    out(`vstream: cancelling batch ${batchId}: its downloads and encodes are being stopped`);
    try {
      await Promise.race([handle.result(), session.failure]);
    } catch (err) {
      if (!(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure)) throw err;
    }
    const report = outDir ? await readJsonIfExists<Report>(layout.batchReportPath(outDir, batchId)) : undefined;
    out(
      `vstream: batch ${batchId} cancelled${report ? `: ${summaryLine(report.counts)}` : ''}; running the same command again continues it`,
    );
    return ExitCode.ok;
  } finally {
    await session.close();
    await release();
  }
}

/** "running", or "running (cancelling)" while the batch is in another phase than its status says. */
export function statusWords(status: string, phase: string | undefined): string {
  const name = status.toLowerCase();
  return phase && phase !== name ? `${name} (${phase})` : name;
}

const ENDED_WORDS: Record<string, string> = { COMPLETED: 'finished', CANCELED: 'cancelled' };

/**
 * `status --watch`: the batch's live progress (plain lines when piped) until it ends,
 * its server stops answering (an embedded one goes with its run), or Ctrl-C, which
 * only stops the watching.
 */
async function watchBatch(client: Client, batchId: string, out: Out): Promise<'ended' | 'lost'> {
  const screen = progressScreen(out, 'info');
  const follow = followProgress(batchSnapshots(client, batchId, screen.wantsActivities), screen);
  const handle = client.workflow.getHandle(batchId);
  let onInterrupt = (): void => undefined;
  let timer: NodeJS.Timeout | undefined;
  const how = await new Promise<{ status: string } | 'interrupted' | 'lost'>((resolve) => {
    onInterrupt = () => resolve('interrupted');
    process.once('SIGINT', onInterrupt);
    let lastAnswer = Date.now();
    let asking = false;
    timer = setInterval(() => {
      if (Date.now() - lastAnswer > PROGRESS_DEFAULTS.watchLostAfterMs) resolve('lost');
      if (asking) return;
      asking = true;
      handle
        .describe()
        .then((description) => {
          lastAnswer = Date.now();
          if (description.status.name !== 'RUNNING') resolve({ status: description.status.name });
        })
        .catch(() => undefined)
        .finally(() => (asking = false));
    }, PROGRESS_DEFAULTS.pollMs);
  });
  clearInterval(timer);
  process.off('SIGINT', onInterrupt);
  await follow.stop(how !== 'interrupted' && how !== 'lost');
  if (how === 'interrupted') out(`vstream: stopped watching batch ${batchId}`);
  else if (how === 'lost')
    out(`vstream: the server of batch ${batchId} stopped answering (an embedded one ends with its run)`);
  else out(`batch ${batchId}: ${ENDED_WORDS[how.status] ?? how.status.toLowerCase()}`);
  return how === 'lost' ? 'lost' : 'ended';
}

/** The batch's UI links, when a run or `vstream ui` serves the output folder's UI. */
async function printUiLinks(
  out: Out,
  outDir: string | undefined,
  namespace: string,
  batchId: string,
  searchAttributes: boolean,
): Promise<void> {
  const uiUrl = outDir ? (await readLiveHolder(layout.lockPath(outDir)))?.uiUrl : undefined;
  if (!uiUrl) return;
  uiLinkLines(batchUiLinks({ uiUrl, namespace, batchId, searchAttributes })).forEach((line) => out(`  ${line}`));
}

/** `vstream status`: progress of a running batch, or what the files say of one that is not. */
export async function statusCommand(raw: BatchCommandOptions, out: Out = console.log): Promise<number> {
  requireTarget(raw);
  const outDir = raw.outDir ? resolve(raw.outDir) : undefined;
  const batchId = outDir ? await resolveBatchId(outDir, raw.batchId) : (raw.batchId as string);
  const live = raw.temporalAddress ?? (outDir ? (await readLiveHolder(layout.lockPath(outDir)))?.address : undefined);
  if (live) {
    const { session, release } = await connect({ ...raw, outDir }, false);
    try {
      const handle = session.client.workflow.getHandle(batchId);
      const description = await handle.describe().catch(() => null);
      if (!description)
        throw new CliError(`batch ${batchId} is not known to the Temporal server at ${session.address}`);
      const progress = await handle.query(progressQuery).catch(() => null);
      out(`batch ${batchId}: ${statusWords(description.status.name, progress?.phase)}`);
      if (!raw.watch || description.status.name !== 'RUNNING') {
        if (progress) {
          const rejected = progress.rejectedLines > 0 ? `; ${plural(progress.rejectedLines, 'URL line')} rejected` : '';
          out(`  ${describeProgress(progress)}${rejected}`);
        }
        await printUiLinks(out, outDir, raw.namespace, batchId, usesSearchAttributes(description));
        return ExitCode.ok;
      }
      const watched = await watchBatch(session.client, batchId, out);
      if (watched === 'ended') return ExitCode.ok;
      // Its server stopped answering: an embedded one goes with its run, the files tell how the batch ended.
      if (!outDir) return ExitCode.error;
    } finally {
      await session.close();
      await release();
    }
  }
  const disk = await readDiskState(outDir as string, batchId);
  if (!disk.meta) throw new CliError(`no batch ${batchId} in ${outDir}`);
  if (disk.report) {
    const cancelled = disk.report.counts.cancelled > 0;
    out(`batch ${batchId}: ${cancelled ? 'cancelled' : 'finished'} at ${disk.report.finishedAt}`);
    out(`  ${summaryLine(disk.report.counts)}`);
    out(`  report: ${layout.batchReportPath(outDir as string, batchId)}`);
    // Not served (a run or `vstream ui` would have answered above): no links.
    return ExitCode.ok;
  }
  out(`batch ${batchId}: not running (stopped before it finished); running its command again resumes it`);
  out(
    `  ${countOf(disk.recorded)} of ${disk.meta.videos} videos recorded: ${disk.recorded.succeeded} succeeded, ${disk.recorded.partial} partial, ${disk.recorded.skipped} skipped, ${disk.recorded.failed} failed, ${disk.recorded.cancelled} cancelled`,
  );
  return ExitCode.ok;
}
