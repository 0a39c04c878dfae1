// Records workflow histories for the replay test, one set per behaviour (behaviours.ts):
//
//   node dist/test/replay/record-histories.js <version> [--workflows <compiled workflows/index.js>] [--only a,b]
//
// --workflows records with another tree's workflow code (a worktree of a release) and
// today's stub activities, e.g. `--workflows /work/rel-0.2.0/dist/src/workflows/index.js`.
// Fixtures are added, never overwritten: the recorder refuses to write a file that exists.
// Commit the JSON: every later change to the workflows must still replay it.
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { SHARED_TASK_QUEUE, WORKFLOW_TYPES, hostPingTaskQueue } from '../../src/config.js';
import { videoWorkflowId } from '../../src/core/batch-input.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { WORKFLOWS_PATH } from '../../src/worker/workflow-source.js';
import { FIXTURES } from '../helpers/paths.js';
import { createStubs, STUB_HOST_QUEUE } from '../helpers/stub-activities.js';
import { createLocalEnv } from '../helpers/temporal.js';
import { BEHAVIOURS, cliShapedInput, type Behaviour } from './behaviours.js';

const DIR = join(FIXTURES, 'histories');
const INDEX = join(DIR, 'index.json');
const BATCH_TIMEOUT_MS = 60_000;

interface IndexEntry {
  file: string;
  workflowId: string;
}

const quiet = { info() {}, warn: console.warn, error: console.error, debug() {}, trace() {}, log() {} };

/** Runs `fn` while every worker polls. */
async function withWorkers(workers: Worker[], fn: () => Promise<void>): Promise<void> {
  const [first, ...rest] = workers;
  if (!first) return fn();
  await first.runUntil(withWorkers(rest, fn));
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)),
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function waitUntil(holds: () => boolean, failure: string): Promise<void> {
  const deadline = Date.now() + BATCH_TIMEOUT_MS;
  while (!holds()) {
    if (Date.now() > deadline) throw new Error(failure);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Run IDs of every run of a workflow, first to last, following continue-as-new. */
async function runChain(env: TestWorkflowEnvironment, workflowId: string, firstRunId: string): Promise<string[]> {
  const runs = [firstRunId];
  for (;;) {
    const history = await env.client.workflow.getHandle(workflowId, runs.at(-1)).fetchHistory();
    const next = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) return runs;
    runs.push(next);
  }
}

/** Records one behaviour; returns the index entries of the files it wrote. */
async function record(
  env: TestWorkflowEnvironment,
  code: string,
  label: string,
  behaviour: Behaviour,
): Promise<IndexEntry[]> {
  const stubs = createStubs(behaviour.stubs, behaviour.prior);
  const connection = env.nativeConnection;
  const workers = [
    await Worker.create({
      connection,
      taskQueue: SHARED_TASK_QUEUE,
      workflowBundle: { code },
      activities: stubs.shared,
    }),
    await Worker.create({
      connection,
      taskQueue: STUB_HOST_QUEUE,
      activities: stubs.host,
      ...(behaviour.stubs.hostSlots ? { maxConcurrentActivityTaskExecutions: behaviour.stubs.hostSlots } : {}),
    }),
    await Worker.create({ connection, taskQueue: hostPingTaskQueue(STUB_HOST_QUEUE), activities: stubs.ping }),
    ...(await Promise.all(
      (behaviour.encodeQueues ?? []).map((taskQueue) =>
        Worker.create({ connection, taskQueue, activities: stubs.encode }),
      ),
    )),
  ];
  const workflowId = `replay-${label}-${behaviour.name}`;
  let firstRunId = '';
  await withWorkers(workers, async () => {
    const handle = await env.client.workflow.start(WORKFLOW_TYPES.batch, {
      taskQueue: SHARED_TASK_QUEUE,
      workflowId,
      args: [{ ...cliShapedInput(workflowId), ...behaviour.input }],
      ...(behaviour.workflowTaskTimeout ? { workflowTaskTimeout: behaviour.workflowTaskTimeout } : {}),
    });
    firstRunId = handle.firstExecutionRunId;
    const { cancelWhen, terminate } = behaviour;
    if (terminate) {
      await waitUntil(() => terminate.when(stubs), `${behaviour.name}: the moment to terminate never came`);
      await env.client.workflow.getHandle(videoWorkflowId(workflowId, terminate.videoId)).terminate(terminate.reason);
    }
    if (cancelWhen) {
      await waitUntil(() => cancelWhen(stubs), `${behaviour.name}: the moment to cancel never came`);
      await handle.cancel();
    }
    await within(
      handle.result().catch((err: unknown) => {
        if (!cancelWhen) throw err;
      }),
      BATCH_TIMEOUT_MS,
      `batch ${workflowId}`,
    );
  });
  const runs = await runChain(env, workflowId, firstRunId);
  const problem = behaviour.check(stubs, runs.length);
  if (problem) throw new Error(`${behaviour.name}: the recording does not show the behaviour: ${problem}`);

  const entries: IndexEntry[] = [];
  // The Temporal CLI writes the proto3 JSON that historyFromJSON reads back.
  const save = async (file: string, id: string, runId?: string) => {
    const args = [
      'workflow',
      'show',
      '--address',
      env.address,
      '--workflow-id',
      id,
      ...(runId ? ['--run-id', runId] : []),
      '--output',
      'json',
    ];
    await writeFile(join(DIR, file), (await execa(resolveTool('temporal'), args)).stdout, { flag: 'wx' });
    entries.push({ file, workflowId: id });
  };
  for (const [i, runId] of runs.entries())
    await save(`${label}-${behaviour.name}-batch-run${i + 1}.json`, workflowId, runId);
  for (const videoId of behaviour.videos)
    await save(`${label}-${behaviour.name}-video-${videoId}.json`, videoWorkflowId(workflowId, videoId));
  console.log(`${behaviour.name}: ${runs.length} batch run(s), ${behaviour.videos.length} video(s)`);
  return entries;
}

async function run(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { workflows: { type: 'string' }, only: { type: 'string' } },
  });
  const label = positionals[0];
  if (!label || positionals.length > 1)
    throw new Error('usage: record-histories <version> [--workflows <compiled workflows/index.js>] [--only a,b]');
  const only = values.only?.split(',');
  const unknown = only?.filter((name) => !BEHAVIOURS.some((b) => b.name === name));
  if (unknown?.length) throw new Error(`unknown behaviours: ${unknown.join(', ')}`);
  const behaviours = BEHAVIOURS.filter((b) => !only || only.includes(b.name));

  const index = JSON.parse(await readFile(INDEX, 'utf8')) as IndexEntry[];
  // Refuse before recording anything: a fixture, once committed, is never replaced.
  const taken = behaviours.filter(
    (b) =>
      index.some((e) => e.file.startsWith(`${label}-${b.name}-`)) ||
      existsSync(join(DIR, `${label}-${b.name}-batch-run1.json`)),
  );
  if (taken.length)
    throw new Error(
      `fixtures exist for ${taken.map((b) => `${label}-${b.name}`).join(', ')}: record under a new version label`,
    );

  const workflowsPath = values.workflows ? resolve(values.workflows) : WORKFLOWS_PATH;
  console.log(`recording ${label} with the workflows of ${workflowsPath}`);
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quiet });
  const env = await createLocalEnv();
  try {
    for (const behaviour of behaviours) {
      const entries = await record(env, code, label, behaviour);
      // Written after each behaviour, so the files of a later failure are still indexed.
      index.push(...entries);
      await writeFile(INDEX, `${JSON.stringify(index, null, 2)}\n`);
    }
  } finally {
    await env.teardown();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
