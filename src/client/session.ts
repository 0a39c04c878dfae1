import { hostname } from 'node:os';
import { Client } from '@temporalio/client';
import type { DownloadSettings } from '../activities/deps.js';
import type { Logger } from '../activities/index.js';
import type { EncodeTopology } from '../core/types.js';
import type { LaunchedDevServer } from '../server/dev-server.js';
import type { ToolPaths } from '../tools/binaries.js';
import { connectClient, connectNative } from '../tools/client-connection.js';
import type { ScratchFiles } from '../tools/scratch.js';
import type { TempBudget } from '../tools/temp-budget.js';
import type { YtDlpRunner } from '../tools/ytdlp-runner.js';
import { createVstreamWorkers, type VstreamWorkers } from '../worker/workers.js';
import type { ConnectionSecurity } from './connection-options.js';
import { launchEmbeddedServer } from './embedded-server.js';
import { CliError } from './exit-codes.js';

/**
 * The dev server takes about 1.7 s to act on SIGTERM, and its state is durable in SQLite
 * (WAL) at every commit: it is killed at once when the run ends.
 */
const SERVER_STOP_GRACE_MS = 0;

export interface SessionOptions {
  outDir: string;
  /** An existing server; without it the embedded one is started on `<out>/_vstream/temporal.db`. */
  temporalAddress?: string;
  /** The embedded server, launched already (`run` launches it before loading the SDK); the session owns it from here. */
  server?: Promise<LaunchedDevServer>;
  namespace: string;
  logger: Logger;
  /** mTLS / API key for an existing server. */
  security?: ConnectionSecurity;
  /** Host a worker in this process. Its encoders are checked while the server boots. */
  worker?: {
    tools: ToolPaths;
    /** How yt-dlp runs; closed with the worker. */
    ytDlp?: YtDlpRunner;
    topology: Promise<EncodeTopology>;
    downloadSlots: number;
    graceSeconds: number;
    scratch: ScratchFiles;
    tempBudget?: TempBudget;
    workDir?: string;
    downloads?: DownloadSettings;
    /** Record vstream's metrics (the runtime serves them). */
    metrics?: boolean;
    /** Start an encode while its source downloads when an encoder is idle. */
    encodeWhileDownloading?: boolean;
  };
}

export interface Session {
  client: Client;
  address: string;
  uiUrl: string | null;
  /** Rejects when the embedded server or the worker stops while the session is open. */
  failure: Promise<never>;
  /** Stops the worker (running activities get the grace time), the connections and the embedded server. */
  close(): Promise<void>;
}

/** The host ID of this machine's worker: stable across restarts, so retried activities come back. */
export const localHostId = () => hostname().replace(/[^A-Za-z0-9._-]/g, '-');

export async function openSession(options: SessionOptions): Promise<Session> {
  const cleanups: Array<() => Promise<unknown>> = [];
  let closing = false;
  const close = async () => {
    closing = true;
    for (const cleanup of cleanups.splice(0)) {
      await cleanup().catch((err: unknown) => options.logger.warn({ err: String(err) }, 'cleanup step failed'));
    }
  };
  const failures: Promise<never>[] = [];
  // Observed later through `failure`; until then (a server that stops while starting
  // fails through `ready`) its rejection must not end the process as unhandled.
  const watchFailure = (failing: Promise<never>) => {
    failing.catch(() => undefined);
    failures.push(failing);
  };
  try {
    let server: LaunchedDevServer | null = null;
    if (!options.temporalAddress) {
      server = await (options.server ?? launchEmbeddedServer(options.outDir, options.namespace, options.logger));
      const devServer = server;
      cleanups.unshift(() => devServer.stop(SERVER_STOP_GRACE_MS));
      watchFailure(
        devServer.exited.then(() => {
          throw new CliError(
            `the embedded Temporal server stopped unexpectedly (see ${devServer.logFile}); run the same command again to resume`,
          );
        }),
      );
      await server.ready;
    }
    const address = server?.address ?? (options.temporalAddress as string);

    let workers: VstreamWorkers | null = null;
    if (options.worker) {
      const topology = await options.worker.topology;
      const nativeConnection = await connectNative({ address, ...(server ? {} : options.security) });
      cleanups.unshift(() => nativeConnection.close());
      workers = await createVstreamWorkers({
        connection: nativeConnection,
        namespace: options.namespace,
        hostId: localHostId(),
        tools: options.worker.tools,
        ytDlp: options.worker.ytDlp,
        logger: options.logger,
        encode: topology,
        downloadSlots: options.worker.downloadSlots,
        workDir: options.worker.workDir,
        scratch: options.worker.scratch,
        tempBudget: options.worker.tempBudget,
        downloads: options.worker.downloads,
        shutdownGraceTime: `${options.worker.graceSeconds}s`,
        metrics: options.worker.metrics,
        encodeWhileDownloading: options.worker.encodeWhileDownloading,
      });
      const running = workers.run();
      const hosted = workers;
      const ytDlp = options.worker.ytDlp;
      cleanups.unshift(async () => {
        hosted.shutdown();
        await running;
        await ytDlp?.close();
      });
      watchFailure(
        running.then(() => {
          throw new CliError('the worker stopped unexpectedly');
        }),
      );
    }
    // Not closed on the way out: the SDK's gRPC retry timer of a call still pending (the
    // batch's result, when the server died) would throw on a closed channel. The command
    // exits right after, which ends the connection.
    const connection = await connectClient({ address, ...(server ? {} : options.security) });
    const failure = Promise.race(
      failures.map((f) =>
        f.catch((err: unknown) => (closing ? new Promise<never>(() => undefined) : Promise.reject(err))),
      ),
    );
    // Nobody may be listening yet: an unhandled rejection must not end the process.
    failure.catch(() => undefined);
    return {
      client: new Client({ connection, namespace: options.namespace }),
      address,
      uiUrl: server?.uiUrl ?? null,
      failure: failures.length > 0 ? failure : new Promise<never>(() => undefined),
      close,
    };
  } catch (err) {
    // The server stopped by close() is no failure (watchFailure): the error that got us here is the one to show.
    await close();
    throw err;
  }
}
