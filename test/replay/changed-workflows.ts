// The current workflows with one command (a timer) inserted at the start of each:
// the replay test's positive control, which recorded histories must NOT replay on.
import { sleep } from '@temporalio/workflow';
import type { BatchInput, VideoInput } from '../../src/core/batch-input.js';
import { batchWorkflow as currentBatch, videoWorkflow as currentVideo } from '../../src/workflows/index.js';

export async function batchWorkflow(input: BatchInput): ReturnType<typeof currentBatch> {
  await sleep(1);
  return currentBatch(input);
}

export async function videoWorkflow(input: VideoInput): ReturnType<typeof currentVideo> {
  await sleep(1);
  return currentVideo(input);
}
