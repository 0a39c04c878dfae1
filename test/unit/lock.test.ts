import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CliError } from '../../src/client/exit-codes.js';
import { acquireRunLock } from '../../src/client/lock.js';

test('a second run on the same output folder is refused with a clear message', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'vstream-lock-')), 'run.lock');
  const lock = await acquireRunLock(path, 'output folder /x');
  await assert.rejects(acquireRunLock(path, 'output folder /x'), (err: unknown) => {
    return err instanceof CliError && /output folder \/x is in use by another vstream run \(pid \d+/.test(err.message);
  });
  await lock.release();
  const again = await acquireRunLock(path, 'output folder /x');
  await again.release();
});

test('a lock left by a dead process is taken over', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'vstream-lock-')), 'run.lock');
  // A pid that existed and is gone: a finished child's.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  await writeFile(path, JSON.stringify({ pid: Number(dead), host: hostname(), processStart: '1', startedAt: 'then' }));
  const lock = await acquireRunLock(path, 'output folder /x');
  assert.equal(JSON.parse(await readFile(path, 'utf8')).pid, process.pid);
  await lock.release();
});

test('a half-written lock file does not block', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'vstream-lock-')), 'run.lock');
  await writeFile(path, '{"pid":');
  const lock = await acquireRunLock(path, 'output folder /x');
  await lock.release();
});
