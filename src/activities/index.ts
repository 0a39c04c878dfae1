import { createBatchActivities } from './batch.js';
import type { ActivityDeps } from './deps.js';
import { createPolicyActivities } from './policy.js';
import { createVideoActivities } from './video.js';

/** Activities any worker may run: they read and write only the shared input and output folders. */
export function createSharedActivities(deps: ActivityDeps) {
  const batch = createBatchActivities(deps);
  const video = createVideoActivities(deps);
  return {
    prepareBatch: batch.prepareBatch,
    readVideoPage: batch.readVideoPage,
    writeReport: batch.writeReport,
    verifyClip: video.verifyClip,
    recordVideo: video.recordVideo,
    ...createPolicyActivities(),
  };
}

/** Activities bound to the host whose disk holds the source. */
export function createHostActivities(deps: ActivityDeps) {
  const video = createVideoActivities(deps);
  return {
    download: video.download,
    // Videos of 0.1 encode on the host queue.
    encodeClips: video.encodeClips,
    deleteSource: video.deleteSource,
    finishVideo: video.finishVideo,
  };
}

/** The encode activity of one GPU (or of the CPU) of the host. */
export function createEncodeActivities(deps: ActivityDeps) {
  return { encodeClips: createVideoActivities(deps).encodeClips };
}

export type SharedActivities = ReturnType<typeof createSharedActivities>;
export type HostActivities = ReturnType<typeof createHostActivities>;
export type EncodeActivities = ReturnType<typeof createEncodeActivities>;
export type { ActivityDeps, Logger } from './deps.js';
export type { PagedVideo, PrepareBatchInput, ReadPageInput, SnapshotMeta, WriteReportInput } from './batch.js';
export type {
  DeleteSourceInput,
  DownloadInput,
  EncodeClipsInput,
  EncodeClipsOutput,
  FinishVideoInput,
  RecordVideoInput,
  VerifyClipInput,
  VerifyOutcome,
} from './video.js';
