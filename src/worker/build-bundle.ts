// Pre-bundles the workflow code for production workers (samples-typescript `production`).
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PREBUILT_BUNDLE_PATH, WORKFLOWS_PATH } from './workflow-source.js';

async function run(): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { info() {}, warn: console.warn, error: console.error, debug() {}, trace() {}, log() {} },
  });
  await writeFile(PREBUILT_BUNDLE_PATH, code);
  console.log(`workflow bundle: ${PREBUILT_BUNDLE_PATH} (${(code.length / 1024).toFixed(0)} KiB)`);
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
