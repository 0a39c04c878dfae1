import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { folderBytes, TempBudget } from '../../src/tools/temp-budget.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a download waits until the sources on disk and its expected size fit the budget', async () => {
  const work = await mkdtemp(join(tmpdir(), 'vstream-budget-'));
  const budget = new TempBudget(1500);
  const dirA = join(work, 'a');
  const dirB = join(work, 'b');
  await budget.admit(
    'a',
    { dir: dirA, workDir: work, expected: 1000 },
    { onWait: () => assert.fail('a fits at once'), pollMs: 20 },
  );
  // A is downloading: its 1000 bytes are reserved even before they are on disk.
  let waits = 0;
  let admitted = false;
  const b = budget
    .admit('b', { dir: dirB, workDir: work, expected: 1000 }, { onWait: () => waits++, pollMs: 20 })
    .then(() => (admitted = true));
  await sleep(100);
  assert.equal(admitted, false);
  await mkdir(dirA, { recursive: true });
  await writeFile(join(dirA, 'source.mp4'), Buffer.alloc(1000));
  budget.finished('a');
  await sleep(100);
  assert.equal(admitted, false, 'the finished source is still on disk');
  await rm(dirA, { recursive: true });
  await b;
  assert.ok(waits > 0);
  assert.equal(await folderBytes(work), 0);
});

test('a retry counts its own partial file once', async () => {
  const work = await mkdtemp(join(tmpdir(), 'vstream-budget-'));
  const dir = join(work, 'a');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'source.mp4.part'), Buffer.alloc(600));
  const budget = new TempBudget(1000);
  await budget.admit(
    'a',
    { dir, workDir: work, expected: 1000 },
    { onWait: () => assert.fail('fits: 600 on disk + 400 to come'), pollMs: 20 },
  );
});

test('admission can be cancelled while waiting', async () => {
  const work = await mkdtemp(join(tmpdir(), 'vstream-budget-'));
  await writeFile(join(work, 'other'), Buffer.alloc(900));
  const budget = new TempBudget(1000);
  const controller = new AbortController();
  const waiting = budget.admit(
    'a',
    { dir: join(work, 'a'), workDir: work, expected: 500 },
    { onWait: () => controller.abort(new Error('cancelled')), signal: controller.signal, pollMs: 20 },
  );
  await assert.rejects(waiting, /cancelled/);
});
