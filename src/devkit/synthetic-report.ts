// Synthetic report videos for the report.html bench and browser test: the shapes a real
// batch records, cheaply, in any number.
import type { VideoResult, VideoStatus } from '../core/types.js';

const STATUSES: VideoStatus[] = ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'partial', 'skipped', 'failed'];
/** The first synthetic video finishes a minute after this; one more every 3 s. */
export const SYNTHETIC_START = Date.parse('2026-01-01T00:00:00Z');

/** The i-th video of a synthetic batch: mostly succeeded (5 clips), some partial, skipped and failed. */
export function syntheticVideo(i: number): VideoResult {
  const videoId = `v${String(i).padStart(10, '0')}`;
  const status = STATUSES[i % STATUSES.length] as VideoStatus;
  const failed = status === 'failed';
  const clips = failed || status === 'skipped' ? [] : Array.from({ length: 5 }, (_, c) => c * 1800);
  const downloadSeconds = 5 + (i % 97);
  return {
    videoId,
    line: i + 1,
    url: `https://www.youtube.com/watch?v=${videoId}`,
    status,
    reason: failed ? 'ERROR: [youtube] x: Video unavailable. This video has been removed by the uploader' : null,
    errorType: failed ? (i % 2 ? 'VideoUnavailable' : 'RateLimited') : null,
    clipErrors: [],
    clips: clips.map((start) => ({
      file: `${videoId}_${String(start).padStart(7, '0')}_${String(start + 1800).padStart(7, '0')}.hevc`,
      startFrame: start,
      endFrame: start + 1800,
      frames: 1800,
      bytes: 30_000_000,
      encoder: 'hevc_nvenc gpu 0',
    })),
    timings: {
      ...(failed ? {} : { startedAt: new Date(SYNTHETIC_START + i * 3000).toISOString(), downloadSeconds }),
      ...(clips.length > 0 ? { encodeSeconds: 20 + (i % 211) } : {}),
      finishedAt: new Date(SYNTHETIC_START + i * 3000 + 60_000).toISOString(),
    },
  };
}
