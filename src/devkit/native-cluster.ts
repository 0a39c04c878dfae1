// The production stack without Docker: the Temporal server built from Go at the pinned
// release (cached outside the clone), PostgreSQL in a temporary folder, the schema and
// namespace set up by the compose stack's own scripts (deploy/), and vstream's search
// attributes registered by `vstream search-attributes`, as compose does. Used by
// `npm run cluster` and by the cluster tests (test/cluster/).
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { access, chown, cp, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { TEMPORAL_SERVER, WORKER_DEFAULTS } from '../config.js';
import {
  MEMBERSHIP_PORT_LIMIT,
  SERVER_PORT_VARIABLES,
  STACK_DATABASE,
  STACK_FILES,
  cacheRoot,
  cliTlsEnvironment,
  goInstallArgs,
  nativePlacement,
  serverBuildPaths,
  serverEnvironment,
  serverTlsEnvironment,
  vstreamTlsArgs,
  type ServerPorts,
  type StackTlsFiles,
} from '../core/temporal-stack.js';
import { findOnPath, resolveTool } from '../tools/binaries.js';
import { withParentDeathSignal } from '../tools/process.js';
import { PROJECT_ROOT } from '../tools/project.js';
import { portIsFree } from '../server/dev-server.js';

const HOST = '127.0.0.1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
type Log = (line: string) => void;

export interface ServerBuild {
  version: string;
  server: string;
  sqlTool: string;
  schemaDir: string;
}

const exists = (path: string) =>
  access(path, constants.F_OK).then(
    () => true,
    () => false,
  );

/**
 * temporal-server and temporal-sql-tool of one release, built with `go install` once and
 * cached (a stamp written last marks a complete build); the module's PostgreSQL schema
 * folder beside them, as the admin-tools image has it.
 */
export async function ensureServerBuild(options: { version?: string; log?: Log } = {}): Promise<ServerBuild> {
  const version = options.version ?? TEMPORAL_SERVER.version;
  const paths = serverBuildPaths(cacheRoot(process.env, homedir()), version);
  const build = { version, server: paths.server, sqlTool: paths.sqlTool, schemaDir: paths.schemaDir };
  if ((await readFile(paths.stamp, 'utf8').catch(() => '')).trim() === version) return build;

  const go = findOnPath('go');
  if (!go) throw new Error(`go not found: building Temporal ${version} needs Go (1.21 or later) on PATH`);
  const partial = `${paths.dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  const started = Date.now();
  options.log?.(`building temporal-server and temporal-sql-tool ${version} (go install, several minutes)`);
  // GOTOOLCHAIN: the release needs a newer Go than many machines have; go fetches that toolchain.
  const goEnv = { ...process.env, GOTOOLCHAIN: TEMPORAL_SERVER.goToolchain, GOBIN: join(partial, 'bin') };
  await execa(go, goInstallArgs(version), { env: goEnv, stdin: 'ignore', stdout: 'inherit', stderr: 'inherit' });
  const { stdout } = await execa(go, ['mod', 'download', '-json', `go.temporal.io/server@v${version}`], {
    env: goEnv,
    stdin: 'ignore',
  });
  const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
  await cp(join(moduleDir, 'schema', 'postgresql'), join(partial, 'schema', 'postgresql'), { recursive: true });
  // The module cache is read-only, and so is a copy: writable, the next build can replace it.
  await execa('chmod', ['-R', 'u+w', partial]);
  await rename(join(partial, 'bin', 'server'), join(partial, 'bin', 'temporal-server'));
  await rename(join(partial, 'bin', 'sql'), join(partial, 'bin', 'temporal-sql-tool'));
  await rm(paths.dir, { recursive: true, force: true });
  await rename(partial, paths.dir);
  await writeFile(paths.stamp, `${version}\n`);
  options.log?.(`built Temporal ${version} in ${Math.round((Date.now() - started) / 1000)} s: ${paths.dir}`);
  return build;
}

/** A loopback port below the membership limit, free now (random, so parallel stacks rarely meet). */
async function freeLowPort(taken: Set<number>): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = 10_000 + Math.floor(Math.random() * (MEMBERSHIP_PORT_LIMIT - 10_000));
    if (!taken.has(port) && (await portIsFree(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free loopback port below ${MEMBERSHIP_PORT_LIMIT}`);
}

/** PostgreSQL's programs: VSTREAM_PG_BIN_DIR, else initdb's folder on PATH, else Debian's newest. */
async function postgresBinDir(): Promise<string> {
  if (process.env.VSTREAM_PG_BIN_DIR) return process.env.VSTREAM_PG_BIN_DIR;
  const onPath = findOnPath('initdb');
  if (onPath) {
    const { stdout } = await execa('realpath', [onPath]);
    return dirname(stdout.trim());
  }
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  const newest = versions
    .map(Number)
    .filter(Number.isFinite)
    .sort((a, b) => b - a)[0];
  if (newest === undefined)
    throw new Error('PostgreSQL not found: apt-get install postgresql (or set VSTREAM_PG_BIN_DIR)');
  return `/usr/lib/postgresql/${newest}/bin`;
}

/** initdb and postgres refuse root: as root they run as the `postgres` user (setpriv, no shell). */
async function postgresUser(): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const id = async (flag: string) => Number((await execa('id', [flag, 'postgres'])).stdout.trim());
  return { uid: await id('-u'), gid: await id('-g') };
}

/**
 * The command line running `file` as that user. Tied: with the parent-death signal in the
 * same setpriv, after the user change (a change of user clears an earlier one).
 */
function asUser(
  user: { uid: number; gid: number } | null,
  file: string,
  args: string[],
  tied = false,
): [string, string[]] {
  if (!user) return tied ? withParentDeathSignal(file, args) : [file, args];
  const ids = ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups'];
  return ['setpriv', [...ids, ...(tied ? ['--pdeathsig', 'KILL'] : []), '--', file, ...args]];
}

/**
 * Starts a long-running process, its output appended to a log file. Tied: it dies with
 * this process (parent-death signal). Untied: detached and let go, for `cluster up`.
 */
function launch(
  file: string,
  args: string[],
  options: { env?: Record<string, string>; logFile: string; tied: boolean; cwd: string; wrapped?: boolean },
): number {
  // `wrapped`: the command line already carries the parent-death signal (asUser).
  const [command, commandArgs] = options.tied && !options.wrapped ? withParentDeathSignal(file, args) : [file, args];
  // A file descriptor of its own, not a pipe through this process: `cluster up` exits, the process stays.
  const log = openSync(options.logFile, 'a');
  const child = spawn(command, commandArgs, {
    stdio: ['ignore', log, log],
    detached: true,
    cwd: options.cwd,
    env: options.env ?? process.env,
  });
  closeSync(log);
  child.on('error', () => undefined); // no pid then: reported below
  if (child.pid === undefined) throw new Error(`${file} did not start; see ${options.logFile}`);
  if (!options.tied) child.unref();
  return child.pid;
}

/** Whether a process lives (a zombie does not). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A step that needs a process: fails as soon as the process is gone, not at the step's own timeout. */
async function whileRunning<T>(pid: number, what: string, logFile: string, step: ResultPromise): Promise<T> {
  let done = false;
  const watch = (async () => {
    while (!done) {
      if (!isRunning(pid)) throw new Error(`${what} exited; see ${logFile}`);
      await sleep(500);
    }
  })();
  try {
    return (await Promise.race([step, watch])) as T;
  } catch (err) {
    step.kill();
    await step.catch(() => undefined);
    throw err;
  } finally {
    done = true;
  }
}

/** `signal`, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(pid: number, signal: NodeJS.Signals, graceMs = 15_000): Promise<void> {
  const send = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // already gone
    }
  };
  send(signal);
  const deadline = Date.now() + graceMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) send('SIGKILL');
    await sleep(50);
  }
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, logFile: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s; see ${logFile}`);
    await sleep(200);
  }
}

/** What `cluster up` records, so `cluster down` (another process) can stop it. */
export interface ClusterState {
  dir: string;
  version: string;
  address: string;
  namespace: string;
  postgresPort: number;
  serverPorts: ServerPorts;
  postgresPid: number;
  serverPid: number;
  /** PostgreSQL's data folder (under `dir`, or of its own when it runs as another user). */
  postgresDir: string;
}

export const STATE_FILE_NAME = 'cluster.json';

export interface NativeCluster {
  state: ClusterState;
  address: string;
  namespace: string;
  /** The server's and PostgreSQL's logs. */
  serverLog: string;
  postgresLog: string;
  /** SIGKILL to the server: its state is in PostgreSQL. */
  killServer(): Promise<void>;
  /** The server again, on the same ports and databases; resolves once it answers. */
  startServer(): Promise<void>;
  /** PostgreSQL's fast shutdown (as `pg_ctl stop -m fast`); the server keeps running. */
  stopPostgres(): Promise<void>;
  /** PostgreSQL again, on the same data folder and port; resolves once it accepts connections. */
  startPostgres(): Promise<void>;
  /** Stops the server, then PostgreSQL (fast shutdown), and removes the folder unless told to keep it. */
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

export interface NativeClusterOptions {
  /** An empty folder of its own: PostgreSQL's data, logs, the state file. */
  dir: string;
  build: ServerBuild;
  /** True (tests): everything dies with this process, even by kill -9. False: `cluster up`. */
  tied: boolean;
  namespace?: string;
  /** mTLS on the server: clients (the set-up steps too) need the client certificate. */
  tls?: StackTlsFiles;
  log?: Log;
}

/** PostgreSQL, schema, server, namespace and search attributes; stopped again if any step fails. */
export async function startNativeCluster(options: NativeClusterOptions): Promise<NativeCluster> {
  const namespace = options.namespace ?? WORKER_DEFAULTS.namespace;
  const log = options.log ?? (() => undefined);
  const dir = options.dir;
  const postgresLog = join(dir, 'postgres.log');
  const serverLog = join(dir, 'server.log');
  const setupLog = join(dir, 'setup.log');
  await mkdir(dir, { recursive: true });

  const taken = new Set<number>();
  const postgresPort = await freeLowPort(taken);
  const serverPorts = {} as ServerPorts;
  for (const name of SERVER_PORT_VARIABLES) serverPorts[name] = await freeLowPort(taken);
  const address = `${HOST}:${serverPorts.FRONTEND_GRPC_PORT}`;

  const launched: Array<{ pid: number; signal: NodeJS.Signals }> = [];
  let pgDir: string | undefined;
  const stopAll = async () => {
    // Server first, then PostgreSQL (SIGINT: its fast shutdown).
    for (const { pid, signal } of [...launched].reverse()) await stopProcess(pid, signal);
    if (pgDir) await rm(pgDir, { recursive: true, force: true });
  };
  try {
    // PostgreSQL: a fresh cluster owned by its user, password auth over TCP as compose's image.
    const binDir = await postgresBinDir();
    const user = await postgresUser();
    // As another user, PostgreSQL gets a folder of its own under the system's temporary
    // folder: the caller's may not be traversable by it (mkdtemp makes 0700 folders).
    pgDir = user ? await mkdtemp(join(tmpdir(), 'vstream-postgres-')) : join(dir, 'postgres');
    await mkdir(pgDir, { recursive: true });
    const pwFile = join(pgDir, 'pgpass');
    await writeFile(pwFile, `${STACK_DATABASE.password}\n`, { mode: 0o600 });
    if (user) {
      await chown(pgDir, user.uid, user.gid);
      await chown(pwFile, user.uid, user.gid);
    }
    const dataDir = join(pgDir, 'data');
    const [initdb, initdbArgs] = asUser(user, join(binDir, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      STACK_DATABASE.user,
      `--pwfile=${pwFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    log(`PostgreSQL on ${HOST}:${postgresPort} (${dataDir})`);
    await execa(initdb, initdbArgs, {
      cwd: pgDir,
      stdin: 'ignore',
      stdout: { file: postgresLog },
      stderr: { file: postgresLog },
    });
    const [postgres, postgresArgs] = asUser(
      user,
      join(binDir, 'postgres'),
      ['-D', dataDir, '-p', String(postgresPort), '-k', pgDir, '-c', `listen_addresses=${HOST}`],
      options.tied,
    );
    // SIGINT: PostgreSQL's fast shutdown.
    const postgresProcess = { pid: 0, signal: 'SIGINT' as NodeJS.Signals };
    const pgReady = () =>
      execa(join(binDir, 'pg_isready'), ['-h', HOST, '-p', String(postgresPort)], { reject: false }).then(
        (r) => r.exitCode === 0,
      );
    const startPostgres = async () => {
      postgresProcess.pid = launch(postgres, postgresArgs, {
        logFile: postgresLog,
        tied: options.tied,
        wrapped: true,
        cwd: pgDir as string,
      });
      if (!launched.includes(postgresProcess)) launched.unshift(postgresProcess);
      await waitUntil('PostgreSQL did not accept connections', pgReady, 60_000, postgresLog);
    };
    await startPostgres();

    // The schema, with the compose job's own script and the build's schema folder.
    const env = serverEnvironment(
      nativePlacement({ projectRoot: PROJECT_ROOT, host: HOST, postgresPort, ports: serverPorts }),
    );
    const serverTls = options.tls ? serverTlsEnvironment(options.tls) : {};
    const path = `${dirname(options.build.sqlTool)}:${dirname(resolveTool('temporal'))}:${process.env.PATH ?? ''}`;
    log('schema: deploy/temporal-schema.sh');
    await execa('sh', [join(PROJECT_ROOT, STACK_FILES.schemaScript)], {
      env: { PATH: path, ...env, TEMPORAL_SCHEMA_DIR: options.build.schemaDir },
      extendEnv: false,
      stdin: 'ignore',
      stdout: { file: setupLog, append: true },
      stderr: { file: setupLog, append: true },
    });

    // The server: `temporal-server start` with no config file renders its embedded template
    // from the environment, as the temporalio/server image's entrypoint does.
    const server = { pid: 0, signal: 'SIGTERM' as NodeJS.Signals };
    // Up once the namespace script finds the server answering (and the namespace there).
    const startServer = async () => {
      server.pid = launch(options.build.server, ['start'], {
        env: { PATH: process.env.PATH ?? '', ...env, ...serverTls },
        logFile: serverLog,
        tied: options.tied,
        cwd: dir,
      });
      if (!launched.includes(server)) launched.push(server);
      const namespaceJob = execa('sh', [join(PROJECT_ROOT, STACK_FILES.namespaceScript)], {
        env: {
          PATH: path,
          TEMPORAL_ADDRESS: address,
          TEMPORAL_NAMESPACE: namespace,
          TEMPORAL_WAIT_SECONDS: '120',
          ...(options.tls ? cliTlsEnvironment(options.tls) : {}),
        },
        extendEnv: false,
        stdin: 'ignore',
        stdout: { file: setupLog, append: true },
        stderr: { file: setupLog, append: true },
      });
      await whileRunning(server.pid, 'temporal-server', serverLog, namespaceJob);
    };
    log(`Temporal ${options.build.version} on ${address}; namespace ${namespace}: deploy/temporal-namespace.sh`);
    await startServer();
    log('search attributes: vstream search-attributes');
    const vstream = join(PROJECT_ROOT, 'bin', 'vstream.js');
    const searchAttributesJob = execa(
      process.execPath,
      [
        vstream,
        'search-attributes',
        '--temporal-address',
        address,
        '--namespace',
        namespace,
        '--wait',
        '120',
        ...(options.tls ? vstreamTlsArgs(options.tls) : []),
      ],
      { stdin: 'ignore', stdout: { file: setupLog, append: true }, stderr: { file: setupLog, append: true } },
    );
    await whileRunning(server.pid, 'temporal-server', serverLog, searchAttributesJob);

    const state: ClusterState = {
      dir,
      version: options.build.version,
      address,
      namespace,
      postgresPort,
      serverPorts,
      postgresPid: postgresProcess.pid,
      postgresDir: pgDir,
      serverPid: server.pid,
    };
    await writeFile(join(dir, STATE_FILE_NAME), `${JSON.stringify(state, null, 2)}\n`);
    return {
      state,
      address,
      namespace,
      serverLog,
      postgresLog,
      killServer: async () => stopProcess(server.pid, 'SIGKILL'),
      startServer: async () => {
        await startServer();
        state.serverPid = server.pid;
      },
      stopPostgres: async () => stopProcess(postgresProcess.pid, postgresProcess.signal),
      startPostgres: async () => {
        await startPostgres();
        state.postgresPid = postgresProcess.pid;
      },
      stop: async ({ keepDir = false } = {}) => {
        await stopAll();
        if (!keepDir) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll();
    const setup = await readFile(setupLog, 'utf8').catch(() => '');
    throw new Error(`${(err as Error).message}${setup ? `\n${setup.slice(-2000)}` : ''}\n(logs in ${dir})`, {
      cause: err,
    });
  }
}

/** Stops a stack `cluster up` started, from its state file, and removes its folder. */
export async function stopRecordedCluster(dir: string): Promise<ClusterState | null> {
  const text = await readFile(join(dir, STATE_FILE_NAME), 'utf8').catch(() => null);
  if (text === null) return null;
  const state = JSON.parse(text) as ClusterState;
  await stopProcess(state.serverPid, 'SIGTERM');
  await stopProcess(state.postgresPid, 'SIGINT');
  await rm(state.postgresDir, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
  return state;
}

/** Whether the recorded stack's processes run. */
export async function recordedClusterState(dir: string): Promise<(ClusterState & { running: boolean }) | null> {
  if (!(await exists(join(dir, STATE_FILE_NAME)))) return null;
  const state = JSON.parse(await readFile(join(dir, STATE_FILE_NAME), 'utf8')) as ClusterState;
  return { ...state, running: isRunning(state.serverPid) && isRunning(state.postgresPid) };
}
