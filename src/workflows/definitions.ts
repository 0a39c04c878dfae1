import { defineQuery, defineSignal } from '@temporalio/workflow';
import type {
  BatchProgress,
  DownloadBlocked,
  DownloadsAbandoned,
  DownloadsPaused,
  VideoFinished,
} from '../core/batch-input.js';

/** A video workflow tells its batch it is done. */
export const videoFinishedSignal = defineSignal<[VideoFinished]>('videoFinished');
export const progressQuery = defineQuery<BatchProgress>('progress');

/** A video's download hit a rate limit or a bot check: the batch decides on a pause. */
export const downloadBlockedSignal = defineSignal<[DownloadBlocked]>('downloadBlocked');
/** A video downloaded fine while the batch counts pauses. */
export const downloadSucceededSignal = defineSignal<[{ videoId: string }]>('downloadSucceeded');
/** The batch to its videos: no new download until then. */
export const downloadsPausedSignal = defineSignal<[DownloadsPaused]>('downloadsPaused');
/** The batch to its videos: downloads are given up. */
export const downloadsAbandonedSignal = defineSignal<[DownloadsAbandoned]>('downloadsAbandoned');
/**
 * Until when (epoch ms) the batch holds this video's downloads. Asked by a download's retry:
 * the server schedules it, so the workflow's own hold does not reach it.
 */
export const downloadsPausedUntilQuery = defineQuery<number>('downloadsPausedUntil');
/** The host queue a video is working on now (null between hosts or when none is needed). */
export const videoHostQuery = defineQuery<string | null>('host');
