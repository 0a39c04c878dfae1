import { connect as tcpConnect, createServer } from 'node:net';
import { msToTs } from '@temporalio/common/lib/time.js';
import { execa } from 'execa';
import { WORKER_DEFAULTS } from '../config.js';
import { DevServerStartError, devServerStartFailure, isPortClash } from '../core/dev-server-failure.js';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../core/search-attributes.js';
import { fileTail } from '../tools/fs.js';
import { withParentDeathSignal } from '../tools/process.js';

/** Namespace retention for the embedded server: history stays browsable for a month. */
export const EMBEDDED_RETENTION_DAYS = 30;
const HOST = '127.0.0.1';
/** Starts tried when a chosen port was taken before the server bound it. */
const DEV_SERVER_STARTS = 3;

/** The address of the dev server's UI on `port`. */
export const devServerUiUrl = (port: number) => `http://${HOST}:${port}`;

/** Listens on a loopback port (0: the OS picks one) and closes it: the port, or null if it is taken. */
async function tryListen(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.on('error', () => resolve(null));
    server.listen(port, HOST, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : null));
    });
  });
}

/** A loopback port free now (the OS picks it). */
export async function freePort(): Promise<number> {
  const port = await tryListen(0);
  if (port === null) throw new Error('no free loopback port');
  return port;
}

/** Whether nothing listens on this loopback port now. */
export const portIsFree = async (port: number): Promise<boolean> => (await tryListen(port)) === port;

export interface DevServer {
  address: string;
  uiUrl: string;
  namespace: string;
  pid: number | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`. Its state is durable in SQLite either way. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when the server process has exited, for whatever reason. */
  exited: Promise<void>;
  logFile: string;
}

export interface LaunchedDevServer extends DevServer {
  /** Resolves once the server answers and its namespace retention is set. */
  ready: Promise<void>;
}

export interface DevServerOptions {
  temporalBin: string;
  /** SQLite file: the server's state survives restarts. */
  dbFile: string;
  /** The server's own output goes here. */
  logFile: string;
  namespace?: string;
  startTimeoutMs?: number;
  /** The frontend port (default: a free one); a restart on the same file can keep its address. */
  port?: number;
  /**
   * Register vstream's search attributes at start (default true; an existing file keeps
   * them, and a file from before them gains them). False: a server as an unprepared one.
   */
  searchAttributes?: boolean;
  /** The UI's port (default: a free one): one per output folder keeps its links valid (ui-port.ts). */
  uiPort?: number;
}

/** `--search-attribute Name=Type` for each of vstream's. */
export const searchAttributeFlags = (): string[] =>
  SEARCH_ATTRIBUTE_DEFINITIONS.flatMap(({ name, type }) => ['--search-attribute', `${name}=${type}`]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether something accepts connections on this loopback port now (refused at once if not). */
function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** One start of the server, on ports chosen now. */
async function spawnDevServer(options: DevServerOptions): Promise<LaunchedDevServer> {
  const namespace = options.namespace ?? WORKER_DEFAULTS.namespace;
  const [port, uiPort, httpPort, metricsPort] = [
    options.port ?? (await freePort()),
    options.uiPort ?? (await freePort()),
    await freePort(),
    await freePort(),
  ];
  const [command, args] = withParentDeathSignal(options.temporalBin, [
    'server',
    'start-dev',
    '--db-filename',
    options.dbFile,
    '--ip',
    HOST,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
    // WAL without a sync per commit: 2.7x the workflow throughput here (bench:scale). A
    // killed process loses nothing; a power cut can lose the last commits, not the file.
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    ...(options.searchAttributes === false ? [] : searchAttributeFlags()),
  ]);
  const log = { file: options.logFile, append: true };
  // Its own process group: a terminal's Ctrl-C reaches vstream, which stops the server last.
  const child = execa(command, args, {
    stdin: 'ignore',
    stdout: log,
    stderr: log,
    reject: false,
    cleanup: true,
    detached: true,
  });
  let exited = false;
  const exitedPromise = child.then(() => {
    exited = true;
  });
  const address = `${HOST}:${port}`;
  const stop = async (graceMs = 10_000) => {
    if (exited) return;
    child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await child;
    clearTimeout(timer);
  };

  const ready = (async () => {
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    for (;;) {
      if (exited) {
        const tail = await fileTail(options.logFile);
        throw new DevServerStartError(devServerStartFailure(tail, options.logFile, options.dbFile), isPortClash(tail));
      }
      // A gRPC connect to a port nobody listens on yet waits out its whole timeout: the
      // refused TCP connect answers at once, so the server is found within 20 ms of listening.
      if (!(await acceptsConnections(port)) && Date.now() < deadline) {
        await sleep(20);
        continue;
      }
      try {
        // Loaded here: `vstream run` launches the server before it loads the SDK, so both proceed at once.
        const { Connection } = await import('@temporalio/client');
        const connection = await Connection.connect({ address, connectTimeout: 1_000 });
        try {
          await connection.workflowService.updateNamespace({
            namespace,
            config: { workflowExecutionRetentionTtl: msToTs(`${EMBEDDED_RETENTION_DAYS} days`) },
          });
        } finally {
          await connection.close();
        }
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(
            `temporal server did not come up at ${address} within the time allowed: ${(err as Error).message}`,
            { cause: err },
          );
        }
        await sleep(100);
      }
    }
  })();
  ready.catch(() => stop());
  return {
    address,
    uiUrl: devServerUiUrl(uiPort),
    namespace,
    pid: child.pid,
    stop,
    ready,
    exited: exitedPromise,
    logFile: options.logFile,
  };
}

/**
 * Launches `temporal server start-dev` on free loopback ports, with its state in a
 * SQLite file; it dies with this process (parent-death signal), and is never an
 * already running server: it is ours or the start fails. Returns at once, so the
 * caller can prepare the rest while the server boots.
 */
export async function launchDevServer(options: DevServerOptions): Promise<LaunchedDevServer> {
  let current = await spawnDevServer(options);
  let stopping = false;
  // A port taken between its choice and the bind (see isPortClash): started again on new ones.
  const ready = (async () => {
    for (let start = 1; ; start++) {
      try {
        return await current.ready;
      } catch (err) {
        const clash = err instanceof DevServerStartError && err.portClash;
        if (!clash || stopping || start >= DEV_SERVER_STARTS) throw err;
        current = await spawnDevServer(options);
        if (stopping) await current.stop(0);
      }
    }
  })();
  ready.catch(() => undefined);
  return {
    get address() {
      return current.address;
    },
    get uiUrl() {
      return current.uiUrl;
    },
    get pid() {
      return current.pid;
    },
    namespace: current.namespace,
    logFile: options.logFile,
    ready,
    // The server that came up (or the last that tried) exits.
    exited: ready.then(
      () => current.exited,
      () => current.exited,
    ),
    stop: async (graceMs?: number) => {
      stopping = true;
      await current.stop(graceMs);
    },
  };
}

/** Launches the dev server and waits until it is ready. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const server = await launchDevServer(options);
  await server.ready;
  return server;
}
