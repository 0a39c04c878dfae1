// The production stack's compose file, validated offline: `docker compose config`
// (or Debian's `docker-compose config` where the plugin is missing). There is no
// Docker engine on these machines, so the stack itself is not started here.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { parse } from 'yaml';
import { WORKER_DEFAULTS } from '../../src/config.js';
import { ROOT } from '../helpers/paths.js';

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
}

async function composeConfig(): Promise<{ services: Record<string, Service> }> {
  const plugin = await execa('docker', ['compose', 'version'], { reject: false });
  const [command, args] = plugin.exitCode === 0 ? ['docker', ['compose', 'config']] : ['docker-compose', ['config']];
  const { stdout } = await execa(command, args as string[], { cwd: ROOT });
  return parse(stdout) as { services: Record<string, Service> };
}

const seconds = (duration: string) => {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
  return Number(match?.[1] ?? 0) * 60 + Number(match?.[2] ?? 0);
};

test('docker-compose.yml: PostgreSQL, schema by admin-tools, Temporal, UI, a GPU worker', async () => {
  const { services } = await composeConfig();
  assert.deepEqual(Object.keys(services).sort(), [
    'postgresql',
    'temporal',
    'temporal-schema',
    'temporal-ui',
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
