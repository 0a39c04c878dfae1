// Records workflow histories for the replay test: `node dist/test/replay/record-histories.js <label>`.
// Run it on a released workflow version and commit the JSON: every later change to the
// workflows must still replay these (use patched() where a change alters commands).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { Worker } from '@temporalio/worker';
import { SHARED_TASK_QUEUE, WORKFLOW_TYPES } from '../../src/config.js';
import type { BatchInput } from '../../src/core/batch-input.js';
import { videoWorkflowId } from '../../src/core/batch-input.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { workflowSource } from '../../src/worker/workflow-source.js';
import { FIXTURES } from '../helpers/paths.js';
import { createStubs, STUB_HOST_QUEUE } from '../helpers/stub-activities.js';
import { createLocalEnv } from '../helpers/temporal.js';

async function run(): Promise<void> {
  const label = process.argv[2];
  if (!label) throw new Error('usage: record-histories <label>');
  const env = await createLocalEnv();
  try {
    const stubs = createStubs({
      videos: 6,
      workMs: 20,
      skip: ['v1'],
      downloadFails: { v2: { type: 'VideoUnavailable', nonRetryable: true } },
      encodeFails: { v3: { type: 'EncodeFailed', nonRetryable: true } },
    });
    const shared = await Worker.create({ connection: env.nativeConnection, taskQueue: SHARED_TASK_QUEUE, ...workflowSource(), activities: stubs.shared });
    const host = await Worker.create({ connection: env.nativeConnection, taskQueue: STUB_HOST_QUEUE, activities: stubs.host });
    const batchId = `replay-${label}`;
    const input: BatchInput = { urlsFile: '/u', clipDir: '/c', outDir: '/o', workDir: '/w', workers: 2, startDelaySeconds: 1, pageSize: 2, maxStartsPerRun: 4 };
    await shared.runUntil(
      host.runUntil(async () => {
        const handle = await env.client.workflow.start(WORKFLOW_TYPES.batch, { taskQueue: SHARED_TASK_QUEUE, workflowId: batchId, args: [input] });
        await handle.result();
      }),
    );
    const dir = join(FIXTURES, 'histories');
    // The Temporal CLI writes the proto3 JSON that historyFromJSON reads back.
    const index: Array<{ file: string; workflowId: string }> = [];
    const save = async (file: string, workflowId: string, runId?: string) => {
      index.push({ file, workflowId });
      const args = ['workflow', 'show', '--address', env.address, '--workflow-id', workflowId, ...(runId ? ['--run-id', runId] : []), '--output', 'json'];
      await writeFile(join(dir, file), (await execa(resolveTool('temporal'), args)).stdout);
    };
    // Every run of the batch (it continued as new) and one video of each outcome.
    let runs = 0;
    for await (const execution of env.client.workflow.list({ query: `WorkflowId = '${batchId}'` })) {
      await save(`${label}-batch-run${++runs}.json`, batchId, execution.runId);
    }
    for (const [videoId, outcome] of [['v0', 'succeeded'], ['v1', 'skipped'], ['v2', 'download-failed'], ['v3', 'encode-failed']]) {
      await save(`${label}-video-${outcome}.json`, videoWorkflowId(batchId, videoId as string));
    }
    // A cancelled batch, with a video cancelled mid-download.
    const cancelStubs = createStubs({ videos: 3, hang: ['v0'] });
    const cancelShared = await Worker.create({ connection: env.nativeConnection, taskQueue: SHARED_TASK_QUEUE, ...workflowSource(), activities: cancelStubs.shared });
    const cancelHost = await Worker.create({ connection: env.nativeConnection, taskQueue: STUB_HOST_QUEUE, activities: cancelStubs.host });
    const cancelId = `replay-${label}-cancel`;
    await cancelShared.runUntil(
      cancelHost.runUntil(async () => {
        const handle = await env.client.workflow.start(WORKFLOW_TYPES.batch, {
          taskQueue: SHARED_TASK_QUEUE,
          workflowId: cancelId,
          args: [{ ...input, workers: 1, startDelaySeconds: 0, heartbeatTimeoutSeconds: 1 }],
        });
        while (!cancelStubs.record.downloadCalls.get('v0')) await new Promise((resolve) => setTimeout(resolve, 20));
        await handle.cancel();
        await handle.result().catch(() => undefined);
      }),
    );
    await save(`${label}-batch-cancelled.json`, cancelId);
    await save(`${label}-video-cancelled.json`, videoWorkflowId(cancelId, 'v0'));
    // Replay needs each history's workflow ID (the batch derives its batch ID from it).
    const indexPath = join(dir, 'index.json');
    const existing = JSON.parse(await readFile(indexPath, 'utf8').catch(() => '[]')) as typeof index;
    const merged = [...existing.filter((e) => !index.some((i) => i.file === e.file)), ...index];
    await writeFile(indexPath, `${JSON.stringify(merged, null, 2)}\n`);
    console.log(`recorded ${runs} batch runs and 4 video histories as ${label}-*.json in ${dir}`);
  } finally {
    await env.teardown();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
