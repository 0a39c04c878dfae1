// Encoding while the source still downloads: which files ffmpeg can read as they grow,
// and which passes may start before the download ends. Pure: the download and encode
// activities act on what these return.

/**
 * How far an MP4 head shows whether the file can be read as it grows. Its index (moov)
 * before the media (faststart MP4, and fragmented MP4 as YouTube's DASH formats are)
 * can: once the index is on disk, each frame is where the index says, and ffmpeg waits
 * for bytes not yet written. The index after the media cannot: nothing is readable
 * before the download ends.
 */
export type GrowingLayout =
  { kind: 'readable'; indexEnd: number } | { kind: 'unreadable'; why: string } | { kind: 'need-more'; bytes: number };

const ascii = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));

/** Box types an MP4 may hold before its index. */
const BEFORE_INDEX = new Set(['ftyp', 'styp', 'free', 'skip', 'wide', 'uuid', 'pdin', 'sidx']);

/** Reads top-level MP4 boxes from the head of a file of `fileBytes` bytes so far. */
export function growingLayout(head: Uint8Array, fileBytes: number): GrowingLayout {
  if (head.length >= 8 && ascii(head, 4) !== 'ftyp') return { kind: 'unreadable', why: 'not an MP4 file' };
  let at = 0;
  for (;;) {
    if (at + 16 > head.length) return { kind: 'need-more', bytes: at + 16 };
    const view = new DataView(head.buffer, head.byteOffset + at);
    const small = view.getUint32(0);
    const type = ascii(head, at + 4);
    const size = small === 1 ? Number(view.getBigUint64(8)) : small;
    if (size < 8) return { kind: 'unreadable', why: `MP4 box ${JSON.stringify(type)} has no size` };
    if (type === 'moov') {
      const indexEnd = at + size;
      return indexEnd <= fileBytes ? { kind: 'readable', indexEnd } : { kind: 'need-more', bytes: indexEnd };
    }
    if (!BEFORE_INDEX.has(type)) return { kind: 'unreadable', why: `the MP4 index comes after its ${type} box` };
    at += size;
  }
}

/**
 * Whether a pass may read the source while it still grows: ffmpeg stops it when its
 * clips have their frames, which needs frames up to `marginSeconds` past the last clip,
 * so a pass ending that close to the end of the source would wait for an end of file
 * that a growing file never shows. Such a pass waits for the download instead.
 */
export function passMayReadGrowing(
  clips: ReadonlyArray<{ endFrame: number }>,
  fps: number,
  durationSeconds: number | null,
  marginSeconds: number,
): boolean {
  if (durationSeconds === null || clips.length === 0) return false;
  const lastEnd = Math.max(...clips.map((c) => c.endFrame)) / fps;
  return lastEnd + marginSeconds <= durationSeconds;
}

/** Seconds until a download ends at its current speed; null while its size or speed is unknown. */
export function downloadSecondsLeft(
  progress: { downloadedBytes: number; totalBytes: number | null; speedBytesPerSecond?: number } | null,
): number | null {
  if (!progress?.totalBytes || !progress.speedBytesPerSecond) return null;
  return Math.max(0, progress.totalBytes - progress.downloadedBytes) / progress.speedBytesPerSecond;
}
