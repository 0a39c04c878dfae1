import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../src/worker/workflow-source.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };

test('the workflow code bundles for the deterministic sandbox', async () => {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
  assert.ok(code.includes('batchWorkflow') && code.includes('videoWorkflow'));
});

test('a Node built-in in workflow code fails the bundle (the check above can fail)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vstream-bundle-'));
  const file = join(dir, 'workflows.js');
  await writeFile(
    file,
    "import { readFileSync } from 'node:fs';\nexport async function bad() { return readFileSync('/etc/hostname', 'utf8'); }\n",
  );
  const messages: string[] = [];
  const capture = { ...quiet, error: (m: string) => messages.push(m), warn: (m: string) => messages.push(m) };
  await assert.rejects(bundleWorkflowCode({ workflowsPath: file, logger: capture }), /Webpack finished with errors/);
  assert.match(messages.join('\n'), /fs/, 'the error names the disallowed module');
});
