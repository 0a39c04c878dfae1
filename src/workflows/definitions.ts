import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BatchProgress, VideoFinished } from '../core/batch-input.js';

/** A video workflow tells its batch it is done. */
export const videoFinishedSignal = defineSignal<[VideoFinished]>('videoFinished');
export const progressQuery = defineQuery<BatchProgress>('progress');
