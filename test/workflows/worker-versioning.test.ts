// A fleet upgraded one host at a time: old and new workers poll the same queues. Worker
// Versioning must keep them from taking turns on one workflow. Each test runs a batch on stub
// activities against a real dev server, with each simulated host a worker pair (shared queue
// + its own host queue) under its own identity, and reads who did what from the histories.
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

/** A host: its own connection, the shared queue (workflows, verifyClip naming this host) and its host queue. */
async function startHost(
  env: TestWorkflowEnvironment,
  stubs: Stubs,
  name: string,
  buildId: string | null,
  hold: (videoId: string) => Promise<void>,
): Promise<Host> {
  const connection = await NativeConnection.connect({ address: env.address });
  const identity = `${name}-${buildId ?? 'unversioned'}`;
  const hostQueue = `host-${name}`;
  const versioning = buildId ? { workerDeploymentOptions: versionedWorker({ deploymentName: DEPLOYMENT, buildId }) } : {};
  const common = { connection, identity, shutdownGraceTime: '10s', ...versioning };
  const shared = await Worker.create({
    ...common,
    taskQueue: SHARED_TASK_QUEUE,
    ...workflowSource(),
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
        await hold(input.video.videoId);
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

interface Histories {
  completed: WorkflowTask[];
  failed: WorkflowTask[];
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
      if (completed) result.completed.push({ workflowId, identity: completed.identity ?? '', buildId: completed.deploymentVersion?.buildId ?? null, at });
      const failed = event.workflowTaskFailedEventAttributes;
      if (failed) result.failed.push({ workflowId, identity: failed.identity ?? '', buildId: null, at });
      const activity = event.activityTaskScheduledEventAttributes;
      if (activity) {
        const task = { workflowId, name: activity.activityType?.name ?? '', queue: activity.taskQueue?.name ?? '', scheduledAt: at, startedBy: null };
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
  const { workerDeploymentInfo } = await client.workflowService.describeWorkerDeployment({ namespace: client.options.namespace, deploymentName: DEPLOYMENT });
  return workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId ?? null;
}

/** The README's promotion command, with the Temporal CLI. */
async function setCurrentVersion(env: TestWorkflowEnvironment, buildId: string): Promise<void> {
  await promisify(execFile)(resolveTool('temporal'), [
    'worker', 'deployment', 'set-current-version',
    '--address', env.address, '--deployment-name', DEPLOYMENT, '--build-id', buildId, '--yes',
  ]);
}

function startBatch(env: TestWorkflowEnvironment, workflowId: string, input: Partial<BatchInput> = {}) {
  return env.client.workflow.start(WORKFLOW_TYPES.batch, {
    taskQueue: SHARED_TASK_QUEUE,
    workflowId,
    args: [{ urlsFile: '/u', clipDir: '/c', outDir: '/o', workDir: '/w', workers: 3, startDelaySeconds: 0, ...input } satisfies BatchInput],
  });
}

/** A gate: downloads of the held videos wait until it opens, so their next activities come after a promotion. */
function gate(held: (videoId: string) => boolean) {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const arrived = new Set<string>();
  const hold = (videoId: string) => {
    if (!held(videoId)) return Promise.resolve();
    arrived.add(videoId);
    return opened;
  };
  return { open, hold, arrived };
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
  const hosts: Host[] = [];
  // A server per test: a deployment's first promotion happens once.
  beforeEach(async () => {
    env = await createLocalEnv();
  });
  afterEach(async () => {
    await Promise.allSettled(hosts.splice(0).map((host) => host.stop()));
    await env?.teardown();
  });

  test('from unversioned workers (0.2) to a versioned release: no workflow task goes back to the old host after promotion', async () => {
    const stubs = createStubs({ videos: VIDEOS, workMs: 1_000 });
    const workflowId = `versioning-unversioned-${process.pid}`;
    // v2, v5, v8 hold their downloads on the old host until after the promotion.
    const held = gate((videoId) => ['v2', 'v5', 'v8'].includes(videoId));
    const old = await startHost(env, stubs, 'old', null, held.hold);
    hosts.push(old);
    const handle = await startBatch(env, workflowId);
    await waitFor(() => stubs.record.results.size >= 1, 'a first video');

    const fresh = await startHost(env, stubs, 'new', 'B', () => Promise.resolve());
    hosts.push(fresh);
    const newPolling = Date.now();
    await waitFor(() => stubs.record.results.size >= 3, 'videos finished while both poll');
    assert.equal(await currentVersion(env.client), null, 'before promotion the current version is unversioned');

    const promoting = Date.now();
    assert.deepEqual(await promoteIfNeverSet(env.client, { deploymentName: DEPLOYMENT, buildId: 'B' }), { promoted: true });
    const promoted = Date.now();
    held.open();
    assert.deepEqual(
      await promoteIfNeverSet(env.client, { deploymentName: DEPLOYMENT, buildId: 'C' }, { attempts: 1, delayMs: 0 }),
      { promoted: false, current: 'B' },
      'a later version never promotes itself',
    );

    const summary = (await handle.result()) as BatchSummary;
    assert.equal(summary.counts.succeeded, VIDEOS);
    const histories = await readHistories(env.client, [workflowId, ...stubs.videos.map((v) => `${workflowId}/${v.videoId}`)]);
    assert.deepEqual(histories.failed, [], 'no workflow task failed');

    // (1) Both polling, before promotion: every workflow task went to the unversioned worker.
    const beforePromotion = histories.completed.filter((t) => t.at >= newPolling && t.at < promoting);
    assert.ok(beforePromotion.length > 0, 'workflow tasks completed while both polled');
    assert.deepEqual([...new Set(beforePromotion.map((t) => t.identity))], [old.identity]);
    // (2) After promotion only B completes workflow tasks; no workflow went back to the old host.
    const afterPromotion = histories.completed.filter((t) => t.at > promoted + 1_000);
    assert.ok(afterPromotion.length > 0);
    assert.ok(afterPromotion.every((t) => t.identity === fresh.identity && t.buildId === 'B'));
    for (const [id, turns] of handOvers(histories.completed)) {
      assert.ok(turns.length <= 2 && (turns.length < 2 || turns[0] === old.identity), `${id}: ${turns.join(' -> ')}`);
    }
    assert.ok([...handOvers(histories.completed).values()].some((turns) => turns.length === 2), 'some workflows moved to B mid-way');
    // (3) Activities a now-versioned workflow schedules on the old host's (unversioned) queue still reach it.
    const oldQueueAfter = histories.activities.filter((a) => a.queue === old.hostQueue && a.scheduledAt > promoted);
    assert.ok(oldQueueAfter.length > 0, 'activities scheduled on the old host after promotion');
    assert.ok(oldQueueAfter.every((a) => a.startedBy === old.identity));
    assert.equal(histories.activityTimeouts, 0, 'no video restarted');
  });

  test('from version B to C, side by side on each host and promoted with the Temporal CLI: videos stay on their hosts', async () => {
    const stubs = createStubs({ videos: VIDEOS, workMs: 1_000 });
    const workflowId = `versioning-b-to-c-${process.pid}`;
    const held = gate((videoId) => ['v0', 'v1', 'v2', 'v3'].includes(videoId));
    const b1 = await startHost(env, stubs, 'h1', 'B', held.hold);
    const b2 = await startHost(env, stubs, 'h2', 'B', held.hold);
    hosts.push(b1, b2);
    assert.deepEqual(await promoteIfNeverSet(env.client, { deploymentName: DEPLOYMENT, buildId: 'B' }), { promoted: true });
    const handle = await startBatch(env, workflowId, { workers: 4 });
    await waitFor(() => held.arrived.size >= 4, 'the first four downloads');

    const c1 = await startHost(env, stubs, 'h1', 'C', () => Promise.resolve());
    hosts.push(c1);
    // C cannot be made current while a host queue of B (h2's) has no C poller.
    await sleep(1_000);
    await assert.rejects(setCurrentVersion(env, 'C'), /missing active task queues/);
    const c2 = await startHost(env, stubs, 'h2', 'C', () => Promise.resolve());
    hosts.push(c2);
    const promoting = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await setCurrentVersion(env, 'C');
        break;
      } catch (err) {
        if (attempt >= 10) throw err;
        await sleep(500);
      }
    }
    const promoted = Date.now();
    assert.equal(await currentVersion(env.client), 'C');
    held.open();
    // The B workers drain: their held downloads finish, then they stop.
    await Promise.all([b1.stop(), b2.stop()]);
    hosts.splice(hosts.indexOf(b1), 1);
    hosts.splice(hosts.indexOf(b2), 1);

    const summary = (await handle.result()) as BatchSummary;
    assert.equal(summary.counts.succeeded, VIDEOS);
    const histories = await readHistories(env.client, [workflowId, ...stubs.videos.map((v) => `${workflowId}/${v.videoId}`)]);
    assert.deepEqual(histories.failed, [], 'no workflow task failed');
    const before = histories.completed.filter((t) => t.at < promoting);
    assert.ok(before.every((t) => t.buildId === 'B'), 'C completed no workflow task before promotion');
    const afterPromotion = histories.completed.filter((t) => t.at > promoted + 1_000);
    assert.ok(afterPromotion.length > 0 && afterPromotion.every((t) => t.buildId === 'C'), 'only C after promotion');
    for (const [id, turns] of handOvers(histories.completed.map((t) => ({ ...t, identity: t.buildId ?? '' })))) {
      assert.ok(turns.length <= 2 && (turns.length < 2 || turns[0] === 'B'), `${id}: ${turns.join(' -> ')}`);
    }
    // The held videos' next activities went to the C worker of the host that holds their source.
    const movedOn = histories.activities.filter((a) => a.scheduledAt > promoted && a.name !== 'writeReport' && a.queue !== SHARED_TASK_QUEUE);
    for (const [b, c] of [[b1, c1], [b2, c2]] as const) {
      const onHost = movedOn.filter((a) => a.queue === b.hostQueue);
      assert.ok(onHost.every((a) => a.startedBy === c.identity), `${b.hostQueue}: ${onHost.map((a) => a.startedBy).join(', ')}`);
    }
    assert.ok(movedOn.some((a) => a.name === 'encodeClips'), 'held videos were encoded after promotion');
    assert.equal(histories.activityTimeouts, 0, 'no video restarted');
    for (const [videoId, calls] of stubs.record.downloadCalls) assert.equal(calls, 1, `${videoId} downloaded once`);
  });
});
