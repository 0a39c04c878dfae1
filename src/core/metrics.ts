// vstream's own Prometheus metrics: one list of names, kinds, units, descriptions and
// labels. Recorded through the Temporal SDK's metric meter (src/tools/metrics.ts for
// activities and the worker, src/workflows/backoff.ts for the batch's pauses), served
// with the SDK's runtime metrics on --metrics-port. Every series also has a `host`
// label: the runtime's global tag (src/worker/runtime.ts).
import type { MetricCounter, MetricGauge, MetricHistogram, MetricMeter } from '@temporalio/common';

export type MetricKind = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition {
  /** The name given to the meter; the endpoint shows exportedName(). */
  name: string;
  kind: MetricKind;
  /** Empty when the value is a plain count. */
  unit: string;
  description: string;
  /** Labels besides `host`. */
  labels: readonly string[];
}

export const METRICS = {
  videos: {
    name: 'vstream_videos',
    kind: 'counter',
    unit: '',
    description: 'Videos whose result was recorded, by status and error type (none when it succeeded)',
    labels: ['status', 'error_type'],
  },
  clipsWritten: {
    name: 'vstream_clips_written',
    kind: 'counter',
    unit: '',
    description: 'Clips encoded, checked and renamed into place',
    labels: ['encoder', 'device'],
  },
  downloadBytes: {
    name: 'vstream_download_bytes',
    kind: 'counter',
    unit: 'bytes',
    description: 'Bytes of the sources downloaded',
    labels: [],
  },
  downloadSeconds: {
    name: 'vstream_download_seconds',
    kind: 'histogram',
    unit: 's',
    description: 'Time of each successful download, metadata included',
    labels: [],
  },
  encodeSeconds: {
    name: 'vstream_encode_seconds',
    kind: 'histogram',
    unit: 's',
    description: 'Time of each successful ffmpeg encode pass',
    labels: ['encoder', 'device'],
  },
  encodeFrames: {
    name: 'vstream_encode_frames',
    kind: 'counter',
    unit: '',
    description: 'Frames written by successful encode passes',
    labels: ['encoder', 'device'],
  },
  backoffPauses: {
    name: 'vstream_backoff_pauses',
    kind: 'counter',
    unit: '',
    description: "Batch-wide download pauses (rate limit or bot check), counted by the batch's workflow worker",
    labels: ['error_type'],
  },
  downloadsPausedSince: {
    name: 'vstream_downloads_paused_since',
    kind: 'gauge',
    unit: 's',
    description: 'Unix time the latest download pause began (0: none since start-up)',
    labels: [],
  },
  downloadsPausedUntil: {
    name: 'vstream_downloads_paused_until',
    kind: 'gauge',
    unit: 's',
    description: 'Unix time the latest download pause ends: downloads are paused while it is in the future',
    labels: [],
  },
  tempDiskBytes: {
    name: 'vstream_temp_disk_bytes',
    kind: 'gauge',
    unit: 'bytes',
    description: "Bytes of sources in this host's work dirs",
    labels: [],
  },
  nvencSessions: {
    name: 'vstream_nvenc_sessions_in_use',
    kind: 'gauge',
    unit: '',
    description: 'NVENC sessions held by running encodes, per GPU',
    labels: ['device'],
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

export type Instruments = {
  [K in MetricKey]: (typeof METRICS)[K]['kind'] extends 'counter'
    ? MetricCounter
    : (typeof METRICS)[K]['kind'] extends 'gauge'
      ? MetricGauge
      : MetricHistogram;
};

/** The meter's instrument for each definition (the meter is the SDK's: runtime, activity or workflow). */
export function createInstruments(meter: MetricMeter): Instruments {
  const make = (m: MetricDefinition) => {
    if (m.kind === 'counter') return meter.createCounter(m.name, m.unit, m.description);
    if (m.kind === 'gauge') return meter.createGauge(m.name, 'float', m.unit, m.description);
    return meter.createHistogram(m.name, 'float', m.unit, m.description);
  };
  return Object.fromEntries(Object.entries(METRICS).map(([key, m]) => [key, make(m)])) as Instruments;
}

/** The runtime exports counters with Prometheus's `_total` suffix (src/worker/runtime.ts); no unit suffixes. */
export const COUNTERS_TOTAL_SUFFIX = true;

/** The name a scrape shows: counters get `_total`; histograms add `_bucket`, `_sum`, `_count` to it. */
export function exportedName(definition: MetricDefinition): string {
  return definition.kind === 'counter' && COUNTERS_TOTAL_SUFFIX ? `${definition.name}_total` : definition.name;
}

/** Buckets of the seconds histograms (the SDK's default buckets suit milliseconds). */
export const SECONDS_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** The histogram bucket overrides for the runtime's Prometheus exporter. */
export function histogramBuckets(): Record<string, number[]> {
  return Object.fromEntries(
    Object.values(METRICS as Record<string, MetricDefinition>)
      .filter((m) => m.kind === 'histogram' && m.unit === 's')
      .map((m) => [m.name, SECONDS_BUCKETS]),
  );
}

/** The `encoder` and `device` labels of an encode: hevc_nvenc on gpu-N, libx265 on cpu. */
export function encoderLabels(encoder: { kind: 'x265' } | { kind: 'nvenc'; deviceId: number }): {
  encoder: string;
  device: string;
} {
  return encoder.kind === 'nvenc'
    ? { encoder: 'hevc_nvenc', device: `gpu-${encoder.deviceId}` }
    : { encoder: 'libx265', device: 'cpu' };
}

/** The error_type label: `none` for a video without an error. */
export function errorTypeLabel(errorType: string | null | undefined): string {
  return errorType || 'none';
}

/**
 * Metric names a PromQL expression reads: identifiers not followed by `(` (functions),
 * outside `{...}` label matchers and `[...]` ranges, and not PromQL keywords.
 */
export function metricNamesInExpr(expr: string): string[] {
  const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool']);
  for (const operator of ['and', 'or', 'unless']) keywords.add(operator);
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    // Numbers and durations (1e3, 5m): no name starts with a digit.
    .replace(/(?<![A-Za-z0-9_:])\d[\w.]*/g, ' ')
    // by (host, device) and the like: label lists, not metrics.
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (!name || call || keywords.has(name)) continue;
    // Grafana's $__rate_interval and the like are stripped with their brackets; a bare variable is no metric.
    if (expr[(match.index ?? 0) - 1] === '$') continue;
    names.add(name);
  }
  return [...names].sort();
}

/** Series names (comment lines skipped) of a Prometheus text exposition, with histogram parts as given. */
export function seriesNamesInScrape(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)/.exec(line);
    if (match?.[1]) names.add(match[1]);
  }
  return names;
}

/** A series' value in a scrape: the sum over the series of `name` whose labels include `labels`. */
export function scrapedValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[3] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) total += Number(match[4]);
  }
  return total;
}
