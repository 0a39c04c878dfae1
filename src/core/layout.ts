// Where everything lives on disk. The only module that joins paths from IDs, and
// it validates every video ID before it becomes part of a path.
import { dirname, join } from 'node:path';
import { MANIFEST_FILE_NAME, STATE_DIR_NAME } from '../config.js';
import { clipFileName } from './clip-file.js';
import { batchIdProblem } from './hashing.js';
import type { ClipSpec } from './types.js';
import { assertVideoId } from './video-id.js';

function assertBatchId(batchId: string): string {
  const problem = batchIdProblem(batchId);
  if (problem) throw new Error(problem);
  return batchId;
}

export const stateDir = (outDir: string) => join(outDir, STATE_DIR_NAME);
export const settingsPath = (outDir: string) => join(stateDir(outDir), 'settings.json');
export const lockPath = (outDir: string) => join(stateDir(outDir), 'run.lock');
export const temporalDbPath = (outDir: string) => join(stateDir(outDir), 'temporal.db');
export const logPath = (outDir: string) => join(stateDir(outDir), 'vstream.log');
/** The embedded Temporal UI's port, chosen once per output folder: links printed by one run stay valid for the next. */
export const uiPortPath = (outDir: string) => join(stateDir(outDir), 'ui-port.json');
export const latestReportPath = (outDir: string) => join(stateDir(outDir), 'report.json');
/** report.html, for people, beside a report.json (the latest one or a batch's). */
export const reportHtmlBeside = (reportJsonPath: string) => join(dirname(reportJsonPath), 'report.html');
/** One line per finished video, appended as videos finish, rewritten in list order at the end. */
export const reportLinesPath = (outDir: string) => join(stateDir(outDir), 'report.jsonl');
export const defaultWorkDir = (outDir: string) => join(stateDir(outDir), 'work');

export const batchDir = (outDir: string, batchId: string) => join(stateDir(outDir), 'batches', assertBatchId(batchId));
export const batchReportPath = (outDir: string, batchId: string) => join(batchDir(outDir, batchId), 'report.json');
export const resultPath = (outDir: string, batchId: string, videoId: string) =>
  join(batchDir(outDir, batchId), 'results', `${assertVideoId(videoId)}.json`);

export function snapshotPaths(outDir: string, batchId: string) {
  const dir = batchDir(outDir, batchId);
  return {
    dir,
    /** Written last: its presence marks a complete snapshot. */
    meta: join(dir, 'snapshot.json'),
    videos: join(dir, 'videos.jsonl'),
    /** 8-byte little-endian offsets of each line of videos.jsonl, for paging by index. */
    index: join(dir, 'videos.idx'),
    rejected: join(dir, 'rejected.json'),
  };
}

export const videoOutDir = (outDir: string, videoId: string) => join(outDir, assertVideoId(videoId));
export const manifestPath = (outDir: string, videoId: string) => join(videoOutDir(outDir, videoId), MANIFEST_FILE_NAME);
export const clipPath = (outDir: string, videoId: string, clip: Pick<ClipSpec, 'startFrame' | 'endFrame'>) =>
  join(videoOutDir(outDir, videoId), clipFileName(videoId, clip));
export const clipListPath = (clipDir: string, videoId: string) => join(clipDir, `${assertVideoId(videoId)}.txt`);

export const batchWorkDir = (workDir: string, batchId: string) => join(workDir, assertBatchId(batchId));
export const sourceDir = (workDir: string, batchId: string, videoId: string) =>
  join(batchWorkDir(workDir, batchId), assertVideoId(videoId));

const TEMP_SUFFIX = '.vstream-tmp';
/** In the final file's folder, unique to the attempt, renamed into place when complete. */
export const tempClipPath = (finalPath: string, attemptToken: string) => `${finalPath}.${attemptToken}${TEMP_SUFFIX}`;
export const isTempFileName = (name: string) => name.endsWith(TEMP_SUFFIX);
