// Whether a video an earlier run finished must be run again because its clip file
// appeared or changed since. Pure: the I/O is in src/tools/clip-recheck.ts.
import { parseClipFile } from './clip-file.js';
import { sha256Hex } from './hashing.js';
import type { VideoStatus } from './types.js';

/** appeared: a skipped video now has a clip file with usable lines; changed: not the file its clips were made from. */
export type ClipFileChange = 'appeared' | 'changed';

/** Only these results depend on the clip file; failed ones wait for --retry-failed, cancelled ones run anyway. */
export function dependsOnClipFile(status: VideoStatus): boolean {
  return status === 'skipped' || status === 'succeeded' || status === 'partial';
}

/**
 * `clipFileText` is the clip file now (null: there is none); `manifestSha256` the hash of
 * the clip file the video's clips were made from (its manifest), null without a manifest.
 * A clip file that vanished changes nothing: the clips made from it stay as recorded.
 */
export function clipFileChange(
  status: VideoStatus,
  clipFileText: string | null,
  manifestSha256: string | null,
): ClipFileChange | null {
  if (clipFileText === null || !dependsOnClipFile(status)) return null;
  // The same test verifyClip skips a video by: no usable line.
  if (status === 'skipped') return parseClipFile(clipFileText).clips.length > 0 ? 'appeared' : null;
  return manifestSha256 !== null && manifestSha256 !== sha256Hex(clipFileText) ? 'changed' : null;
}
