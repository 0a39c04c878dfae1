import { Client, Connection } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { connectNative } from '../tools/client-connection.js';
import { describeTopology, listGpus, selectTopology } from '../tools/encoder.js';
import { resolveMediaTools } from '../tools/binaries.js';
import { ScratchFiles } from '../tools/scratch.js';
import { TempBudget } from '../tools/temp-budget.js';
import { promoteCommand, promoteIfNeverSet } from '../worker/deployment.js';
import { cleanLeftovers } from '../worker/leftovers.js';
import { installRuntime, metricsEndpoint } from '../worker/runtime.js';
import { createVstreamWorkers, defaultCpuSlots } from '../worker/workers.js';
import type { DownloadSettings } from '../activities/deps.js';
import type { ConnectionSecurity } from './connection-options.js';
import { startYtDlp } from './download-settings.js';
import { ExitCode } from './exit-codes.js';
import { createLogger } from './logger.js';
import type { WorkerOptions } from './options.js';
import { Stopper } from './stopper.js';

/** A fresh deployment gets this worker's version as current; otherwise says how to promote it. */
async function announceVersion(
  client: Client,
  version: WorkerDeploymentVersion,
  out: (line: string) => void,
): Promise<void> {
  const promotion = await promoteIfNeverSet(client, version);
  const prefix = `vstream worker: deployment ${version.deploymentName}`;
  if (promotion.promoted) out(`${prefix}: had no current version; ${version.buildId} (this worker) is now current`);
  else if (promotion.current !== version.buildId) {
    const waits = `this worker (${version.buildId}) gets workflow tasks once promoted: ${promoteCommand(version)}`;
    out(`${prefix}: current version ${promotion.current}; ${waits}`);
  }
}

/**
 * `vstream worker`: one long-lived process per host against a Temporal server: the
 * shared queue, this host's queue, and one encode queue per GPU (or the CPU queue).
 * SIGINT or SIGTERM drains it (no new tasks; running activities get the grace time);
 * a second signal stops it at once.
 */
export async function workerCommand(
  options: WorkerOptions,
  security: ConnectionSecurity,
  downloads?: DownloadSettings,
  out: (line: string) => void = console.log,
): Promise<number> {
  // Piped (a service, a container): JSON lines with every event on stdout, for the log collector.
  const logger = createLogger(options.logLevel, process.stdout.isTTY ? undefined : process.stdout);
  const tools = resolveMediaTools();
  installRuntime(logger, undefined, metricsEndpoint(options.metrics, options.hostId));
  const ytDlp = startYtDlp(tools.ytDlp, logger);
  const gpus = options.gpus ?? (options.encoder === 'x265' ? [] : await listGpus());
  const selection = await selectTopology(options.encoder, {
    ffmpeg: tools.ffmpeg,
    gpus,
    sessionsPerGpu: options.sessionsPerGpu,
    cpuSlots: options.cpuSlots ?? defaultCpuSlots(),
    x265Preset: options.x265Preset,
  });
  selection.warnings.forEach((w) => logger.warn({}, w));
  const connection = await connectNative({ address: options.temporalAddress, ...security });
  const scratch = new ScratchFiles();
  const workers = await createVstreamWorkers({
    connection,
    namespace: options.namespace,
    hostId: options.hostId,
    tools,
    ytDlp,
    logger,
    encode: selection.topology,
    downloadSlots: options.downloadSlots,
    workDir: options.workDir,
    scratch,
    tempBudget: options.maxTempGb ? new TempBudget(options.maxTempGb * 1024 ** 3) : undefined,
    downloads,
    deployment: options.deployment ?? undefined,
    metrics: options.metrics !== null,
    encodeWhileDownloading: options.encodeWhileDownloading,
  });
  const stopper = new Stopper(
    out,
    scratch,
    'vstream worker: draining: no new tasks, running ones may finish (signal again to stop at once)',
  );
  void stopper.requested.then(() => workers.shutdown());
  out(
    `vstream worker: host ${options.hostId}: ${describeTopology(selection.topology)}, ${options.downloadSlots} downloads at once; ` +
      `queues ${[workers.hostQueue, ...workers.encodeTargets.map((t) => t.queue)].join(', ')}; server ${options.temporalAddress}` +
      (options.deployment
        ? `; deployment ${options.deployment.deploymentName}, version ${options.deployment.buildId}`
        : '; unversioned') +
      (options.metrics
        ? `; metrics on http://${metricsEndpoint(options.metrics, options.hostId)?.bindAddress}/metrics`
        : ''),
  );
  const running = workers.run();
  const client = new Client({
    connection: await Connection.connect({ address: options.temporalAddress, ...security }),
    namespace: options.namespace,
  });
  const chores: Promise<void>[] = [];
  if (options.workDir) {
    // Back after a stop: sources of videos that ended or moved to another host meanwhile go.
    chores.push(
      cleanLeftovers(options.workDir, client, workers.hostQueue)
        .then((removed) => {
          if (removed.length > 0)
            out(`vstream worker: removed the sources of ${removed.length} videos no longer on this host`);
        })
        .catch((err: unknown) => logger.warn({ err: String(err) }, 'could not clean the work dir')),
    );
  }
  if (options.deployment) {
    const announced = announceVersion(client, options.deployment, out);
    chores.push(announced.catch((err: unknown) => logger.warn({ err: String(err) }, 'could not read the deployment')));
  }
  void Promise.all(chores).finally(() => void client.connection.close());
  try {
    await running;
  } finally {
    stopper.dispose();
    await ytDlp.close();
    await connection.close();
  }
  return ExitCode.ok;
}
