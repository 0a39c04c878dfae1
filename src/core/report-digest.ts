// What report.html charts, summarised while the videos stream past: histograms and
// time buckets are binned here, so the page holds a few dozen numbers per chart, not
// one point per video.
import type { VideoResult } from './types.js';

export interface Histogram {
  /** One label per bin, e.g. "10–20 s". */
  labels: string[];
  counts: number[];
  /** Videos counted (those with this timing). */
  total: number;
}

export interface Throughput {
  /** The bucket width in seconds. */
  bucketSeconds: number;
  /** Each bucket's start, UTC. */
  labels: string[];
  videos: number[];
  clips: number[];
}

export interface DigestCharts {
  download: Histogram;
  encode: Histogram;
  throughput: Throughput;
  /** Clips per encoder (as each clip records it). */
  encoders: Record<string, number>;
}

const MAX_BINS = 24;
const MAX_BUCKETS = 60;
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** The smallest 1, 2 or 5 times a power of ten that is at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9));
  return step ?? 10 * power;
}

/** Equal-width bins from 0 to the largest value, at most MAX_BINS of them. */
export function histogram(values: ArrayLike<number>, unit = 's'): Histogram {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i] as number);
  if (values.length === 0) return { labels: [], counts: [], total: 0 };
  const width = niceStep(max / MAX_BINS);
  // The last bin includes its upper bound (the largest value).
  const bins = Math.max(1, Math.ceil(max / width));
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const bin = Math.min(bins - 1, Math.floor((values[i] as number) / width));
    counts[bin] = (counts[bin] as number) + 1;
  }
  const round = (n: number) => Number(n.toPrecision(6));
  const labels = counts.map((_, i) => `${round(i * width)}–${round((i + 1) * width)} ${unit}`);
  return { labels, counts, total: values.length };
}

/** Finished videos and clips per time bucket, at most MAX_BUCKETS buckets between the first and last finish. */
export function throughput(finishes: ArrayLike<number>, clips: ArrayLike<number>): Throughput {
  if (finishes.length === 0) return { bucketSeconds: 0, labels: [], videos: [], clips: [] };
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < finishes.length; i++) {
    first = Math.min(first, finishes[i] as number);
    last = Math.max(last, finishes[i] as number);
  }
  const span = (last - first) / 1000;
  const bucketSeconds = TIME_STEPS.find((s) => span / s < MAX_BUCKETS) ?? niceStep(span / MAX_BUCKETS);
  const bucketMs = bucketSeconds * 1000;
  const origin = Math.floor(first / bucketMs) * bucketMs;
  const count = Math.floor((last - origin) / bucketMs) + 1;
  const videos = new Array<number>(count).fill(0);
  const clipCounts = new Array<number>(count).fill(0);
  for (let i = 0; i < finishes.length; i++) {
    const bucket = Math.floor(((finishes[i] as number) - origin) / bucketMs);
    videos[bucket] = (videos[bucket] as number) + 1;
    clipCounts[bucket] = (clipCounts[bucket] as number) + (clips[i] as number);
  }
  // Within a day the time of day says enough; longer batches need the date too.
  const label = (ms: number) => {
    const iso = new Date(ms).toISOString();
    return span < 86400 ? iso.slice(11, 19) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  };
  const labels = videos.map((_, i) => label(origin + i * bucketMs));
  return { bucketSeconds, labels, videos, clips: clipCounts };
}

/** Collects, one video at a time, the numbers the charts need: two numbers per timed video, no rows. */
export class ReportDigest {
  private readonly downloads: number[] = [];
  private readonly encodes: number[] = [];
  private readonly finishes: number[] = [];
  private readonly finishedClips: number[] = [];
  private readonly encoders: Record<string, number> = {};

  add(video: Pick<VideoResult, 'clips' | 'timings'>): void {
    const timings = video.timings;
    if (timings?.downloadSeconds !== undefined) this.downloads.push(timings.downloadSeconds);
    if (timings?.encodeSeconds !== undefined) this.encodes.push(timings.encodeSeconds);
    const finished = timings?.finishedAt ? Date.parse(timings.finishedAt) : NaN;
    if (Number.isFinite(finished)) {
      this.finishes.push(finished);
      this.finishedClips.push(video.clips.length);
    }
    for (const clip of video.clips) {
      const encoder = clip.encoder ?? 'not recorded';
      this.encoders[encoder] = (this.encoders[encoder] ?? 0) + 1;
    }
  }

  charts(): DigestCharts {
    return {
      download: histogram(this.downloads),
      encode: histogram(this.encodes),
      throughput: throughput(this.finishes, this.finishedClips),
      encoders: { ...this.encoders },
    };
  }
}
