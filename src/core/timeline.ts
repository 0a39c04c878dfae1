// Where a run's time goes, from the events of its log file (src/core/log-events.ts):
// each video's stages (verify, download, encode passes, checks, recording) and the
// gaps between them (workflow round trips), the start-up before the first video, and
// the cores left idle (from CPU samples taken while it ran).

export interface TimedEvent {
  /** Epoch milliseconds (pino's `time`). */
  time: number;
  event?: string;
  videoId?: string | null;
  msg?: string;
  seconds?: number;
}

/** Stages in the order a video meets them; each runs from the end of the previous one. */
export const STAGES = [
  'waiting', // from the previous video's end (or the batch's start) to its verification
  'verify', // verify.start -> video.verified: clip file read, outputs checked
  'toDownload', // verified -> download starts (workflow round trip, staggered start)
  'download',
  'waitEncoder', // downloaded ahead, waiting for an encoder of its host (encoder.waited)
  'toEncode', // download ended (or its wait) -> first pass starts (probe, planning, round trip)
  'encode', // every pass, start to end
  'checks', // last pass ended -> last clip written (output checks, renames)
  'record', // last clip written -> result recorded
] as const;
export type Stage = (typeof STAGES)[number];

export interface VideoTimeline {
  videoId: string;
  start: number;
  end: number;
  stages: Record<Stage, number>;
}

export interface CpuSample {
  /** Epoch milliseconds. */
  time: number;
  /** Busy share of all cores since the previous sample, 0..1. */
  busy: number;
}

export interface RunTimeline {
  /** Process start -> the first video's first event. */
  startupSeconds: number;
  /** The last video's end -> process exit. */
  shutdownSeconds: number;
  wallSeconds: number;
  videos: VideoTimeline[];
  /** Summed over videos, seconds. */
  totals: Record<Stage, number>;
  /** Workflow round trips per video, median: to download, to encode and record (no wait for an encoder). */
  roundTripsPerVideo: number;
  /** Core-seconds left idle while the run lasted (null without samples). */
  idleCoreSeconds: number | null;
  /** Busy share of the cores per bucket of `bucketSeconds`. */
  cpuBuckets: number[];
  bucketSeconds: number;
}

function zeroStages(): Record<Stage, number> {
  return Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
}

const BATCH_ATTACHED = 'batch attached';

/** A video's stages from its events (ms times), `previousEnd` being where its wait began. */
export function videoTimeline(videoId: string, events: TimedEvent[], previousEnd: number): VideoTimeline | null {
  const at = (name: string) => events.find((e) => e.event === name)?.time;
  const last = (name: string) => events.filter((e) => e.event === name).at(-1)?.time;
  const verified = at('video.verified') ?? at('video.skipped');
  const finished = at('video.finished');
  if (verified === undefined || finished === undefined) return null;
  const firstEvent = Math.min(...events.map((e) => e.time));
  const stages = zeroStages();
  stages.waiting = Math.max(0, firstEvent - previousEnd) / 1000;
  // verify.start is a video's first event (logs older than it: verify is 0, its time in waiting).
  stages.verify = Math.max(0, verified - firstEvent) / 1000;
  const downloadStart = at('download.start');
  const downloadEnd = last('download.end');
  const encodeStart = at('encode.start');
  const encodeEnd = last('encode.end');
  const lastClip = last('clip.written');
  let cursor = verified;
  const span = (stage: Stage, until: number | undefined) => {
    if (until === undefined || until < cursor) return;
    stages[stage] += (until - cursor) / 1000;
    cursor = until;
  };
  span('toDownload', downloadStart);
  span('download', downloadEnd);
  span('waitEncoder', last('encoder.waited'));
  span('toEncode', encodeStart);
  span('encode', encodeEnd);
  span('checks', lastClip);
  span('record', finished);
  return { videoId, start: firstEvent, end: finished, stages };
}

/** CPU samples bucketed into busy shares of `bucketSeconds` each, from `start`. */
export function bucketCpu(samples: CpuSample[], start: number, end: number, bucketSeconds: number): number[] {
  const count = Math.max(1, Math.ceil((end - start) / 1000 / bucketSeconds));
  const sums = new Array<number>(count).fill(0);
  const counts = new Array<number>(count).fill(0);
  for (const s of samples) {
    const i = Math.floor((s.time - start) / 1000 / bucketSeconds);
    if (i < 0 || i >= count) continue;
    sums[i] = (sums[i] as number) + s.busy;
    counts[i] = (counts[i] as number) + 1;
  }
  return sums.map((sum, i) => (counts[i] ? sum / (counts[i] as number) : 0));
}

export function buildRunTimeline(input: {
  events: TimedEvent[];
  processStart: number;
  processEnd: number;
  cpu?: CpuSample[];
  cores: number;
  bucketSeconds?: number;
}): RunTimeline {
  const { events, processStart, processEnd, cores } = input;
  const bucketSeconds = input.bucketSeconds ?? 5;
  const byVideo = new Map<string, TimedEvent[]>();
  for (const e of events) {
    if (!e.event || !e.videoId) continue;
    byVideo.set(e.videoId, [...(byVideo.get(e.videoId) ?? []), e]);
  }
  const attached = events.find((e) => e.msg === BATCH_ATTACHED)?.time ?? processStart;
  const ordered = [...byVideo.entries()].sort(
    ([, a], [, b]) => Math.min(...a.map((e) => e.time)) - Math.min(...b.map((e) => e.time)),
  );
  const videos: VideoTimeline[] = [];
  // Ends of the videos in flight: a video waits from the earliest free slot.
  for (const [videoId, list] of ordered) {
    const start = Math.min(...list.map((e) => e.time));
    const freed = videos.filter((v) => v.end <= start).map((v) => v.end);
    const previousEnd = Math.max(attached, ...freed);
    const timeline = videoTimeline(videoId, list, previousEnd);
    if (timeline) videos.push(timeline);
  }
  const totals = zeroStages();
  for (const v of videos) for (const s of STAGES) totals[s] += v.stages[s];
  const roundTrips = videos.map((v) => v.stages.toDownload + v.stages.toEncode + v.stages.record).sort((a, b) => a - b);
  // The median: a video whose download waited for a slot counts that wait as toDownload.
  const mid = Math.floor(roundTrips.length / 2);
  const roundTripsPerVideo =
    roundTrips.length === 0
      ? 0
      : roundTrips.length % 2
        ? (roundTrips[mid] as number)
        : ((roundTrips[mid - 1] as number) + (roundTrips[mid] as number)) / 2;
  const firstVideo = Math.min(...videos.map((v) => v.start), processEnd);
  const lastVideo = Math.max(...videos.map((v) => v.end), processStart);
  const wallSeconds = (processEnd - processStart) / 1000;
  const cpu = input.cpu ?? [];
  const meanBusy = cpu.length ? cpu.reduce((sum, s) => sum + s.busy, 0) / cpu.length : null;
  return {
    startupSeconds: (firstVideo - processStart) / 1000,
    shutdownSeconds: (processEnd - lastVideo) / 1000,
    wallSeconds,
    videos,
    totals,
    roundTripsPerVideo,
    idleCoreSeconds: meanBusy === null ? null : (1 - meanBusy) * cores * wallSeconds,
    cpuBuckets: bucketCpu(cpu, processStart, processEnd, bucketSeconds),
    bucketSeconds,
  };
}

/** The timeline as text: per-stage totals, each video's stages, CPU use per bucket. */
export function formatRunTimeline(t: RunTimeline): string {
  const row = (label: string, stages: Record<Stage, number>) =>
    `${label.padEnd(12)}${STAGES.map((s) => stages[s].toFixed(2).padStart(11)).join('')}`;
  const lines = [
    `wall ${t.wallSeconds.toFixed(2)} s: start-up ${t.startupSeconds.toFixed(2)} s (process start -> first video), ` +
      `shutdown ${t.shutdownSeconds.toFixed(2)} s (last video -> exit)` +
      (t.idleCoreSeconds === null ? '' : `, idle core-seconds ${t.idleCoreSeconds.toFixed(1)}`),
    `${'seconds'.padEnd(12)}${STAGES.map((s) => s.padStart(11)).join('')}`,
    ...t.videos.map((v) => row(v.videoId, v.stages)),
    row('total', t.totals),
    `round trips per video (to download, to encode, record; median): ${t.roundTripsPerVideo.toFixed(3)} s`,
    `CPU busy per ${t.bucketSeconds} s (% of all cores): ${t.cpuBuckets.map((b) => Math.round(b * 100)).join(' ')}`,
  ];
  return lines.join('\n');
}
