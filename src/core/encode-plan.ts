// How a video's clips are encoded: one decode pass feeding several clips, or one
// process per clip. Pure: the encode activity runs what it returns.
import type { ClipSpec, EncoderKind } from './types.js';

export interface PlanOptions {
  /**
   * A gap between clips (in output frames) below which decoding through it costs less
   * than starting another process and seeking: the clips share a pass.
   */
  mergeGapFrames: number;
  /** Clips one pass may write at once (NVENC: the device's session budget). */
  maxClipsPerPass: number;
}

export type PlanMode = 'per-clip' | 'one-pass' | 'mixed';

export interface EncodePlan {
  passes: ClipSpec[][];
  mode: PlanMode;
}

/** Planner defaults per encoder: NVDEC decodes fast and a CUDA process is slow to start. */
export const PLAN_DEFAULTS: Record<EncoderKind, PlanOptions> = {
  x265: { mergeGapFrames: 60, maxClipsPerPass: 8 },
  nvenc: { mergeGapFrames: 300, maxClipsPerPass: 2 },
};

/**
 * Groups clips in start order: a clip joins the current pass when it overlaps it or
 * starts within `mergeGapFrames` of its end, and the pass has room; otherwise it
 * starts a new pass. Dense and overlapping clips share one decode; sparse ones are
 * cut by processes of their own.
 */
export function planEncodes(clips: ClipSpec[], options: PlanOptions): EncodePlan {
  const ordered = [...clips].sort((a, b) => a.startFrame - b.startFrame || a.endFrame - b.endFrame);
  const passes: ClipSpec[][] = [];
  let current: ClipSpec[] = [];
  let currentEnd = -Infinity;
  for (const clip of ordered) {
    const fits = current.length > 0 && current.length < options.maxClipsPerPass && clip.startFrame - currentEnd <= options.mergeGapFrames;
    if (!fits) {
      if (current.length > 0) passes.push(current);
      current = [];
      currentEnd = -Infinity;
    }
    current.push(clip);
    currentEnd = Math.max(currentEnd, clip.endFrame);
  }
  if (current.length > 0) passes.push(current);
  const mode: PlanMode = passes.length === 1 && clips.length > 1 ? 'one-pass' : passes.every((p) => p.length === 1) ? 'per-clip' : 'mixed';
  return { passes, mode };
}
