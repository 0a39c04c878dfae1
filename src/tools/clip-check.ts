import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { HevcScanner, type HevcSummary } from '../core/hevc-stream.js';
import type { ClipOutput, ClipSpec, EncodeSettings } from '../core/types.js';
import { isNotFound } from './fs.js';

/** A raw HEVC file's frames and picture size, read in-process; null when it holds none. */
export async function scanHevcFile(path: string): Promise<HevcSummary | null> {
  const scanner = new HevcScanner();
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) scanner.push(chunk as Buffer);
  return scanner.end();
}

/** A clip file checked against what was asked: its frame count and size, or why it is not usable. */
export type ClipFileCheck = { ok: true; frames: number; bytes: number } | { ok: false; reason: string };

/**
 * A clip file is trusted when it has exactly the frames and picture size asked for
 * (the one check, for clips found on disk and for clips just encoded); null when absent.
 */
export async function checkClipFile(
  path: string,
  want: { frames: number; width: number; height: number },
): Promise<ClipFileCheck | null> {
  let bytes: number;
  try {
    bytes = (await stat(path)).size;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
  const probe = await scanHevcFile(path);
  if (!probe) return { ok: false, reason: 'encoded file is unreadable' };
  if (probe.frames !== want.frames || probe.width !== want.width || probe.height !== want.height) {
    const got = `${probe.frames} of ${want.frames} frames at ${probe.width}x${probe.height}`;
    return { ok: false, reason: `encoded ${got}: the source ends before the clip does` };
  }
  return { ok: true, frames: want.frames, bytes };
}

/** A final clip file with exactly the frames and size asked for; null when absent or not so. */
export async function validClipOutput(
  path: string,
  clip: ClipSpec,
  settings: EncodeSettings,
): Promise<ClipOutput | null> {
  const frames = clip.endFrame - clip.startFrame;
  const check = await checkClipFile(path, { frames, width: settings.width, height: settings.height });
  if (!check?.ok) return null;
  return { file: basename(path), startFrame: clip.startFrame, endFrame: clip.endFrame, frames, bytes: check.bytes };
}
