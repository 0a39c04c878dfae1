// Recorded histories of earlier workflow versions (test/fixtures/histories/, made by
// record-histories.ts) must replay on today's workflow code without nondeterminism.
// The workflows are bundled from the compiled sources here, never taken from the
// prebuilt dist/workflow-bundle.js, which `tsc` alone leaves stale.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { PATCHES } from '../../src/workflows/patches.js';
import { WORKFLOWS_PATH } from '../../src/worker/workflow-source.js';
import { FIXTURES } from '../helpers/paths.js';

const dir = join(FIXTURES, 'histories');
const readIndex = async () =>
  JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as Array<{ file: string; workflowId: string }>;
const readHistory = async (file: string) => historyFromJSON(JSON.parse(await readFile(join(dir, file), 'utf8')));

test('recorded batch and video histories replay on the current workflow code', async () => {
  const index = await readIndex();
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json') && f !== 'index.json');
  assert.deepEqual(index.map((e) => e.file).sort(), files.sort(), 'every history is indexed');
  assert.ok(
    files.some((f) => f.includes('-batch-')) && files.some((f) => f.includes('-video-')),
    'histories are committed',
  );
  const histories = await Promise.all(
    index.map(async ({ file, workflowId }) => ({ workflowId, history: await readHistory(file) })),
  );
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  assert.equal(replayed, histories.length, 'every history replayed');
  assert.deepEqual(failures, []);
});

test('a command inserted at the start of either workflow fails the replay (the test can fail)', async () => {
  const changed = fileURLToPath(new URL('./changed-workflows.js', import.meta.url));
  const picked = (await readIndex()).filter((e) =>
    ['v0.2.0-basic-batch-run1.json', 'v0.2.0-basic-video-v0.json'].includes(e.file),
  );
  assert.equal(picked.length, 2);
  const histories = await Promise.all(
    picked.map(async ({ file, workflowId }) => ({ workflowId, history: await readHistory(file) })),
  );
  const errors: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath: changed }, histories))
    errors.push(result.error?.message ?? 'replayed');
  assert.equal(errors.length, 2);
  for (const error of errors) assert.match(error, /nondeterminism/i);
});

interface HistoryEvent {
  eventType: string;
  markerRecordedEventAttributes?: {
    markerName?: string;
    details?: { 'patch-data'?: { payloads?: Array<{ data?: string }> } };
  };
}

/** The patch ID a core_patch marker records. */
const patchId = (e: HistoryEvent): string | undefined => {
  const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
  return data ? (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id : undefined;
};

/**
 * Patches asked where an activity or child workflow event is handled (a host timeout,
 * a child's close), never after a local activity: replay meets that event in the same
 * task, so their markers are found wherever they land.
 */
const ASKED_AT_AN_EVENT = [PATCHES.busyHost, PATCHES.childClosed];

test('every patch is asked in the first workflow task, before any local activity (the rule that keeps replays finding them)', async () => {
  // A patch asked after a local activity lands in whichever task that activity resolved
  // in; a replay sees it resolve earlier and finds no call for the marker (TMPRL1100).
  // v0.4.0-slow-start's policy activity outlasts three workflow tasks.
  const late: string[] = [];
  for (const { file } of await readIndex()) {
    const { events } = JSON.parse(await readFile(join(dir, file), 'utf8')) as { events: HistoryEvent[] };
    const marker = (e: (typeof events)[number]) => e.markerRecordedEventAttributes?.markerName;
    const firstCompleted = events.findIndex((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED');
    // The first task's commands follow its completion, up to the next task.
    const firstTaskEnd = events.findIndex(
      (e, i) => i > firstCompleted && e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
    );
    const firstLocalActivity = events.findIndex((e) => marker(e) === 'core_local_activity');
    const bound = Math.min(...[firstTaskEnd, firstLocalActivity].filter((i) => i >= 0), events.length);
    const patchesAfter = events
      .slice(bound)
      .filter((e) => marker(e) === 'core_patch' && !ASKED_AT_AN_EVENT.includes(patchId(e) as never)).length;
    if (patchesAfter > 0) late.push(`${file}: ${patchesAfter} patch marker(s) after the first task or local activity`);
  }
  assert.deepEqual(late, []);
});
