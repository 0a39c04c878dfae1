// vstream's search attributes on a server that lacks them (a dev server started without
// `--search-attribute`, as an unprepared cluster): `run` starts its batch without them and
// says so; `vstream search-attributes` registers them (idempotent) and doctor sees them;
// a batch started afterwards records that it uses them.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time.js';
import type { BatchInput } from '../../src/core/batch-input.js';
import { indexedValueType } from '../../src/core/search-attribute-registration.js';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../src/core/search-attributes.js';
import { startDevServer, type DevServer } from '../../src/server/dev-server.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { runArgs, runCli, tempDir, waitFor } from '../helpers/e2e.js';

let root: string;
let temporal: DevServer;
let connection: Connection;

before(async () => {
  root = await tempDir('search-attributes');
  await mkdir(join(root, 'clips'));
  // No clip file: the video is skipped without a download, and the batch ends at once.
  await writeFile(join(root, 'urls.txt'), 'https://www.youtube.com/watch?v=saTest00001\n');
  temporal = await startDevServer({
    temporalBin: resolveTool('temporal'),
    dbFile: join(root, 'temporal.db'),
    logFile: join(root, 'server.log'),
    searchAttributes: false,
  });
  connection = await Connection.connect({ address: temporal.address });
});

after(async () => {
  await connection?.close();
  await temporal?.stop();
});

/** A tiny batch on the server, as `vstream run --temporal-address` starts it. */
async function runBatch(batchId: string) {
  const dirs = { urls: join(root, 'urls.txt'), clips: join(root, 'clips'), out: join(root, batchId) };
  return runCli(
    runArgs(
      dirs,
      '--temporal-address',
      temporal.address,
      '--batch-id',
      batchId,
      '--encoder',
      'x265',
      '-d',
      '0',
      '--log-level',
      'error',
    ),
  );
}

/** The input the batch's first run was started with. */
async function startInput(batchId: string): Promise<BatchInput> {
  const history = await new Client({ connection }).workflow.getHandle(batchId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  assert.ok(payload, `${batchId} has a start event with an input`);
  return defaultPayloadConverter.fromPayload<BatchInput>(payload);
}

const registeredNames = async () =>
  Object.keys((await connection.operatorService.listSearchAttributes({ namespace: 'default' })).customAttributes ?? {});

const ADDRESS = () => ['--temporal-address', temporal.address];

test('run on a server without them: the batch runs, its input says so, and one line tells how to add them', async () => {
  assert.deepEqual(
    (await registeredNames()).filter((name) => name.startsWith('Vstream')),
    [],
    'the server starts without them',
  );
  const run = await runBatch('sa-without');
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const lines = run.stdout.split('\n').filter((line) => line.includes('runs without search attributes'));
  assert.equal(lines.length, 1, run.stdout);
  assert.match(
    lines[0] ?? '',
    new RegExp(
      `lacks VstreamBatchId, .*VstreamClips: .*\`vstream search-attributes --temporal-address ${temporal.address}\``,
    ),
  );
  assert.match(run.stdout, /^done: .*1 skipped/m);
  assert.equal((await startInput('sa-without')).searchAttributes, false);
});

test('vstream search-attributes adds them, a second run finds them all there, doctor says ok', async () => {
  const before = await runCli(['doctor', '--work-dir', join(root, 'work'), ...ADDRESS()]);
  assert.match(
    before.stdout,
    new RegExp(
      `^warn {2}search attributes: missing in namespace default on ${temporal.address}: VstreamBatchId, `,
      'm',
    ),
  );

  const first = await runCli(['search-attributes', ...ADDRESS()]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(
    first.stdout.trim(),
    `search attributes: added ${SEARCH_ATTRIBUTE_DEFINITIONS.map((d) => `${d.name} (${d.type})`).join(', ')} in namespace default`,
  );
  for (const { name } of SEARCH_ATTRIBUTE_DEFINITIONS) assert.ok((await registeredNames()).includes(name), name);

  const second = await runCli(['search-attributes', ...ADDRESS()]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout.trim(), "search attributes: all 6 of vstream's were registered in namespace default");

  const doctor = await runCli(['doctor', '--work-dir', join(root, 'work'), ...ADDRESS()]);
  assert.match(
    doctor.stdout,
    new RegExp(`^ok {4}search attributes: all 6 registered in namespace default on ${temporal.address}$`, 'm'),
  );

  const run = await runBatch('sa-with');
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.ok(!run.stdout.includes('runs without search attributes'), run.stdout);
  assert.equal((await startInput('sa-with')).searchAttributes, true);
});

test('a namespace the server does not have: one line, exit 1', async () => {
  const run = await runCli(['search-attributes', ...ADDRESS(), '--namespace', 'no-such-namespace']);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /^vstream: cannot list the search attributes of namespace no-such-namespace on /);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
});

test('a name registered with another type: one line naming it, exit 1, nothing added', async () => {
  const namespace = 'sa-conflict';
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  // The server's namespace cache learns of the new namespace within seconds.
  await waitFor('VstreamClips registered as Keyword', async () =>
    connection.operatorService
      .addSearchAttributes({ namespace, searchAttributes: { VstreamClips: indexedValueType('Keyword') } })
      .then(() => true)
      .catch(() => false),
  );
  const run = await runCli(['search-attributes', ...ADDRESS(), '--namespace', namespace]);
  assert.equal(run.code, 1);
  assert.equal(
    run.stderr.trim(),
    `vstream: search attributes of namespace ${namespace} conflict with vstream's: VstreamClips is Keyword (vstream needs Int); remove it (temporal operator search-attribute remove) or use another namespace`,
  );
  const registered = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  assert.deepEqual(
    Object.keys(registered).filter((name) => name.startsWith('Vstream')),
    ['VstreamClips'],
  );
});
