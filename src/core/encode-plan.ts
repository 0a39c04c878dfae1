// How a video's clips are encoded: one decode pass feeding several clips, or one
// process per clip. Pure: the encode activity runs what it returns.
import { sectionFor } from './sections.js';
import type { ClipSpec, EncoderKind, SourceInfo } from './types.js';

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
    const fits =
      current.length > 0 &&
      current.length < options.maxClipsPerPass &&
      clip.startFrame - currentEnd <= options.mergeGapFrames;
    if (!fits) {
      if (current.length > 0) passes.push(current);
      current = [];
      currentEnd = -Infinity;
    }
    current.push(clip);
    currentEnd = Math.max(currentEnd, clip.endFrame);
  }
  if (current.length > 0) passes.push(current);
  const mode: PlanMode =
    passes.length === 1 && clips.length > 1 ? 'one-pass' : passes.every((p) => p.length === 1) ? 'per-clip' : 'mixed';
  return { passes, mode };
}

/** One ffmpeg process: the clips it writes and the file it reads them from. */
export interface EncodePass {
  clips: ClipSpec[];
  /** The whole source, or the section that holds these clips. */
  path: string;
  /** The file's first timestamp in source seconds (0 for a whole source). */
  fileStartSeconds: number;
}

export interface SourcePlan {
  passes: EncodePass[];
  /** Clips the source cannot give, with the reason, in clip order: past its end first, then outside its sections. */
  refused: Array<{ clip: ClipSpec; reason: string }>;
}

/**
 * The passes that make `clips` from a downloaded source: clips past the source's end or
 * outside its sections are refused; the rest are grouped by the file that holds them
 * (the whole source, or the section fetched for them), then planned per file.
 */
export function planSourcePasses(clips: ClipSpec[], source: SourceInfo, fps: number, options: PlanOptions): SourcePlan {
  const refused: SourcePlan['refused'] = [];
  const inside = clips.filter((clip) => {
    const endSeconds = clip.endFrame / fps;
    // Half an output frame of tolerance for container duration rounding.
    if (source.durationSeconds === null || endSeconds <= source.durationSeconds + 0.5 / fps) return true;
    const lasts = source.durationSeconds.toFixed(3);
    const reason = `clip ends at ${endSeconds.toFixed(3)} s but the source lasts ${lasts} s`;
    refused.push({ clip, reason });
    return false;
  });
  const holders = new Map<string, EncodePass>();
  for (const clip of inside) {
    const whole = { path: source.path, fileStartSeconds: 0 };
    const holder = source.sections ? sectionFor(source.sections, clip, fps) : whole;
    if (!holder) {
      refused.push({ clip, reason: 'the clip is outside the downloaded sections' });
      continue;
    }
    const { path, fileStartSeconds } = holder;
    const group = holders.get(path) ?? { path, fileStartSeconds, clips: [] };
    group.clips.push(clip);
    holders.set(path, group);
  }
  const passes = [...holders.values()].flatMap(({ clips: held, path, fileStartSeconds }) =>
    planEncodes(held, options).passes.map((passClips) => ({ clips: passClips, path, fileStartSeconds })),
  );
  return { passes, refused };
}
