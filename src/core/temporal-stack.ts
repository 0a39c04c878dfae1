// The production stack's Temporal server as data: where a native build of one release
// lives, and the environment its `temporal-server start` renders its configuration from
// (the binary's embedded template, the same one the temporalio/server image uses), so
// the native stack and docker-compose.yml run one configuration. Pure, without node:path
// (workflow code may import src/core): paths here are POSIX, as the stack's machines.

const join = (...parts: string[]) => parts.join('/').replace(/\/{2,}/g, '/');

/** The server's ports; PostgreSQL stores membership ports as smallint, so all stay below this. */
export const MEMBERSHIP_PORT_LIMIT = 32768;

/** The template's port variables, one per listening port of the four services. */
export const SERVER_PORT_VARIABLES = [
  'FRONTEND_GRPC_PORT',
  'FRONTEND_HTTP_PORT',
  'FRONTEND_MEMBERSHIP_PORT',
  'HISTORY_GRPC_PORT',
  'HISTORY_MEMBERSHIP_PORT',
  'MATCHING_GRPC_PORT',
  'MATCHING_MEMBERSHIP_PORT',
  'WORKER_GRPC_PORT',
  'WORKER_MEMBERSHIP_PORT',
] as const;

export type ServerPorts = Record<(typeof SERVER_PORT_VARIABLES)[number], number>;

/** What compose's `x-postgres-env` and `temporal` service set, with the values that differ per place. */
export interface StackPlacement {
  postgresHost: string;
  postgresPort: number;
  /** The address the server's services bind to. */
  bindIp: string;
  /** deploy/dynamicconfig.yaml, wherever it is mounted. */
  dynamicConfigFile: string;
  ports: ServerPorts;
}

/** Values the compose stack and the native one share. */
export const STACK_DATABASE = {
  user: 'temporal',
  password: 'temporal',
  plugin: 'postgres12',
  database: 'temporal',
  visibilityDatabase: 'temporal_visibility',
} as const;

/** The variables that differ between compose and a native stack: addresses, ports, paths. */
export const PLACEMENT_VARIABLES = [
  'POSTGRES_SEEDS',
  'DB_PORT',
  'BIND_ON_IP',
  'DYNAMIC_CONFIG_FILE_PATH',
  ...SERVER_PORT_VARIABLES,
] as const;

/** Files of the compose stack the native one uses as they are (paths relative to the repository). */
export const STACK_FILES = {
  dynamicConfig: 'deploy/dynamicconfig.yaml',
  schemaScript: 'deploy/temporal-schema.sh',
  namespaceScript: 'deploy/temporal-namespace.sh',
} as const;

/** The native stack's placement: everything on one loopback address. */
export function nativePlacement(options: {
  projectRoot: string;
  host: string;
  postgresPort: number;
  ports: ServerPorts;
}): StackPlacement {
  return {
    postgresHost: options.host,
    postgresPort: options.postgresPort,
    bindIp: options.host,
    dynamicConfigFile: join(options.projectRoot, STACK_FILES.dynamicConfig),
    ports: options.ports,
  };
}

/** The environment `temporal-server start` takes its whole configuration from. */
export function serverEnvironment(placement: StackPlacement): Record<string, string> {
  const tooHigh = Object.entries(placement.ports).filter(([, port]) => port >= MEMBERSHIP_PORT_LIMIT);
  if (tooHigh.length > 0)
    throw new Error(
      `server ports must be below ${MEMBERSHIP_PORT_LIMIT}: ${tooHigh.map(([n, p]) => `${n}=${p}`).join(', ')}`,
    );
  return {
    POSTGRES_USER: STACK_DATABASE.user,
    POSTGRES_PWD: STACK_DATABASE.password,
    POSTGRES_SEEDS: placement.postgresHost,
    DB_PORT: String(placement.postgresPort),
    DB: STACK_DATABASE.plugin,
    DBNAME: STACK_DATABASE.database,
    VISIBILITY_DBNAME: STACK_DATABASE.visibilityDatabase,
    BIND_ON_IP: placement.bindIp,
    DYNAMIC_CONFIG_FILE_PATH: placement.dynamicConfigFile,
    ...Object.fromEntries(Object.entries(placement.ports).map(([name, port]) => [name, String(port)])),
  };
}

/** Where one release's native build lives: binaries, the schema folder, and the stamp written last. */
export function serverBuildPaths(cacheRoot: string, version: string) {
  const dir = join(cacheRoot, `temporal-${version}`);
  return {
    dir,
    server: join(dir, 'bin', 'temporal-server'),
    sqlTool: join(dir, 'bin', 'temporal-sql-tool'),
    /** As the admin-tools image's /etc/temporal/schema: deploy/temporal-schema.sh reads postgresql/v12 there. */
    schemaDir: join(dir, 'schema'),
    stamp: join(dir, 'complete'),
  };
}

/** `go install` of both binaries at one release (they land as `server` and `sql`). */
export function goInstallArgs(version: string): string[] {
  return ['install', `go.temporal.io/server/cmd/server@v${version}`, `go.temporal.io/server/cmd/tools/sql@v${version}`];
}

/** The cache root: VSTREAM_CACHE_DIR, else XDG's cache folder, else ~/.cache, each with /vstream. */
export function cacheRoot(env: NodeJS.ProcessEnv, home: string): string {
  if (env.VSTREAM_CACHE_DIR) return env.VSTREAM_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'vstream');
}

/** The name the server's certificate carries (beside its loopback IP address). */
export const TLS_SERVER_NAME = 'localhost';

/** The certificate files of a stack with mTLS: one CA signs the server's and the client's. */
export interface StackTlsFiles {
  ca: string;
  /** The server's, for clients (SAN of its address) and, as a client, for its other services. */
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/**
 * The template's TLS variables for mTLS on the frontend. Internode TLS is on as well: the
 * server's own worker service presents the internode certificate to the frontend, which
 * refuses it without one. One server certificate serves both (server and client auth).
 */
export function serverTlsEnvironment(tls: StackTlsFiles): Record<string, string> {
  return {
    TEMPORAL_TLS_REQUIRE_CLIENT_AUTH: 'true',
    TEMPORAL_TLS_SERVER_CERT: tls.serverCert,
    TEMPORAL_TLS_SERVER_KEY: tls.serverKey,
    TEMPORAL_TLS_SERVER_CA_CERT: tls.ca,
    TEMPORAL_TLS_FRONTEND_CERT: tls.serverCert,
    TEMPORAL_TLS_FRONTEND_KEY: tls.serverKey,
    // The template lists both client CAs once the first is set: an empty second would not load.
    TEMPORAL_TLS_CLIENT1_CA_CERT: tls.ca,
    TEMPORAL_TLS_CLIENT2_CA_CERT: tls.ca,
    // The services reach each other by IP address; Go's TLS client wants a name to verify.
    TEMPORAL_TLS_INTERNODE_SERVER_NAME: TLS_SERVER_NAME,
    TEMPORAL_TLS_FRONTEND_SERVER_NAME: TLS_SERVER_NAME,
  };
}

/** The Temporal CLI's variables for the client side of that mTLS (deploy/temporal-namespace.sh). */
export function cliTlsEnvironment(tls: StackTlsFiles): Record<string, string> {
  return {
    TEMPORAL_TLS_CLIENT_CERT_PATH: tls.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: tls.clientKey,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: tls.ca,
  };
}

/** vstream's options for the client side of that mTLS. */
export function vstreamTlsArgs(tls: StackTlsFiles): string[] {
  return ['--tls-cert', tls.clientCert, '--tls-key', tls.clientKey, '--tls-ca', tls.ca];
}
