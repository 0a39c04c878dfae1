// The half of `vstream run` that needs the Temporal SDK: the session (this process's worker
// and the connections), the batch's start or attach, and the watch until it ends.
// run-command.ts loads it once the embedded server is launched, so the server boots while
// node loads the SDK (about 0.3 s of a 2-core machine's start-up).
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { DownloadSettings } from '../activities/deps.js';
import { SHARED_TASK_QUEUE, WORKFLOW_TYPES } from '../config.js';
import type { BatchInput } from '../core/batch-input.js';
import type { BatchSummary } from '../core/types.js';
import { batchUiLinks, uiLinkLines } from '../core/ui-links.js';
import { batchStaticDetails, batchStaticSummary } from '../core/workflow-story.js';
import type { LaunchedDevServer } from '../server/dev-server.js';
import type { ToolPaths } from '../tools/binaries.js';
import { describeTopology, type TopologySelection } from '../tools/encoder.js';
import type { ScratchFiles } from '../tools/scratch.js';
import { TempBudget } from '../tools/temp-budget.js';
import { installRuntime, metricsEndpoint } from '../worker/runtime.js';
import type { batchWorkflow } from '../workflows/batch.js';
import type { Logger } from 'pino';
import type { ConnectionSecurity } from './connection-options.js';
import { startYtDlp } from './download-settings.js';
import { CliError } from './exit-codes.js';
import type { RunOptions } from './options.js';
import { batchSnapshots, followProgress } from './progress.js';
import type { ProgressScreen } from './progress-screen.js';
import { batchInputFromOptions } from './run-input.js';
import { searchAttributeUsage } from './search-attributes-command.js';
import { localHostId, openSession, type Session } from './session.js';

/** Where a run's batch lives. */
export interface BatchPlace {
  outDir: string;
  batchId: string;
  workDir: string;
  /** The run's own server, on the output folder's history (no --temporal-address). */
  embeddedServer: boolean;
}

/** What a run starts before it loads the SDK, to proceed meanwhile. */
export interface EarlyStart {
  tools: ToolPaths;
  /** The encoders, checked while the server boots. */
  selection: Promise<TopologySelection>;
  /** The embedded server, launched (none with --temporal-address). */
  server?: Promise<LaunchedDevServer>;
}

export interface BatchRun {
  options: RunOptions;
  place: BatchPlace;
  /** The batch ran before: a stored report (it is continued, not started). */
  hadReport: boolean;
  early: EarlyStart;
  logger: Logger;
  scratch: ScratchFiles;
  security: ConnectionSecurity;
  downloads: DownloadSettings | undefined;
  screen: ProgressScreen;
  /** Resolves when the user asks to stop (Ctrl-C). */
  stop: Promise<'stop'>;
  /** The session is open: from here the caller closes it. */
  opened(session: Session): Promise<void>;
}

export type Outcome = { kind: 'finished'; summary: BatchSummary } | { kind: 'stopped' } | { kind: 'cancelled' };

/**
 * Open the session: the embedded server (or the given one) and this process's worker. One
 * host: NVENC on --device-id, or libx265; --workers encodes and downloads at once.
 */
async function openRunSession(run: BatchRun): Promise<Session> {
  const { options: host, early, logger } = run;
  installRuntime(logger, undefined, metricsEndpoint(host.metrics, localHostId()));
  // yt-dlp warms up (0.35 CPU s) once the server answers: sooner, it would slow the SDK's
  // load and the server's boot that the first download waits for anyway.
  const server = await early.server;
  await server?.ready;
  const ytDlp = startYtDlp(early.tools.ytDlp, logger);
  try {
    return await openSession({
      outDir: host.outDir,
      temporalAddress: host.temporalAddress,
      server: early.server,
      namespace: host.namespace,
      logger,
      security: run.security,
      worker: {
        tools: early.tools,
        ytDlp,
        topology: early.selection.then((s) => s.topology),
        downloadSlots: host.workers,
        graceSeconds: host.graceSeconds,
        scratch: run.scratch,
        tempBudget: host.maxTempGb ? new TempBudget(host.maxTempGb * 1024 ** 3) : undefined,
        downloads: run.downloads,
        metrics: host.metrics !== null,
        encodeWhileDownloading: host.encodeWhileDownloading,
      },
    });
  } catch (err) {
    await ytDlp.close();
    throw err;
  }
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

/** Runs the batch: opens the session, starts or attaches to the batch and watches it until it ends. */
export async function runBatch(run: BatchRun): Promise<Outcome> {
  const { options, place, screen, logger } = run;
  const print = screen.line;
  const session = await openRunSession(run);
  await run.opened(session);

  // Checked once, recorded in the input of a new start; a running batch keeps its own.
  const searchAttributes = await searchAttributeUsage(session.client.connection, {
    address: session.address,
    namespace: options.namespace,
  });
  const input = {
    ...batchInputFromOptions(options, place.batchId, place.workDir),
    searchAttributes: searchAttributes.use,
  };
  const { handle, state } = await startOrAttach(session.client, input, run.hadReport);
  print(`vstream: ${state} batch ${place.batchId} with ${describeTopology((await run.early.selection).topology)}`);
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
  logger.info({ batchId: place.batchId, address: session.address, workDir: place.workDir }, 'batch attached');

  const outcome = await watch(session.client, handle, { stop: run.stop, failure: session.failure }, screen);
  // Stopped: running activities get their grace time before the line that says so.
  if (outcome.kind === 'stopped') await session.close();
  return outcome;
}
