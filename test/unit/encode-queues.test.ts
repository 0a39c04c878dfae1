import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PassQueue } from '../../src/tools/pass-queue.js';
import { EncodeQueues, encodeReservationKey } from '../../src/tools/sessions.js';
import type { ClipSpec } from '../../src/core/types.js';

function queues(reservationMs = 1_000) {
  const clock = { now: 0 };
  const q = new EncodeQueues(
    [
      { name: 'gpu0', capacity: 2 },
      { name: 'gpu1', capacity: 2 },
    ],
    { reservationMs, now: () => clock.now },
  );
  return { q, clock };
}

test('a pick goes to the least loaded queue per unit of capacity, counting reservations', () => {
  const q = new EncodeQueues([
    { name: 'small', capacity: 1 },
    { name: 'big', capacity: 4 },
  ]);
  assert.equal(q.pick('v1'), 'small');
  // small is full (1/1); big takes the next four before it is as loaded; a tie goes to the first.
  assert.deepEqual([q.pick('v2'), q.pick('v3'), q.pick('v4'), q.pick('v5')], ['big', 'big', 'big', 'big']);
  assert.equal(q.pick('v6'), 'small');
  assert.deepEqual([q.load('small'), q.load('big')], [2, 4]);
});

test('a pick that becomes an encode counts once, and retried attempts do not drift', () => {
  const { q } = queues();
  const chosen = q.pick('v1');
  assert.equal(q.load(chosen), 1);
  // Three attempts of the same encode, each releasing in its own finally.
  for (let attempt = 0; attempt < 3; attempt++) {
    const release = q.start(chosen, 'v1');
    assert.equal(q.load(chosen), 1, 'the reservation became the running encode');
    release();
    release(); // a second call changes nothing
    assert.equal(q.load(chosen), 0);
  }
  assert.deepEqual(
    q.names.map((n) => q.load(n)),
    [0, 0],
  );
});

test('a reservation whose encode never starts (abandoned video) expires', () => {
  const { q, clock } = queues(1_000);
  assert.equal(q.pick('v1'), 'gpu0');
  assert.equal(q.pick('v2'), 'gpu1');
  clock.now = 999;
  assert.deepEqual(
    q.names.map((n) => q.load(n)),
    [1, 1],
  );
  clock.now = 1_000;
  assert.deepEqual(
    q.names.map((n) => q.load(n)),
    [0, 0],
  );
  // Starting late (after expiry) still counts the running encode, once.
  const release = q.start('gpu0', 'v1');
  assert.equal(q.load('gpu0'), 1);
  release();
  assert.equal(q.load('gpu0'), 0);
});

test('a video picked again (download retried) holds one reservation', () => {
  const { q } = queues();
  q.pick('v1');
  q.pick('v1');
  assert.deepEqual(
    q.names.map((n) => q.load(n)),
    [1, 0],
  );
});

test('running encodes steer picks away from their queue', () => {
  const { q } = queues();
  const releaseA = q.start('gpu0', 'a');
  const releaseB = q.start('gpu0', 'b');
  assert.equal(q.pick('v1'), 'gpu1');
  assert.equal(q.pick('v2'), 'gpu1');
  releaseA();
  releaseB();
  assert.equal(q.pick('v3'), 'gpu0');
});

test('a video reserves by its source folder, the same for its download and its encode', () => {
  assert.equal(encodeReservationKey('/work/b1/vid/vid.mp4'), encodeReservationKey('/work/b1/vid/vid.section-12.mp4'));
  assert.notEqual(encodeReservationKey('/work/b1/vid/vid.mp4'), encodeReservationKey('/work/b2/vid/vid.mp4'));
});

test('a failed shared pass is split into single-clip passes that run next, in order', () => {
  const clip = (startFrame: number): ClipSpec => ({ line: startFrame, startFrame, endFrame: startFrame + 10 });
  const passes = new PassQueue([
    { clips: [clip(0), clip(10)], path: 'a', fileStartSeconds: 0 },
    { clips: [clip(100)], path: 'b', fileStartSeconds: 3 },
  ]);
  const first = passes.next();
  assert.ok(first);
  passes.splitToFront(first);
  const order: string[] = [];
  for (let pass = passes.next(); pass; pass = passes.next()) {
    order.push(`${pass.path}:${pass.clips.map((c) => c.startFrame).join(',')}`);
  }
  assert.deepEqual(order, ['a:0', 'a:10', 'b:100']);
  assert.equal(passes.size, 0);
});

test('a download that ran ahead waits for room, first come first served, and picks when an encode ends', async () => {
  const q = new EncodeQueues([{ name: 'cpu', capacity: 1 }], { pollMs: 10_000 });
  assert.equal(await q.pickWhenFree('v1'), 'cpu');
  const release1 = q.start('cpu', 'v1');
  const order: string[] = [];
  let waits = 0;
  const v2 = q.pickWhenFree('v2', { onWait: () => waits++ }).then((name) => order.push(`v2:${name}`));
  const v3 = q.pickWhenFree('v3').then((name) => order.push(`v3:${name}`));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, [], 'no room while v1 encodes');
  assert.equal(waits, 1);
  release1();
  await v2;
  assert.deepEqual(order, ['v2:cpu'], 'the oldest waiting download goes first; v3 still waits');
  assert.equal(q.load('cpu'), 1, "v2's reservation holds the place");
  q.start('cpu', 'v2')();
  await v3;
  assert.deepEqual(order, ['v2:cpu', 'v3:cpu']);
});

test('a waiting download that is cancelled leaves the line; an expired reservation frees room by itself', async () => {
  const clock = { now: 0 };
  const q = new EncodeQueues([{ name: 'cpu', capacity: 1 }], { reservationMs: 1_000, now: () => clock.now, pollMs: 5 });
  q.pick('v1'); // a pick whose encode never comes (the workflow moved the video elsewhere)
  const aborter = new AbortController();
  const cancelled = q.pickWhenFree('v2', { signal: aborter.signal });
  aborter.abort(new Error('cancelled'));
  await assert.rejects(cancelled, /cancelled/);
  const v3 = q.pickWhenFree('v3');
  clock.now = 1_000; // v1's reservation expires: the next poll lets v3 in
  const alive = setInterval(() => undefined, 1_000); // the queue's own poll keeps no process alive
  try {
    assert.equal(await v3, 'cpu');
  } finally {
    clearInterval(alive);
  }
});

test("a video done with the host (its source deleted) frees its unused reservation at once: the next download's encode goes ahead", async () => {
  const q = new EncodeQueues([{ name: 'cpu', capacity: 1 }], { pollMs: 10_000 });
  // v1 downloaded and picked, then was cancelled before its encode started.
  assert.equal(await q.pickWhenFree('/work/b/v1'), 'cpu');
  const v2 = q.pickWhenFree('/work/b/v2');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(q.load('cpu'), 1, "v1's reservation holds the only place");
  q.release('/work/b/v1');
  assert.equal(await v2, 'cpu');
  q.release('/work/b/v9'); // nothing reserved: nothing changes
  assert.equal(q.load('cpu'), 1, "v2's reservation");
});

test('pickIfIdle reserves only when a queue has room and no finished download waits', async () => {
  const q = new EncodeQueues([{ name: 'cpu', capacity: 1 }]);
  assert.equal(q.pickIfIdle('/w/v1'), 'cpu');
  assert.equal(q.pickIfIdle('/w/v2'), null, 'the one place is reserved');
  q.release('/w/v1');
  const done = q.start('cpu', '/w/v3');
  const waiting = q.pickWhenFree('/w/v4');
  assert.equal(q.pickIfIdle('/w/v5'), null);
  done();
  assert.equal(await waiting, 'cpu');
  assert.equal(q.pickIfIdle('/w/v5'), null, 'v4 holds the place now');
});
