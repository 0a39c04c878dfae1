// Rechecks the clip files of videos an earlier run finished: the batch's page reads
// (readVideoPage) mark them stale, and `vstream run` counts them to decide whether a
// finished batch has anything left to do.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import * as layout from '../core/layout.js';
import { clipFileChange, dependsOnClipFile, type ClipFileChange } from '../core/recheck.js';
import type { VideoEntry, VideoResult, VideoStatus } from '../core/types.js';
import { readJsonIfExists } from './fs.js';

/** The clip file's text; null when it is missing or unreadable (verifyClip reports why, if the video runs). */
async function readClipFileText(path: string): Promise<string | null> {
  return readFile(path, 'utf8').catch(() => null);
}

/** Whether a video recorded with `status` has a clip file that appeared or changed since. */
export async function recheckClipFile(
  dirs: { clipDir: string; outDir: string },
  videoId: string,
  status: VideoStatus,
): Promise<ClipFileChange | null> {
  if (!dependsOnClipFile(status)) return null;
  const text = await readClipFileText(layout.clipListPath(dirs.clipDir, videoId));
  if (text === null) return null;
  // Read as a plain record: only the hash matters here (activities/finish.ts writes it).
  const manifest =
    status === 'skipped'
      ? undefined
      : await readJsonIfExists<{ clipFileSha256?: string }>(layout.manifestPath(dirs.outDir, videoId)).catch(
          () => undefined,
        );
  return clipFileChange(status, text, manifest?.clipFileSha256 ?? null);
}

export interface BatchRecheck {
  /** Clip files looked at: of the videos whose recorded result depends on one. */
  checked: number;
  /** Videos whose clip file appeared or changed, in list order. */
  stale: Array<{ videoId: string; change: ClipFileChange }>;
}

/** Rechecks every recorded video of a batch's snapshot, streaming the list. */
export async function recheckBatch(dirs: { clipDir: string; outDir: string }, batchId: string): Promise<BatchRecheck> {
  const found: BatchRecheck = { checked: 0, stale: [] };
  const videos = layout.snapshotPaths(dirs.outDir, batchId).videos;
  for await (const line of createInterface({ input: createReadStream(videos), crlfDelay: Infinity })) {
    if (line === '') continue;
    const { videoId } = JSON.parse(line) as VideoEntry;
    const recorded = await readJsonIfExists<VideoResult>(layout.resultPath(dirs.outDir, batchId, videoId));
    if (!recorded || !dependsOnClipFile(recorded.status)) continue;
    found.checked++;
    const change = await recheckClipFile(dirs, videoId, recorded.status);
    if (change) found.stale.push({ videoId, change });
  }
  return found;
}
