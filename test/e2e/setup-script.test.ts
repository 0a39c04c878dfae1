// scripts/setup.sh on a copy of the repository's set-up files, with `npm`, `apt-get`,
// `sudo` and `docker` replaced by stand-ins that record their calls: it builds exactly
// once (through npm ci's `prepare`, or by itself when the modules are current) and
// installs no system package when the tools are there.
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { resolveTool } from '../../src/tools/binaries.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/e2e.js';

async function setupCopy(): Promise<{ root: string; calls: string; env: NodeJS.ProcessEnv }> {
  const root = await tempDir('setup');
  for (const file of ['scripts/setup.sh', 'tools/requirements.txt', 'package-lock.json']) {
    await mkdir(join(root, file, '..'), { recursive: true });
    await copyFile(join(ROOT, file), join(root, file));
  }
  const stubs = join(root, 'stubs');
  const calls = join(root, 'calls.txt');
  await mkdir(stubs);
  for (const name of ['npm', 'node', 'apt-get', 'sudo', 'docker', 'docker-compose']) {
    await writeFile(join(stubs, name), `#!/bin/sh\necho "${name} $*" >> '${calls}'\n`);
    await chmod(join(stubs, name), 0o755);
  }
  const env = {
    PATH: `${stubs}:/usr/bin:/bin`,
    VSTREAM_FFMPEG_BIN: resolveTool('ffmpeg'),
    VSTREAM_FFPROBE_BIN: resolveTool('ffprobe'),
    VSTREAM_TEMPORAL_BIN: resolveTool('temporal'),
    VSTREAM_YTDLP_BIN: resolveTool('yt-dlp'),
  };
  return { root, calls, env };
}

/** node_modules installed after package-lock.json changed: the set-up only builds. */
async function currentModules(root: string): Promise<void> {
  const installed = join(root, 'node_modules', '.package-lock.json');
  await mkdir(join(root, 'node_modules'));
  await copyFile(join(root, 'package-lock.json'), installed);
  const later = new Date(Date.now() + 60_000);
  await utimes(installed, later, later);
}

const recorded = async (calls: string) =>
  (await readFile(calls, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '');

test('set-up on a fresh clone: npm ci (whose prepare builds) and nothing else; no Docker or Debian package', async () => {
  const { root, calls, env } = await setupCopy();
  const run = await execa('bash', [join(root, 'scripts', 'setup.sh')], { env, extendEnv: false, reject: false });
  assert.equal(run.exitCode, 0, run.stderr);
  assert.deepEqual(await recorded(calls), ['npm ci --no-audit --no-fund']);
  assert.match(run.stderr, /export PATH=/);
});

test('set-up with current node modules: one build, no install', async () => {
  const { root, calls, env } = await setupCopy();
  await currentModules(root);
  const run = await execa('bash', [join(root, 'scripts', 'setup.sh')], { env, extendEnv: false, reject: false });
  assert.equal(run.exitCode, 0, run.stderr);
  assert.deepEqual(await recorded(calls), ['npm run --silent build']);
});

test('set-up --cluster with PostgreSQL there: one build, then the cached Temporal server build; no package', async (t) => {
  const { root, calls, env } = await setupCopy();
  if (!(await execa('bash', ['-c', "compgen -G '/usr/lib/postgresql/*/bin/initdb'"], { reject: false })).stdout) {
    t.skip("Debian's PostgreSQL is not installed here: the set-up would install it");
    return;
  }
  await currentModules(root);
  const run = await execa('bash', [join(root, 'scripts', 'setup.sh'), '--cluster'], {
    env,
    extendEnv: false,
    reject: false,
  });
  assert.equal(run.exitCode, 0, run.stderr);
  assert.deepEqual(await recorded(calls), ['npm run --silent build', 'node dist/src/devkit/cluster-cli.js build']);

  const wrong = await execa('bash', [join(root, 'scripts', 'setup.sh'), '--clusters'], {
    env,
    extendEnv: false,
    reject: false,
  });
  assert.equal(wrong.exitCode, 2);
  assert.match(wrong.stderr, /unknown option --clusters/);
});
