import type { ClipSpec, LineError } from './types.js';
import { clipText } from './url-list.js';

/** Output names carry 7-digit frame indices. */
export const MAX_FRAME_INDEX = 9_999_999;
const CLIP_LINE = /^(\S+)\s+(\S+)$/;
const INTEGER = /^\d+$/;

export interface ParsedClipFile {
  clips: ClipSpec[];
  errors: LineError[];
}

/**
 * Parses `<start> <end>` lines: frame indices at the output fps, end exclusive,
 * zero-padded or not. Blank lines and `#` comments are ignored; every other bad
 * line is reported with its number and reason and the rest are still used.
 */
export function parseClipFile(text: string): ParsedClipFile {
  const clips: ClipSpec[] = [];
  const errors: LineError[] = [];
  const firstLineOfRange = new Map<string, number>();

  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.replace(/\r$/, '').trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fail = (reason: string) => errors.push({ line, text: clipText(trimmed), reason });

    const match = CLIP_LINE.exec(trimmed);
    if (!match) return fail("expected two integers '<start> <end>'");
    const [, startText = '', endText = ''] = match;
    if (!INTEGER.test(startText) || !INTEGER.test(endText)) {
      return fail("expected two non-negative integers '<start> <end>'");
    }
    const startFrame = Number(startText);
    const endFrame = Number(endText);
    if (endFrame > MAX_FRAME_INDEX)
      return fail(`end ${endFrame} is above ${MAX_FRAME_INDEX}, the largest 7-digit frame index`);
    if (endFrame <= startFrame) return fail(`end (${endFrame}) must be greater than start (${startFrame})`);

    const key = `${startFrame}-${endFrame}`;
    const earlier = firstLineOfRange.get(key);
    if (earlier !== undefined) return fail(`same clip as line ${earlier}`);
    firstLineOfRange.set(key, line);
    clips.push({ line, startFrame, endFrame });
  });
  return { clips, errors };
}

export function pad7(frame: number): string {
  return String(frame).padStart(7, '0');
}

/** `<videoId>_<start:07d>_<end:07d>.hevc` */
export function clipFileName(videoId: string, clip: Pick<ClipSpec, 'startFrame' | 'endFrame'>): string {
  return `${videoId}_${pad7(clip.startFrame)}_${pad7(clip.endFrame)}.hevc`;
}
