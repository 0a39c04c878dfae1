import { appendFile, rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { settingsHash } from '../core/hashing.js';
import * as layout from '../core/layout.js';
import type { ClipOutput, EncodeSettings, LineError, VideoResult, VideoStatus } from '../core/types.js';
import { assertVideoId } from '../core/video-id.js';
import { writeJsonAtomic } from '../tools/fs.js';
import type { HostDeps } from './deps.js';
import { eventLogger } from './events.js';

/** A video's record in its output folder, written last: verifyClip trusts it on later runs. */
export interface VideoManifest {
  videoId: string;
  url: string;
  status: Extract<VideoStatus, 'succeeded' | 'partial'>;
  reason: string | null;
  settingsHash: string;
  settings: EncodeSettings;
  clipFileSha256: string;
  encoder: string;
  finishedAt: string;
  clips: ClipOutput[];
  clipErrors: LineError[];
}

export interface DeleteSourceInput {
  batchId: string;
  videoId: string;
  workDir: string;
}

export interface FinishVideoInput extends RecordVideoInput {
  workDir: string;
}

export interface RecordVideoInput {
  batchId: string;
  outDir: string;
  result: VideoResult;
  /** Present when clips were made: the manifest is written, last, for succeeded and partial videos. */
  manifest: { settings: EncodeSettings; clipFileSha256: string; encoder: string } | null;
}

type FinishDeps = Pick<HostDeps, 'workDir' | 'logger' | 'metrics' | 'encodeQueues' | 'earlyEncodes'>;

async function deleteSourceFolder(input: DeleteSourceInput, deps: FinishDeps): Promise<void> {
  const workDir = deps.workDir ?? input.workDir;
  const dir = layout.sourceDir(workDir, input.batchId, assertVideoId(input.videoId));
  // Its key is the source folder (encodeReservationKey): a place never used is freed.
  deps.encodeQueues.release(dir);
  // An encode started while downloading that no encode activity took (the video was cancelled).
  deps.earlyEncodes?.stop(dir);
  await rm(dir, { recursive: true, force: true });
  await rmdir(dirname(dir)).catch(() => undefined);
  deps.metrics?.workDirChanged(workDir);
}

/** Manifest (succeeded and partial videos, last), result file, and a line of report.jsonl. */
async function recordResult(input: RecordVideoInput, deps: Pick<HostDeps, 'logger' | 'metrics'>): Promise<void> {
  const { manifest } = input;
  const finishedAt = new Date().toISOString();
  // The record's time ends the video's timings: the report's throughput is counted from it.
  const result: VideoResult = { ...input.result, timings: { ...input.result.timings, finishedAt } };
  if (manifest && (result.status === 'succeeded' || result.status === 'partial')) {
    const content: VideoManifest = {
      videoId: result.videoId,
      url: result.url,
      status: result.status,
      reason: result.reason,
      settingsHash: settingsHash(manifest.settings),
      settings: manifest.settings,
      clipFileSha256: manifest.clipFileSha256,
      encoder: manifest.encoder,
      finishedAt,
      clips: result.clips,
      clipErrors: result.clipErrors,
    };
    await writeJsonAtomic(layout.manifestPath(input.outDir, result.videoId), content);
  }
  await writeJsonAtomic(layout.resultPath(input.outDir, input.batchId, result.videoId), result);
  // One write with O_APPEND: lines from concurrent activities do not interleave.
  await appendFile(layout.reportLinesPath(input.outDir), `${JSON.stringify(result)}\n`);
  const { status, errorType, reason } = result;
  // Counted once the result is on disk: a retry after a failed write counts the video once.
  deps.metrics?.videoRecorded(status, errorType);
  const fields = { status, clips: result.clips.length, errorType, reason };
  eventLogger(deps.logger, input).event('video.finished', fields, reason ? `${status}: ${reason}` : status);
}

/** recordVideo runs on any worker: it writes only to the shared output folder. */
export function createRecordActivities(deps: Pick<HostDeps, 'logger' | 'metrics'>) {
  return {
    /** Records the video's result for the report, and its manifest (written last) when clips were made. */
    async recordVideo(input: RecordVideoInput): Promise<void> {
      await recordResult(input, deps);
    },
  };
}

/** The host's last steps for a video: its source folder is on this host's disk. */
export function createFinishActivities(deps: FinishDeps) {
  return {
    /** Removes the video's source folder, and the batch's work folder once empty. */
    async deleteSource(input: DeleteSourceInput): Promise<void> {
      await deleteSourceFolder(input, deps);
    },

    /** The last step on the host: the source goes, then the result and the manifest are written. */
    async finishVideo(input: FinishVideoInput): Promise<void> {
      const { batchId, workDir } = input;
      await deleteSourceFolder({ batchId, videoId: input.result.videoId, workDir }, deps);
      await recordResult(input, deps);
    },
  };
}
