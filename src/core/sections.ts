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
  /**
   * Before each clip. ffmpeg's stream copy starts at the keyframe at or before the
   * range's start anyway; this covers B-frame composition offsets.
   */
  marginBeforeSeconds: 0.1,
  /** After each clip: B-frames shown before the end reference frames after it; the fps filter wants the next frame. */
  marginAfterSeconds: 0.5,
  /** Ranges closer than this are fetched as one: a new range costs a request, the index again and a keyframe of lead-in. */
  mergeGapSeconds: 3,
  /** auto downloads sections when the clips cover less than this share of the video. */
  autoCoverage: 0.5,
  /**
   * Sections fetched side by side, one yt-dlp each: servers limit each connection, not
   * their sum (yt-dlp's -N does the same for fragments), and one after the other each
   * section pays its own request, index and lead-in.
   */
  runsAtOnce: 3,
};

/** Time ranges to fetch for the clips (frame indices at the output fps), merged when close. */
export function planSections(
  clips: ClipRange[],
  fps: number,
  durationSeconds: number | null,
  options = SECTION_DEFAULTS,
): SectionRange[] {
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
  // Milliseconds, widened outwards.
  return merged.map((r) => ({
    start: Math.floor(r.start * 1000 + 1e-6) / 1000,
    end: Math.ceil((durationSeconds === null ? r.end : Math.min(r.end, durationSeconds + 1)) * 1000 - 1e-6) / 1000,
  }));
}

/**
 * The clips a downloaded section starts too late for. A server that ignores Range
 * requests makes ffmpeg read from the beginning and start at the first keyframe after
 * the range's start instead of the one before it.
 */
export function clipsStartingBeforeTheirSection(
  sections: Array<SectionRange & { fileStartSeconds: number }>,
  clips: ClipRange[],
  fps: number,
): ClipRange[] {
  // Half a millisecond: WebM stores timestamps in milliseconds.
  return clips.filter((clip) => {
    const section = sectionFor(sections, clip, fps);
    return !section || section.fileStartSeconds > clip.startFrame / fps + 0.0005;
  });
}

/**
 * The yt-dlp runs of a download: the whole video (null) in one run; sections one per run,
 * fetched side by side, unless the user limits the rate (--limit-rate is per run: one run
 * keeps it a limit on the whole download).
 */
export function sectionRuns(sections: SectionRange[] | null, rateLimited: boolean): Array<SectionRange[] | null> {
  if (!sections) return [null];
  return rateLimited ? [sections] : sections.map((section) => [section]);
}

/** Share of the video the sections would fetch; null when the duration is unknown. */
export function sectionCoverage(sections: SectionRange[], durationSeconds: number | null): number | null {
  if (!durationSeconds || durationSeconds <= 0) return null;
  return Math.min(1, sections.reduce((sum, r) => sum + (r.end - r.start), 0) / durationSeconds);
}

/** auto: sections when they cover a small part of a video of known length; else the whole video. */
export function chooseDownloadMode(
  mode: DownloadMode,
  coverage: number | null,
  options = SECTION_DEFAULTS,
): 'full' | 'sections' {
  if (mode !== 'auto') return mode;
  return coverage !== null && coverage < options.autoCoverage ? 'sections' : 'full';
}

/** The planned section a file named for `start` was fetched for (names carry yt-dlp's rounding of the start). */
export function sectionStartingAt<T extends SectionRange>(sections: T[], start: number): T | undefined {
  return sections.find((s) => Math.abs(s.start - start) < 0.0005);
}

/**
 * Share of the source's size to reserve on disk for these sections: their share of
 * the duration plus a tenth for each range's keyframe lead-in and index.
 */
export function sectionsShareOfSource(sections: SectionRange[], durationSeconds: number | null): number {
  const coverage = sectionCoverage(sections, durationSeconds);
  return coverage === null ? 1 : Math.min(1, coverage * 1.1);
}

/** The section (downloaded file) holding a clip, if any. */
export function sectionFor<T extends SectionRange>(sections: T[], clip: ClipRange, fps: number): T | undefined {
  return sections.find((s) => s.start <= clip.startFrame / fps && clip.endFrame / fps <= s.end);
}
