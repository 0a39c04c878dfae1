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
    const { type, size } = boxHeader(head.subarray(at)) as Mp4Box;
    if (size < 8) return { kind: 'unreadable', why: `MP4 box ${JSON.stringify(type)} has no size` };
    if (type === 'moov') {
      const indexEnd = at + size;
      return indexEnd <= fileBytes ? { kind: 'readable', indexEnd } : { kind: 'need-more', bytes: indexEnd };
    }
    if (!BEFORE_INDEX.has(type)) return { kind: 'unreadable', why: `the MP4 index comes after its ${type} box` };
    at += size;
  }
}

/** A top-level MP4 box: its four-letter type and its size in bytes, header included. */
export interface Mp4Box {
  type: string;
  size: number;
}

/** The type and size of the MP4 box whose header starts `head`; null when it is not one. */
export function boxHeader(head: Uint8Array): Mp4Box | null {
  if (head.length < 8) return null;
  const view = new DataView(head.buffer, head.byteOffset);
  const small = view.getUint32(0);
  if (small === 1 && head.length < 16) return null;
  const size = small === 1 ? Number(view.getBigUint64(8)) : small;
  return { type: ascii(head, 4), size };
}

/**
 * Whether the boxes after a finished MP4's index (top level, in order, `bytesAfterIndex`
 * in all) are plain media to the end of the file: then the index read while the file grew
 * described the whole file. Fragments (moof) add frames the index did not list, so what
 * was probed then may be short of the end; boxes that do not reach the end say nothing.
 */
export function indexCoversMedia(boxesAfterIndex: ReadonlyArray<Mp4Box>, bytesAfterIndex: number): boolean {
  const types = boxesAfterIndex.map((b) => b.type);
  const covered = boxesAfterIndex.reduce((sum, b) => sum + b.size, 0);
  return (
    covered === bytesAfterIndex &&
    types.includes('mdat') &&
    types.every((t) => ['mdat', 'free', 'skip', 'wide', 'udta'].includes(t))
  );
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
