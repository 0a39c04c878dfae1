// The workflow bundle's entry point: everything exported here is a workflow type.
export { batchWorkflow } from './batch.js';
export { videoWorkflow } from './video.js';
