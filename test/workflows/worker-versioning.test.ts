// A fleet upgraded one host at a time: old and new workers poll the same queues. Worker
// Versioning must keep them from taking turns on one workflow. Each test runs a batch on stub
// activities against a real dev server, with each simulated host a worker pair as
// createVstreamWorkers makes them (the shared queue versioned, its own host queue unversioned)
// under its own identity, and reads who did what from the histories.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { HostActivities, SharedActivities } from '../../src/activities/index.js';
import { SHARED_TASK_QUEUE, WORKFLOW_TYPES } from '../../src/config.js';
import type { BatchInput } from '../../src/core/batch-input.js';
import type { BatchSummary } from '../../src/core/types.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { promoteIfNeverSet, versionedWorker } from '../../src/worker/deployment.js';
import { workflowSource } from '../../src/worker/workflow-source.js';
import { isUnhandledCommand } from '../helpers/stored-histories.js';
import { createStubs } from '../helpers/stub-activities.js';
import { createLocalEnv } from '../helpers/temporal.js';

const DEPLOYMENT = 'vstream';
const VIDEOS = 9;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Stubs = ReturnType<typeof createStubs>;

interface Host {
  identity: string;
  hostQueue: string;
  stop(): Promise<void>;
}

/** A host: its own connection, the shared queue (workflows, verifyClip naming this host) and its unversioned host queue. */
async function startHost(
  env: TestWorkflowEnvironment,
  stubs: Stubs,
  name: string,
  buildId: string | null,
  hold: (videoId: string, hostQueue: string) => Promise<void>,
): Promise<Host> {
  const connection = await NativeConnection.connect({ address: env.address });
  const identity = `${name}-${buildId ?? 'unversioned'}`;
  const hostQueue = `host-${name}`;
  const common = { connection, identity, shutdownGraceTime: '10s' };
  const shared = await Worker.create({
    ...common,
    taskQueue: SHARED_TASK_QUEUE,
    ...workflowSource('source'),
    ...(buildId ? { workerDeploymentOptions: versionedWorker({ deploymentName: DEPLOYMENT, buildId }) } : {}),
    activities: {
      ...stubs.shared,
      verifyClip: async (input: Parameters<SharedActivities['verifyClip']>[0]) => {
        const verified = await stubs.shared.verifyClip(input);
        return verified.kind === 'work' ? { ...verified, hostQueue } : verified;
      },
    },
  });
  const host = await Worker.create({
    ...common,
    taskQueue: hostQueue,
    activities: {
      ...stubs.host,
      download: async (input: Parameters<HostActivities['download']>[0]) => {
        await hold(input.video.videoId, hostQueue);
        return stubs.host.download(input);
      },
    },
  });
  const running = Promise.all([shared.run(), host.run()]);
  return {
    identity,
    hostQueue,
    stop: async () => {
      shared.shutdown();
      host.shutdown();
      await running;
      await connection.close();
    },
  };
}

interface WorkflowTask {
  workflowId: string;
  identity: string;
  buildId: string | null;
  at: number;
}

interface ActivityTask {
  workflowId: string;
  name: string;
  queue: string;
  scheduledAt: number;
  startedBy: string | null;
}

/** A failed workflow task (UnhandledCommand left out), with why, for the assertion's output. */
type FailedTask = WorkflowTask & { why: string };

interface Histories {
  completed: WorkflowTask[];
  failed: FailedTask[];
  activities: ActivityTask[];
  activityTimeouts: number;
}

const eventMs = (time: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);

/** Who completed each workflow task and started each activity, from the batch's and its videos' histories. */
async function readHistories(client: Client, workflowIds: string[]): Promise<Histories> {
  const result: Histories = { completed: [], failed: [], activities: [], activityTimeouts: 0 };
  for (const workflowId of workflowIds) {
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const scheduled = new Map<string, ActivityTask>();
    for (const event of events) {
      const at = eventMs(event.eventTime);
      const completed = event.workflowTaskCompletedEventAttributes;
      if (completed)
        result.completed.push({
          workflowId,
          identity: completed.identity ?? '',
          buildId: completed.deploymentVersion?.buildId ?? null,
          at,
        });
      const failed = event.workflowTaskFailedEventAttributes;
      if (failed && !isUnhandledCommand(failed.cause)) {
        const why = `${String(failed.cause)}: ${failed.failure?.message ?? ''}`.slice(0, 500);
        result.failed.push({ workflowId, identity: failed.identity ?? '', buildId: null, at, why });
      }
      const activity = event.activityTaskScheduledEventAttributes;
      if (activity) {
        const task = {
          workflowId,
          name: activity.activityType?.name ?? '',
          queue: activity.taskQueue?.name ?? '',
          scheduledAt: at,
          startedBy: null,
        };
        scheduled.set(String(event.eventId), task);
        result.activities.push(task);
      }
      const started = event.activityTaskStartedEventAttributes;
      const task = started && scheduled.get(String(started.scheduledEventId));
      if (task) task.startedBy = started.identity ?? '';
      if (event.activityTaskTimedOutEventAttributes) result.activityTimeouts++;
    }
  }
  return result;
}

/** Per workflow, the identities that completed its tasks in order, with repeats folded: ['old', 'new'] is a hand-over. */
function handOvers(tasks: WorkflowTask[]): Map<string, string[]> {
  const turns = new Map<string, string[]>();
  for (const task of tasks) {
    const list = turns.get(task.workflowId) ?? [];
    if (list.at(-1) !== task.identity) list.push(task.identity);
    turns.set(task.workflowId, list);
  }
  return turns;
}

async function currentVersion(client: Client): Promise<string | null> {
  const { workerDeploymentInfo } = await client.workflowService.describeWorkerDeployment({
    namespace: client.options.namespace,
    deploymentName: DEPLOYMENT,
  });
  return workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId ?? null;
}

/** The README's promotion command, with the Temporal CLI. */
async function setCurrentVersion(env: TestWorkflowEnvironment, buildId: string): Promise<void> {
  await promisify(execFile)(resolveTool('temporal'), [
    'worker',
    'deployment',
    'set-current-version',
    '--address',
    env.address,
    '--deployment-name',
    DEPLOYMENT,
    '--build-id',
    buildId,
    '--yes',
  ]);
}

function startBatch(env: TestWorkflowEnvironment, workflowId: string, input: Partial<BatchInput> = {}) {
  return env.client.workflow.start(WORKFLOW_TYPES.batch, {
    taskQueue: SHARED_TASK_QUEUE,
    workflowId,
    args: [
      {
        urlsFile: '/u',
        clipDir: '/c',
        outDir: '/o',
        workDir: '/w',
        workers: 3,
        startDelaySeconds: 0,
        ...input,
      } satisfies BatchInput,
    ],
  });
}

/** Held videos' downloads wait until released, so their next activities come after a promotion or a host's restart. */
function gates(shouldHold: (videoId: string, hostQueue: string) => boolean) {
  const waiting = new Map<string, { hostQueue: string; resolve: () => void }>();
  const hold = (videoId: string, hostQueue: string) =>
    shouldHold(videoId, hostQueue)
      ? new Promise<void>((resolve) => waiting.set(videoId, { hostQueue, resolve }))
      : Promise.resolve();
  const release = (videoIds: string[]) => {
    for (const id of videoIds) {
      waiting.get(id)?.resolve();
      waiting.delete(id);
    }
  };
  /** The held videos whose downloads wait on this host. */
  const heldOn = (host: Host) => [...waiting].filter(([, wait]) => wait.hostQueue === host.hostQueue).map(([id]) => id);
  return { hold, release, waiting, heldOn };
}

/** Holds the first download on each host. */
function firstOnEachHost() {
  const hosts = new Set<string>();
  return (_videoId: string, hostQueue: string) => !hosts.has(hostQueue) && hosts.add(hostQueue) !== undefined;
}

async function retry(attempt: () => Promise<void>, times = 10): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= times) throw err;
      await sleep(500);
    }
  }
}

/** The workflow IDs of a batch and its videos. */
const batchWorkflowIds = (workflowId: string, stubs: Stubs) => [
  workflowId,
  ...stubs.videos.map((v) => `${workflowId}/${v.videoId}`),
];

/** Per workflow, no return to an earlier build: e.g. [unversioned, B], never [B, unversioned, B]. */
function assertNoInterleaving(histories: Histories, order: Array<string | null>): void {
  for (const [id, turns] of handOvers(histories.completed.map((t) => ({ ...t, identity: String(t.buildId) })))) {
    const ranks = turns.map((build) => order.indexOf(build === 'null' ? null : build));
    assert.ok(
      ranks.every((rank, i) => rank >= 0 && (i === 0 || rank > (ranks[i - 1] as number))),
      `${id}: ${turns.join(' -> ')}`,
    );
  }
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('worker versioning: a fleet upgraded host by host (stub activities, real server)', () => {
  let env: TestWorkflowEnvironment;
  const hosts = new Set<Host>();
  const start = async (...args: Parameters<typeof startHost> extends [unknown, ...infer Rest] ? Rest : never) => {
    const host = await startHost(env, ...args);
    hosts.add(host);
    return host;
  };
  const stop = async (host: Host) => {
    hosts.delete(host);
    await host.stop();
  };
  // A server per test: a deployment's first promotion happens once.
  beforeEach(async () => {
    env = await createLocalEnv();
  });
  afterEach(async () => {
    await Promise.allSettled([...hosts].map((host) => stop(host)));
    await env?.teardown();
  });

  test('unversioned hosts (0.2) to a first versioned release, host by host: no workflow task goes back to an old host', async () => {
    const stubs = createStubs({ videos: VIDEOS, workMs: 500 });
    const workflowId = `versioning-first-${process.pid}`;
    // On the old host, v1 waits for the promotion and v2 for the old host's replacement.
    const held = gates((videoId) => ['v1', 'v2'].includes(videoId));
    const old = await start(stubs, 'old', null, held.hold);
    const handle = await startBatch(env, workflowId);
    await waitFor(() => stubs.record.results.size >= 1, 'a first video');

    const fresh = await start(stubs, 'new', 'B', () => Promise.resolve());
    const newPolling = Date.now();
    await waitFor(() => stubs.record.results.size >= 3, 'videos finished while both poll');
    assert.equal(await currentVersion(env.client), null, 'before promotion the current version is unversioned');

    const promoting = Date.now();
    assert.deepEqual(await promoteIfNeverSet(env.client, { deploymentName: DEPLOYMENT, buildId: 'B' }), {
      promoted: true,
    });
    const promoted = Date.now();
    assert.deepEqual(
      await promoteIfNeverSet(env.client, { deploymentName: DEPLOYMENT, buildId: 'C' }, { attempts: 1, delayMs: 0 }),
      { promoted: false, current: 'B' },
      'a later version never promotes itself',
    );
    held.release(['v1']);
    await waitFor(() => stubs.record.results.has('v1'), 'v1, held on the old host over the promotion');

    // The old host is replaced in place: it drains (v2's download finishes), B starts on its queue.
    held.release(['v2']);
    await stop(old);
    const replaced = await start(stubs, 'old', 'B', () => Promise.resolve());

    const summary = (await handle.result()) as BatchSummary;
    assert.equal(summary.counts.succeeded, VIDEOS);
    const histories = await readHistories(env.client, batchWorkflowIds(workflowId, stubs));
    assert.deepEqual(histories.failed, [], 'no workflow task failed');

    // (1) Both polling, before promotion: every workflow task went to the unversioned worker.
    const beforePromotion = histories.completed.filter((t) => t.at >= newPolling && t.at < promoting);
    assert.ok(beforePromotion.length > 0, 'workflow tasks completed while both polled');
    assert.deepEqual([...new Set(beforePromotion.map((t) => t.identity))], [old.identity]);
    // (2) After promotion only B completes workflow tasks, and no workflow goes back.
    const afterPromotion = histories.completed.filter((t) => t.at > promoted + 1_000);
    assert.ok(afterPromotion.length > 0 && afterPromotion.every((t) => t.buildId === 'B'), 'only B after promotion');
    assertNoInterleaving(histories, [null, 'B']);
    const moved = [...handOvers(histories.completed).entries()]
      .filter(([, turns]) => turns.length === 2)
      .map(([id]) => id);
    assert.ok(
      moved.includes(workflowId) && moved.includes(`${workflowId}/v1`),
      `moved to B mid-way: ${moved.join(', ')}`,
    );
    // (3) What a now-versioned workflow schedules on the old host's queue reaches the old host,
    // and after its replacement in place, the new worker on that queue.
    const onOldQueue = (videoId: string) =>
      histories.activities.filter((a) => a.workflowId === `${workflowId}/${videoId}` && a.queue === old.hostQueue);
    const v1After = onOldQueue('v1').filter((a) => a.scheduledAt > promoted);
    assert.deepEqual(
      v1After.map((a) => [a.name, a.startedBy]),
      [
        ['encodeClips', old.identity],
        ['finishVideo', old.identity],
      ],
    );
    const v2Names = onOldQueue('v2').map((a) => [a.name, a.startedBy]);
    assert.deepEqual(v2Names, [
      ['download', old.identity],
      ['encodeClips', replaced.identity],
      ['finishVideo', replaced.identity],
    ]);
    assert.ok(
      histories.activities.every(
        (a) => !(a.name === 'download' && a.scheduledAt > promoted + 1_000 && a.startedBy === old.identity),
      ),
      'the old host got no new video after promotion',
    );
    assert.equal(histories.activityTimeouts, 0, 'no video restarted');
    for (const [videoId, calls] of stubs.record.downloadCalls) assert.equal(calls, 1, `${videoId} downloaded once`);
    assert.ok(fresh.identity !== replaced.identity);
  });

  test('version B to C, host by host in place, promoted with the Temporal CLI after the first host', async () => {
    const stubs = createStubs({ videos: VIDEOS, workMs: 500 });
    const workflowId = `versioning-b-to-c-${process.pid}`;
    const held = gates(firstOnEachHost());
    const h1 = await start(stubs, 'h1', 'B', held.hold);
    const h2 = await start(stubs, 'h2', 'B', held.hold);
    assert.deepEqual(await promoteIfNeverSet(env.client, { deploymentName: DEPLOYMENT, buildId: 'B' }), {
      promoted: true,
    });
    const handle = await startBatch(env, workflowId, { workers: 4 });
    await waitFor(() => held.heldOn(h1).length > 0 && held.heldOn(h2).length > 0, 'a download held on each host');

    // h1: drains (its held downloads finish) and comes back as C.
    const h1Videos = held.heldOn(h1);
    held.release(h1Videos);
    await stop(h1);
    await start(stubs, 'h1', 'C', () => Promise.resolve());
    const promoting = Date.now();
    // Only the shared queue is in the deployment: C is promoted while h2 still runs B.
    await retry(() => setCurrentVersion(env, 'C'));
    const promoted = Date.now();
    assert.equal(await currentVersion(env.client), 'C');

    // h2, still B, finishes the videos it holds, then is replaced.
    const h2Videos = held.heldOn(h2);
    held.release(h2Videos);
    await waitFor(
      () => h2Videos.every((id) => stubs.record.results.has(id)),
      "h2's videos, finished by B after the promotion",
    );
    await stop(h2);
    await start(stubs, 'h2', 'C', () => Promise.resolve());

    const summary = (await handle.result()) as BatchSummary;
    assert.equal(summary.counts.succeeded, VIDEOS);
    const histories = await readHistories(env.client, batchWorkflowIds(workflowId, stubs));
    assert.deepEqual(histories.failed, [], 'no workflow task failed');
    assert.ok(
      histories.completed.filter((t) => t.at < promoting).every((t) => t.buildId === 'B'),
      'C completed no workflow task before promotion',
    );
    const afterPromotion = histories.completed.filter((t) => t.at > promoted + 1_000);
    assert.ok(afterPromotion.length > 0 && afterPromotion.every((t) => t.buildId === 'C'), 'only C after promotion');
    assertNoInterleaving(histories, ['B', 'C']);
    const h2After = histories.activities.filter(
      (a) =>
        a.queue === h2.hostQueue && a.scheduledAt > promoted && h2Videos.some((id) => a.workflowId.endsWith(`/${id}`)),
    );
    assert.ok(
      h2After.length > 0 && h2After.every((a) => a.startedBy === 'h2-B'),
      'the not yet upgraded host finished its videos',
    );
    assert.equal(histories.activityTimeouts, 0, 'no video restarted');
    for (const [videoId, calls] of stubs.record.downloadCalls) assert.equal(calls, 1, `${videoId} downloaded once`);
  });
});
