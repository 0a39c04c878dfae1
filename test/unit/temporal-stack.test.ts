// The native stack and docker-compose.yml run one Temporal release with one configuration.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { TEMPORAL_SERVER } from '../../src/config.js';
import { resolveTool } from '../../src/tools/binaries.js';
import {
  MEMBERSHIP_PORT_LIMIT,
  PLACEMENT_VARIABLES,
  SERVER_PORT_VARIABLES,
  STACK_FILES,
  cacheRoot,
  cliTlsEnvironment,
  goInstallArgs,
  nativePlacement,
  serverBuildPaths,
  serverEnvironment,
  serverTlsEnvironment,
  type ServerPorts,
  type StackTlsFiles,
} from '../../src/core/temporal-stack.js';
import { loadComposeFile } from '../helpers/compose-file.js';
import { ROOT } from '../helpers/paths.js';

interface Service {
  image?: string;
  environment?: Record<string, string>;
  entrypoint?: string[];
  volumes?: string[];
}

const compose = async () =>
  (await loadComposeFile(join(ROOT, 'docker-compose.yml'))) as { services: Record<string, Service> };

const ports = (first: number): ServerPorts =>
  Object.fromEntries(SERVER_PORT_VARIABLES.map((name, i) => [name, first + i])) as ServerPorts;

const placement = (first = 20_000) =>
  nativePlacement({ projectRoot: ROOT, host: '127.0.0.1', postgresPort: 19_999, ports: ports(first) });

test("the native server's environment is compose's, but for addresses, ports and paths", async () => {
  const { services } = await compose();
  const composeEnv = services.temporal?.environment ?? {};
  const nativeEnv = serverEnvironment(placement());
  const placed = new Set<string>(PLACEMENT_VARIABLES);
  assert.ok(Object.keys(composeEnv).length >= 9, JSON.stringify(composeEnv));
  for (const [name, value] of Object.entries(composeEnv)) {
    assert.ok(name in nativeEnv, `the native server sets ${name}`);
    if (!placed.has(name)) assert.equal(nativeEnv[name], value, name);
  }
  for (const name of Object.keys(nativeEnv))
    assert.ok(name in composeEnv || placed.has(name), `${name} is compose's or a placement variable`);
  assert.equal(nativeEnv.DB_PORT, '19999');
  assert.equal(nativeEnv.FRONTEND_GRPC_PORT, '20000');
  assert.equal(nativeEnv.WORKER_MEMBERSHIP_PORT, String(20_000 + SERVER_PORT_VARIABLES.length - 1));

  // The same dynamic config: compose mounts the file the native server reads.
  assert.equal(nativeEnv.DYNAMIC_CONFIG_FILE_PATH, join(ROOT, STACK_FILES.dynamicConfig));
  assert.ok(
    services.temporal?.volumes?.includes(`./${STACK_FILES.dynamicConfig}:${composeEnv.DYNAMIC_CONFIG_FILE_PATH}:ro`),
    JSON.stringify(services.temporal?.volumes),
  );
});

test('server ports at or above 32768 are refused (PostgreSQL stores membership ports as smallint)', () => {
  assert.doesNotThrow(() => serverEnvironment(placement(MEMBERSHIP_PORT_LIMIT - SERVER_PORT_VARIABLES.length)));
  assert.throws(
    () => serverEnvironment(placement(MEMBERSHIP_PORT_LIMIT - SERVER_PORT_VARIABLES.length + 1)),
    /below 32768: WORKER_MEMBERSHIP_PORT=32768/,
  );
});

test("compose's set-up jobs run the scripts the native stack runs", async () => {
  const { services } = await compose();
  for (const [service, script] of [
    ['temporal-schema', STACK_FILES.schemaScript],
    ['temporal-namespace', STACK_FILES.namespaceScript],
  ] as const) {
    const job = services[service];
    const mounted = job?.volumes?.find((v) => v.startsWith(`./${script}:`))?.split(':')[1];
    assert.ok(mounted, `${service} mounts ${script}`);
    assert.deepEqual(job?.entrypoint, ['/bin/sh', mounted]);
  }
  // The admin-tools image keeps the schema in /etc/temporal/schema; the native build passes its own.
  const schemaScript = await readFile(join(ROOT, STACK_FILES.schemaScript), 'utf8');
  assert.match(schemaScript, /schema_dir=\$\{TEMPORAL_SCHEMA_DIR:-\/etc\/temporal\/schema\}/);
  assert.match(schemaScript, /update-schema -d "\$schema_dir\/postgresql\/v12\/\$kind\/versioned"/);
});

test('compose, the native build and README name one Temporal release', async () => {
  const { version } = TEMPORAL_SERVER;
  const { services } = await compose();
  const images = Object.values(services)
    .map((service) => service.image ?? '')
    .filter((image) => /^temporalio\/(server|admin-tools):/.test(image));
  assert.deepEqual(images.map((image) => image.split(':')[1]).sort(), [version, version, version]);
  assert.deepEqual(goInstallArgs(version), [
    'install',
    `go.temporal.io/server/cmd/server@v${version}`,
    `go.temporal.io/server/cmd/tools/sql@v${version}`,
  ]);
  assert.equal(serverBuildPaths('/cache', version).dir, `/cache/temporal-${version}`);

  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const named = [
    ...readme.matchAll(/Temporal server (\d+\.\d+\.\d+)|temporalio\/(?:server|admin-tools):(\d+\.\d+\.\d+)/g),
  ].map((m) => m[1] ?? m[2]);
  assert.ok(named.length >= 2, 'README names the release');
  assert.deepEqual([...new Set(named)], [version]);
});

test('the build cache: VSTREAM_CACHE_DIR, else XDG_CACHE_HOME/vstream, else ~/.cache/vstream', () => {
  assert.equal(cacheRoot({ VSTREAM_CACHE_DIR: '/c' }, '/home/a'), '/c');
  assert.equal(cacheRoot({ XDG_CACHE_HOME: '/x' }, '/home/a'), '/x/vstream');
  assert.equal(cacheRoot({}, '/home/a'), '/home/a/.cache/vstream');
});

const TLS_FILES: StackTlsFiles = {
  ca: '/c/ca.pem',
  serverCert: '/c/server.pem',
  serverKey: '/c/server.key',
  clientCert: '/c/client.pem',
  clientKey: '/c/client.key',
};

test("mTLS: the server's TLS variables leave the placement alone; the Temporal CLI reads the client's", async () => {
  const server = serverTlsEnvironment(TLS_FILES);
  const plain = serverEnvironment(placement());
  assert.deepEqual(
    Object.keys(server).filter((name) => name in plain),
    [],
  );
  assert.equal(server.TEMPORAL_TLS_REQUIRE_CLIENT_AUTH, 'true');
  // Both client CA entries the template lists are set: an empty one would not load.
  assert.equal(server.TEMPORAL_TLS_CLIENT1_CA_CERT, TLS_FILES.ca);
  assert.equal(server.TEMPORAL_TLS_CLIENT2_CA_CERT, TLS_FILES.ca);

  const client = cliTlsEnvironment(TLS_FILES);
  assert.deepEqual(Object.values(client).sort(), [TLS_FILES.ca, TLS_FILES.clientCert, TLS_FILES.clientKey].sort());
  const { stdout } = await execa(resolveTool('temporal'), ['options']);
  for (const name of Object.keys(client)) assert.match(stdout, new RegExp(`\\s${name}\\s`), name);
});
