// The production stack's compose file, validated offline: read as `docker compose config`
// reads it (test/helpers/compose-file.ts) and checked against the Compose Specification's
// JSON schema, then its structure. There is no Docker engine on these machines, so the
// stack itself is not started here; where the `docker compose` plugin happens to be
// installed, its own `config` must accept the file too.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { parse } from 'yaml';
import { buildProgram } from '../../src/client/cli.js';
import { WORKER_DEFAULTS } from '../../src/config.js';
import { composeSchemaErrors, interpolate, loadComposeFile } from '../helpers/compose-file.js';
import { ROOT } from '../helpers/paths.js';

const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');

interface Service {
  image?: string;
  build?: unknown;
  ports?: Array<string | { host_ip?: string; published?: string | number }>;
  environment?: Record<string, string>;
  deploy?: { resources?: { reservations?: { devices?: Array<{ driver?: string; capabilities?: string[] }> } } };
  init?: boolean;
  stop_grace_period?: string;
  depends_on?: Record<string, { condition?: string }> | string[];
  command?: string[];
  restart?: string;
}

async function composeConfig(): Promise<{ services: Record<string, Service> }> {
  // No environment: the file's own defaults.
  return (await loadComposeFile(COMPOSE_FILE)) as unknown as { services: Record<string, Service> };
}

const seconds = (duration: string) => {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
  return Number(match?.[1] ?? 0) * 60 + Number(match?.[2] ?? 0);
};

test('interpolation: defaults, set values, $$ and forms compose has but the file does not use', () => {
  assert.equal(interpolate('${A:-7233}:${B-x}', {}), '7233:x');
  assert.equal(interpolate('${A:-7233}:${B-x}', { A: '', B: '' }), '7233:');
  assert.equal(interpolate('${A}/${A:-no}', { A: 'set' }), 'set/set');
  assert.equal(interpolate('pg_isready -U $${POSTGRES_USER}', {}), 'pg_isready -U ${POSTGRES_USER}');
  assert.throws(() => interpolate('$A', { A: 'x' }), /unsupported interpolation/);
  assert.throws(() => interpolate('${A:?required}', {}), /unsupported interpolation/);
  assert.throws(() => interpolate('${A}', {}), /no default/);
});

test('docker-compose.yml is valid against the Compose Specification schema', async () => {
  const document = await loadComposeFile(COMPOSE_FILE);
  assert.deepEqual(await composeSchemaErrors(document), []);
  // The same check rejects what compose rejects: an unknown key, a mistyped value.
  const services = structuredClone(document.services) as Record<string, Record<string, unknown>>;
  services.temporal = { ...services.temporal, restart_policy: 'always' };
  services['temporal-ui'] = { ...services['temporal-ui'], ports: 8080 };
  const errors = await composeSchemaErrors({ ...document, services });
  assert.ok(
    errors.some((e) => e.startsWith('/services/temporal ') && e.includes('"unevaluatedProperty":"restart_policy"')),
    errors.join('\n'),
  );
  assert.ok(
    errors.some((e) => e.startsWith('/services/temporal-ui/ports ') && e.includes('array')),
    errors.join('\n'),
  );
});

test('docker compose config accepts the file, where the plugin is installed', async (t) => {
  const plugin = await execa('docker', ['compose', 'version'], { reject: false });
  if (plugin.exitCode !== 0) {
    t.skip('the docker compose plugin is not installed (the schema test above stands in for it)');
    return;
  }
  await execa('docker', ['compose', '--file', COMPOSE_FILE, 'config', '--quiet'], { cwd: ROOT });
});

test('docker-compose.yml: PostgreSQL, schema by admin-tools, Temporal, UI, search attributes, a GPU worker', async () => {
  const { services } = await composeConfig();
  assert.deepEqual(Object.keys(services).sort(), [
    'grafana',
    'postgresql',
    'prometheus',
    'temporal',
    'temporal-namespace',
    'temporal-schema',
    'temporal-ui',
    'vstream-search-attributes',
    'vstream-worker',
  ]);
  assert.match(services['temporal-schema']?.image ?? '', /^temporalio\/admin-tools:/);
  assert.match(services.temporal?.image ?? '', /^temporalio\/server:/);
  assert.ok(!JSON.stringify(services).includes('auto-setup'), 'the old auto-setup image is not used');
  assert.deepEqual(services.temporal?.depends_on, {
    'temporal-schema': { condition: 'service_completed_successfully' },
  });

  for (const [name, service] of Object.entries(services)) {
    for (const port of service.ports ?? []) {
      const hostIp = typeof port === 'string' ? port.split(':')[0] : port.host_ip;
      assert.equal(hostIp, '127.0.0.1', `${name} publishes ${JSON.stringify(port)} on loopback only`);
    }
  }

  const worker = services['vstream-worker'] as Service;
  assert.ok(worker.build, 'the worker is built from the Dockerfile');
  assert.equal(worker.init, true);
  assert.match(worker.environment?.NVIDIA_DRIVER_CAPABILITIES ?? '', /video/);
  const device = worker.deploy?.resources?.reservations?.devices?.[0];
  assert.equal(device?.driver, 'nvidia');
  assert.ok(device?.capabilities?.includes('gpu'));
  const grace = seconds(WORKER_DEFAULTS.shutdownGraceTime);
  assert.ok(
    seconds(worker.stop_grace_period ?? '10s') > grace,
    `stop grace ${worker.stop_grace_period} outlasts the worker's ${WORKER_DEFAULTS.shutdownGraceTime}`,
  );
  assert.equal(worker.command?.[0], 'worker');
  assert.ok(worker.command?.includes('--gpus') && worker.command.includes('--work-dir'));

  // A one-shot job registers the search attributes with vstream's own command (one list,
  // src/core/search-attributes.ts), waiting for the server; the workers start once it succeeded.
  const job = services['vstream-search-attributes'] as Service;
  assert.equal(job.image, worker.image, 'the same image as the worker');
  assert.equal(job.restart, 'no');
  assert.deepEqual(job.command, ['search-attributes', '--temporal-address', 'temporal:7233', '--wait', '300']);
  const command = buildProgram(() => undefined).commands.find((c) => c.name() === job.command?.[0]);
  const flags = new Set(command?.options.map((option) => option.long));
  for (const arg of job.command?.filter((a) => a.startsWith('--')) ?? [])
    assert.ok(flags.has(arg), `vstream ${job.command?.[0]} has ${arg}`);
  // ...in the namespace the temporal-namespace job registered (the server makes none).
  assert.deepEqual(job.depends_on, { 'temporal-namespace': { condition: 'service_completed_successfully' } });
  assert.deepEqual(services['temporal-namespace']?.depends_on, { temporal: { condition: 'service_started' } });
  assert.deepEqual(worker.depends_on, {
    temporal: { condition: 'service_started' },
    'vstream-search-attributes': { condition: 'service_completed_successfully' },
  });
});

/** A service's bind mounts, target to source, from the short (`src:target:ro`) or the long syntax. */
function mounts(service: { volumes?: Array<string | { source?: string; target?: string }> }): Map<string, string> {
  return new Map(
    (service.volumes ?? []).map((v) => {
      if (typeof v !== 'string') return [v.target ?? '', v.source ?? ''];
      const [source = '', target = ''] = v.split(':');
      return [target, source];
    }),
  );
}

test('docker-compose.yml: the worker serves metrics, Prometheus scrapes it, Grafana provisions the dashboard', async () => {
  const { services } = await composeConfig();
  const worker = services['vstream-worker'] as Service & { volumes?: unknown };
  const command = worker.command ?? [];
  const port = command[command.indexOf('--metrics-port') + 1];
  assert.equal(port, '9464');
  assert.equal(command[command.indexOf('--metrics-address') + 1], '0.0.0.0', 'reachable from the prometheus container');
  const flags = new Set(
    buildProgram(() => undefined)
      .commands.find((c) => c.name() === 'worker')
      ?.options.map((o) => o.long),
  );
  assert.ok(flags.has('--metrics-port') && flags.has('--metrics-address'));

  const prometheus = services.prometheus as Service & { volumes?: Array<string> };
  assert.match(prometheus.image ?? '', /^prom\/prometheus:v\d+\.\d+\.\d+$/, 'a pinned Prometheus');
  assert.equal(mounts(prometheus).get('/etc/prometheus/prometheus.yml'), './deploy/prometheus/prometheus.yml');
  const scrape = parse(await readFile(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{ static_configs?: Array<{ targets: string[] }> }>;
  };
  const targets = scrape.scrape_configs.flatMap((c) => c.static_configs?.flatMap((s) => s.targets) ?? []);
  assert.deepEqual(targets, [`vstream-worker:${port}`]);

  const grafana = services.grafana as Service & { volumes?: Array<string> };
  assert.match(grafana.image ?? '', /^grafana\/grafana:\d+\.\d+\.\d+$/, 'a pinned Grafana');
  const mounted = mounts(grafana);
  assert.equal(mounted.get('/etc/grafana/provisioning'), './deploy/grafana/provisioning');
  assert.equal(mounted.get('/etc/grafana/dashboards'), './deploy/grafana/dashboards');
  const provider = parse(await readFile(join(ROOT, 'deploy/grafana/provisioning/dashboards/vstream.yml'), 'utf8')) as {
    providers: Array<{ options: { path: string } }>;
  };
  assert.equal(provider.providers[0]?.options.path, '/etc/grafana/dashboards');
});

test('Dockerfile: Debian-based Node 20 (glibc for the Temporal bridge) with ffmpeg and yt-dlp', async () => {
  const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  const from = /^FROM (\S+)/m.exec(dockerfile)?.[1] ?? '';
  assert.match(from, /^node:20-(bookworm|bullseye)/);
  assert.ok(!from.includes('alpine'));
  assert.match(dockerfile, /apt-get install[^\n]*ffmpeg/);
  assert.match(dockerfile, /pip install[^\n]*requirements/);
  assert.match(dockerfile, /ENTRYPOINT \["node", "\/app\/bin\/vstream\.js"\]/);
});
