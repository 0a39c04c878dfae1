import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BatchProgress, VideoFinished } from '../core/batch-input.js';

/** A video workflow tells its batch it is done. */
export const videoFinishedSignal = defineSignal<[VideoFinished]>('videoFinished');
export const progressQuery = defineQuery<BatchProgress>('progress');
/** The host queue a video is working on now (null between hosts or when none is needed). */
export const videoHostQuery = defineQuery<string | null>('host');
