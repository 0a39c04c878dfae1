import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile, appendFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { EarlyEncodes, GrowingFile, mp4BoxesFrom, type EarlyEncode } from '../../src/tools/early-encodes.js';

async function growing() {
  const dir = await mkdtemp(join(tmpdir(), 'vstream-growing-'));
  const part = join(dir, 'source.mp4.part');
  await writeFile(part, 'head');
  return { dir, part, file: await GrowingFile.open(part) };
}

test('a growing file is read through its descriptor, under whatever name the download gives it', async () => {
  const { dir, part, file } = await growing();
  try {
    const read = await file.readFor(true);
    assert.deepEqual(read, { path: `/proc/${process.pid}/fd/${/\d+$/.exec(read?.path ?? '')?.[0]}`, growing: true });
    await appendFile(part, '+tail');
    await rename(part, join(dir, 'source.mp4'));
    assert.equal(await readFile(read?.path ?? '', 'utf8'), 'head+tail');
    // A pass that may not read it growing waits for the download's end, then reads the finished file.
    const waiting = file.readFor(false);
    file.complete(join(dir, 'source.mp4'));
    assert.deepEqual(await waiting, { path: join(dir, 'source.mp4'), growing: false });
    assert.deepEqual(await file.readFor(true), { path: join(dir, 'source.mp4'), growing: false });
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a growing file knows itself under its final name and lists the boxes after its index', async () => {
  const { dir, part, file } = await growing();
  try {
    const box = (type: string, size: number) => {
      const bytes = Buffer.alloc(size);
      bytes.writeUInt32BE(size, 0);
      bytes.write(type, 4, 'latin1');
      return bytes;
    };
    // 'head' (4 bytes) stands for the file up to its index.
    await appendFile(part, Buffer.concat([box('mdat', 40), box('free', 8)]));
    await rename(part, join(dir, 'source.mp4'));
    assert.equal(await file.isFileAt(join(dir, 'source.mp4')), true);
    await file.close();
    assert.equal(await file.isFileAt(join(dir, 'source.mp4')), true, 'known after it is closed');
    await writeFile(join(dir, 'copy.mp4'), await readFile(join(dir, 'source.mp4')));
    assert.equal(await file.isFileAt(join(dir, 'copy.mp4')), false, 'the same bytes in another file');
    assert.equal(await file.isFileAt(join(dir, 'missing.mp4')), false);
    assert.deepEqual(await mp4BoxesFrom(join(dir, 'source.mp4'), 4), [
      { type: 'mdat', size: 40 },
      { type: 'free', size: 8 },
    ]);
    // A box whose size field says 0 runs to the end of the file.
    await appendFile(join(dir, 'source.mp4'), box('moof', 8).fill(0, 0, 4));
    assert.deepEqual((await mp4BoxesFrom(join(dir, 'source.mp4'), 4)).at(-1), { type: 'moof', size: 8 });
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a pass waiting for a download that fails gets nothing to read', async () => {
  const { dir, file } = await growing();
  const waiting = file.readFor(false);
  file.abandon();
  assert.equal(await waiting, null);
  await file.close();
  await rm(dir, { recursive: true, force: true });
});

function fakeEarly(file: GrowingFile) {
  let stopped = 0;
  let finish!: (out: string) => void;
  let fail!: (err: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const early: EarlyEncode<string, string, number> = {
    queue: 'cpu',
    input: 'job',
    file,
    done,
    progress: () => 1,
    stop: () => {
      stopped++;
      fail(new Error('stopped'));
    },
  };
  return { early, finish, stopped: () => stopped };
}

test('the encode activity takes an early encode once; stopping one left behind abandons its file', async () => {
  const { dir, file } = await growing();
  const registry = new EarlyEncodes<string, string, number>();
  const a = fakeEarly(file);
  registry.add('/w/v1', a.early);
  assert.equal(registry.take('/w/v1'), a.early);
  assert.equal(registry.take('/w/v1'), undefined);
  registry.stop('/w/v1');
  assert.equal(a.stopped(), 0, 'taken: no longer the registry to stop');

  const b = fakeEarly(file);
  registry.add('/w/v2', b.early);
  const waiting = file.readFor(false);
  registry.stop('/w/v2');
  assert.equal(b.stopped(), 1);
  assert.equal(await waiting, null);
  assert.equal(registry.size, 0);
  await file.close();
  await rm(dir, { recursive: true, force: true });
});

test('one that ends by itself leaves the registry; one handed over that nobody takes is stopped in time', async () => {
  const { dir, file } = await growing();
  const registry = new EarlyEncodes<string, string, number>({ unclaimedMs: 50 });
  const failed = fakeEarly(file);
  registry.add('/w/v1', failed.early);
  failed.early.stop();
  await delay(0);
  assert.equal(registry.size, 0);

  const unclaimed = fakeEarly(file);
  registry.add('/w/v2', unclaimed.early);
  registry.handedOver('/w/v2', join(dir, 'source.mp4'));
  assert.deepEqual(await file.readFor(true), { path: join(dir, 'source.mp4'), growing: false });
  await delay(120);
  assert.equal(unclaimed.stopped(), 1);
  assert.equal(registry.size, 0);

  // Taken before the deadline: not stopped.
  const taken = fakeEarly(file);
  registry.add('/w/v3', taken.early);
  registry.handedOver('/w/v3', join(dir, 'source.mp4'));
  registry.take('/w/v3');
  await delay(120);
  assert.equal(taken.stopped(), 0);
  taken.finish('ok');
  await file.close();
  await rm(dir, { recursive: true, force: true });
});

test('stopAll stops those nobody took and waits for them', async () => {
  const { dir, file } = await growing();
  const registry = new EarlyEncodes<string, string, number>();
  const [a, b] = [fakeEarly(file), fakeEarly(file)];
  registry.add('/w/a', a.early);
  registry.add('/w/b', b.early);
  registry.take('/w/b');
  await registry.stopAll();
  assert.deepEqual([a.stopped(), b.stopped()], [1, 0]);
  assert.equal(registry.size, 0);
  b.finish('ok');
  await file.close();
  await rm(dir, { recursive: true, force: true });
});
