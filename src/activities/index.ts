// The activities of each worker role, built from that role's dependencies. Workflows
// type their proxies from these factories and import every input and output type here.
import { createBatchActivities } from './batch.js';
import type { EncodeDeps, HostDeps, SharedDeps } from './deps.js';
import { createDownloadActivities } from './download.js';
import { createEncodeClips } from './encode.js';
import { createFinishActivities, createRecordActivities } from './finish.js';
import { createVerifyActivities } from './verify.js';
import { createPingActivities } from './ping.js';
import { createPolicyActivities } from './policy.js';

/** Activities any worker may run: they read and write only the shared input and output folders. */
export function createSharedActivities(deps: SharedDeps) {
  const batch = createBatchActivities(deps);
  return {
    prepareBatch: batch.prepareBatch,
    readVideoPage: batch.readVideoPage,
    writeReport: batch.writeReport,
    verifyClip: createVerifyActivities(deps).verifyClip,
    recordVideo: createRecordActivities(deps).recordVideo,
    ...createPolicyActivities(),
  };
}

/** Activities bound to the host whose disk holds the source. */
export function createHostActivities(deps: HostDeps) {
  const finish = createFinishActivities(deps);
  return {
    download: createDownloadActivities(deps).download,
    // Videos of 0.1 encode on the host queue.
    encodeClips: createEncodeClips(deps),
    deleteSource: finish.deleteSource,
    finishVideo: finish.finishVideo,
  };
}

/** The encode activity of one GPU (or of the CPU) of the host. */
export function createEncodeActivities(deps: EncodeDeps) {
  return { encodeClips: createEncodeClips(deps, { name: deps.encodeQueue, queues: deps.encodeQueues }) };
}

export { createPingActivities };

export type SharedActivities = ReturnType<typeof createSharedActivities>;
export type HostActivities = ReturnType<typeof createHostActivities>;
export type EncodeActivities = ReturnType<typeof createEncodeActivities>;
export type PingActivities = ReturnType<typeof createPingActivities>;
export type { DownloadSettings, EncodeDeps, EncoderDeps, HostDeps, Logger, SharedDeps } from './deps.js';
export type { PagedVideo, PrepareBatchInput, ReadPageInput, SnapshotMeta, WriteReportInput } from './batch.js';
export type { VerifyClipInput, VerifyOutcome } from './verify.js';
export type { DownloadInput } from './download.js';
export type { EncodeClipsInput, EncodeClipsOutput, EncodeProgress, EncodeQueueSlot } from './encode.js';
export type { DeleteSourceInput, FinishVideoInput, RecordVideoInput, VideoManifest } from './finish.js';
