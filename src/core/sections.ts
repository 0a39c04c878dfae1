// Downloading only what the clips need (--download-mode). Pure.
import type { ClipSpec } from './types.js';

type ClipRange = Pick<ClipSpec, 'startFrame' | 'endFrame'>;

export type DownloadMode = 'full' | 'sections' | 'auto';
export const DOWNLOAD_MODES: readonly DownloadMode[] = ['full', 'sections', 'auto'];

export interface SectionRange {
  /** Seconds of the source. yt-dlp's ffmpeg starts at the keyframe at or before it. */
  start: number;
  end: number;
}

export const SECTION_DEFAULTS = {
  /** Before each clip: ffmpeg's stream copy snaps back to a keyframe anyway; this guards rounding. */
  marginBeforeSeconds: 0.5,
  /** After each clip: the rate conversion may want the next source frame. */
  marginAfterSeconds: 1,
  /** Ranges closer than this are fetched as one: a new range costs a request and a keyframe of lead-in. */
  mergeGapSeconds: 10,
  /** auto downloads sections when the clips cover less than this share of the video. */
  autoCoverage: 0.5,
};

/** Time ranges to fetch for the clips (frame indices at the output fps), merged when close. */
export function planSections(clips: ClipRange[], fps: number, durationSeconds: number | null, options = SECTION_DEFAULTS): SectionRange[] {
  const ranges = [...clips]
    .sort((a, b) => a.startFrame - b.startFrame)
    .map((c) => ({
      start: Math.max(0, c.startFrame / fps - options.marginBeforeSeconds),
      end: c.endFrame / fps + options.marginAfterSeconds,
    }));
  const merged: SectionRange[] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range.start - last.end <= options.mergeGapSeconds) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged.map((r) => ({ start: round3(r.start), end: round3(durationSeconds === null ? r.end : Math.min(r.end, durationSeconds + 1)) }));
}

const round3 = (seconds: number) => Math.round(seconds * 1000) / 1000;

/** Share of the video the sections would fetch; null when the duration is unknown. */
export function sectionCoverage(sections: SectionRange[], durationSeconds: number | null): number | null {
  if (!durationSeconds || durationSeconds <= 0) return null;
  return Math.min(1, sections.reduce((sum, r) => sum + (r.end - r.start), 0) / durationSeconds);
}

/** auto: sections when they cover a small part of a video of known length; else the whole video. */
export function chooseDownloadMode(mode: DownloadMode, coverage: number | null, options = SECTION_DEFAULTS): 'full' | 'sections' {
  if (mode !== 'auto') return mode;
  return coverage !== null && coverage < options.autoCoverage ? 'sections' : 'full';
}

/** The section (downloaded file) holding a clip, if any. */
export function sectionFor<T extends SectionRange>(sections: T[], clip: ClipRange, fps: number): T | undefined {
  return sections.find((s) => s.start <= clip.startFrame / fps && clip.endFrame / fps <= s.end);
}
