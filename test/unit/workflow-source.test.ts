import assert from 'node:assert/strict';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  WORKFLOW_SOURCE_ENV,
  WorkflowBundleError,
  WORKFLOWS_PATH,
  workflowSource,
} from '../../src/worker/workflow-source.js';
import { tempDir } from '../helpers/e2e.js';

test('the caller chooses the workflow source, the environment may override it, a file on disk never does', async () => {
  const dir = await tempDir('bundle');
  const bundlePath = join(dir, 'workflow-bundle.js');
  assert.deepEqual(workflowSource('source', { env: {}, bundlePath }), { workflowsPath: WORKFLOWS_PATH });
  assert.throws(() => workflowSource('prebuilt', { env: {}, bundlePath }), WorkflowBundleError);
  assert.throws(
    () => workflowSource('prebuilt', { env: {}, bundlePath }),
    /workflow bundle .* is missing: run `npm run build`/,
  );
  assert.deepEqual(workflowSource('prebuilt', { env: { [WORKFLOW_SOURCE_ENV]: 'source' }, bundlePath }), {
    workflowsPath: WORKFLOWS_PATH,
  });
  assert.throws(
    () => workflowSource('source', { env: { [WORKFLOW_SOURCE_ENV]: 'bundle' }, bundlePath }),
    /must be source or prebuilt/,
  );

  await writeFile(bundlePath, '// bundle');
  assert.deepEqual(
    workflowSource('source', { env: {}, bundlePath }),
    { workflowsPath: WORKFLOWS_PATH },
    'tests bundle from source even when a bundle exists',
  );
  const future = new Date(Date.now() + 60_000);
  await utimes(bundlePath, future, future);
  assert.deepEqual(workflowSource('prebuilt', { env: {}, bundlePath }), { workflowBundle: { codePath: bundlePath } });
  assert.deepEqual(workflowSource('source', { env: { [WORKFLOW_SOURCE_ENV]: 'prebuilt' }, bundlePath }), {
    workflowBundle: { codePath: bundlePath },
  });
  // Compiled after the bundle was written (tsc alone): stale.
  await utimes(bundlePath, new Date(0), new Date(0));
  assert.throws(
    () => workflowSource('prebuilt', { env: {}, bundlePath }),
    /workflow bundle .* is older than .*\.js: run `npm run build`/,
  );
});
