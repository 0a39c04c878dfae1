import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import type { Logger } from '../../src/activities/deps.js';
import { eventLogger } from '../../src/activities/events.js';
import { batchIdOfWorkflow, videoWorkflowId } from '../../src/core/batch-input.js';
import { LOG_EVENT_NAMES, LOG_EVENTS, eventFields, isLogEventName, secondsSince } from '../../src/core/log-events.js';
import { SDK_LOG_SOURCE } from '../../src/config.js';
import { RuntimeLogger } from '../../src/worker/runtime.js';
import { ROOT } from '../helpers/paths.js';

type Line = Record<string, unknown>;

/** A pino logger whose JSON lines land in `lines`. */
function capturingPino(level: pino.Level = 'info') {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { logger: pino({ level, base: undefined }, stream), lines };
}

/** pino writes to its stream asynchronously. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('an event line carries event, batchId, videoId, its fields and a msg', async () => {
  const { logger, lines } = capturingPino();
  const events = eventLogger(logger as Logger, { batchId: 'b1', video: { videoId: 'abc' } });
  events.event('clip.written', { path: '/out/abc/abc_0_10.hevc', frames: 10, bytes: 1234 }, 'clip written');
  await settle();
  assert.equal(lines.length, 1);
  const { time, ...line } = lines[0] as Line;
  assert.equal(typeof time, 'number');
  assert.deepEqual(line, {
    level: 30,
    event: 'clip.written',
    batchId: 'b1',
    videoId: 'abc',
    path: '/out/abc/abc_0_10.hevc',
    frames: 10,
    bytes: 1234,
    msg: 'clip written',
  });
});

test('the ids come from whichever field the activity input names the video by', () => {
  const ids = (subject: Parameters<typeof eventLogger>[1]) => eventLogger({} as Logger, subject).ids;
  assert.deepEqual(ids({ batchId: 'b', video: { videoId: 'v1' } }), { batchId: 'b', videoId: 'v1' });
  assert.deepEqual(ids({ batchId: 'b', videoId: 'v2' }), { batchId: 'b', videoId: 'v2' });
  assert.deepEqual(ids({ batchId: 'b', result: { videoId: 'v3' } }), { batchId: 'b', videoId: 'v3' });
  assert.deepEqual(ids({ batchId: 'b' }), { batchId: 'b', videoId: null });
});

test("a video workflow's ID gives back its batch, slashes in the batch ID included", () => {
  for (const batchId of ['vstream-0123abcd', 'team/batch-7', 'a/b/c']) {
    assert.equal(batchIdOfWorkflow(videoWorkflowId(batchId, 'dQw4w9WgXcQ'), 'dQw4w9WgXcQ'), batchId);
  }
  assert.equal(batchIdOfWorkflow('batch-1', 'dQw4w9WgXcQ'), 'batch-1', 'not a video workflow');
  assert.equal(batchIdOfWorkflow('batch-1/other', 'dQw4w9WgXcQ'), 'batch-1/other');
});

test('every listed event is known by name; nothing else is', () => {
  assert.ok(LOG_EVENT_NAMES.length >= 10);
  for (const name of LOG_EVENT_NAMES) {
    assert.ok(isLogEventName(name), name);
    assert.match(name, /^[a-z]+\.[a-z]+$/, 'names are noun.verb, lower case');
    assert.ok(LOG_EVENTS[name].about.length > 10, name);
  }
  for (const other of ['video', 'toString', 'constructor', '', undefined, 3])
    assert.equal(isLogEventName(other), false);
  assert.deepEqual(Object.keys(eventFields('pause.end', { batchId: 'b', videoId: 'v' }, { heldSeconds: 1.5 })), [
    'event',
    'batchId',
    'videoId',
    'heldSeconds',
  ]);
  assert.equal(secondsSince(1_000, 3_456), 2.456);
});

test('the README lists every event', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const missing = LOG_EVENT_NAMES.filter((name) => !readme.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});

test("the runtime logger writes workflows' events as ours at any level, the SDK's lines from its level up", async () => {
  const { logger, lines } = capturingPino();
  const runtime = new RuntimeLogger(logger, 'WARN');
  const workflowContext = {
    sdkComponent: 'workflow',
    namespace: 'default',
    taskQueue: 'vstream',
    workflowId: 'b1',
    runId: 'r1',
    workflowType: 'batchWorkflow',
  };
  const pause = { until: '2026-01-01T00:00:00.000Z', pause: 1, maxPauses: 3, errorType: 'RateLimited', message: '429' };
  runtime.info('downloads paused', {
    ...workflowContext,
    ...eventFields('pause.start', { batchId: 'b1', videoId: 'v' }, pause),
  });
  runtime.info('Workflow started', { ...workflowContext, sdkComponent: 'worker' });
  runtime.warn('Activity failed', { taskToken: 'abc', activityType: 'download' });
  runtime.warn('No workflows registered, not polling for workflow tasks');
  await settle();
  assert.deepEqual(
    lines.map((line) => ({ ...line, time: undefined })),
    [
      {
        level: 30,
        time: undefined,
        event: 'pause.start',
        batchId: 'b1',
        videoId: 'v',
        ...pause,
        msg: 'downloads paused',
      },
      {
        level: 40,
        time: undefined,
        taskToken: 'abc',
        activityType: 'download',
        source: SDK_LOG_SOURCE,
        msg: 'Activity failed',
      },
    ],
  );
});
