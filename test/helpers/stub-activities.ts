// Stub activities for workflow tests: same names and types as the real ones,
// recording what the workflows ask for. (End-to-end tests use the real ones.)
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { EncodeActivities, HostActivities, SharedActivities } from '../../src/activities/index.js';
import { createPingActivities } from '../../src/activities/ping.js';
import { createPolicyActivities } from '../../src/activities/policy.js';
import { buildReport, unrecordedResult } from '../../src/core/report.js';
import type { VideoEntry, VideoResult } from '../../src/core/types.js';

export const STUB_HOST_QUEUE = 'stub-host';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface StubBehaviour {
  videos: number;
  /** How long download and encode take. */
  workMs?: number;
  /** Video IDs whose clip file is missing. */
  skip?: string[];
  /** Video IDs whose clip file has a malformed line besides its one clip: they end partial. */
  partial?: string[];
  /** How long readPolicyDefaults takes (a slow local activity at the batch's start). */
  policyDelayMs?: number;
  /** Video IDs whose clip file appeared or changed since their prior result: stale when a page read asks for a recheck. */
  stale?: string[];
  downloadFails?: Record<string, { type: string; nonRetryable: boolean; times?: number }>;
  encodeFails?: Record<string, { type: string; nonRetryable: boolean }>;
  /** Video IDs whose download runs (heartbeating) until it is cancelled. */
  hang?: string[];
  /** The queue each download names for the encode (a GPU queue); served by `encode` on its own worker. */
  encodeQueue?: string;
  /** Host queues the successive verifyClip calls of a video name (the last one repeats); default STUB_HOST_QUEUE. */
  verifyHosts?: Record<string, string[]>;
  /** Activities the stub host runs at once (its download slots); unbounded by default. */
  hostSlots?: number;
}

/** Results an earlier run of the batch recorded, by video ID. */
export type PriorResults = Map<string, VideoResult[]>;

export function createStubs(behaviour: StubBehaviour, prior: PriorResults = new Map()) {
  const videos: VideoEntry[] = Array.from({ length: behaviour.videos }, (_, i) => ({
    index: i,
    line: i + 1,
    url: `http://127.0.0.1:1/v${i}.mp4`,
    videoId: `v${i}`,
  }));
  const record = {
    inFlight: 0,
    maxInFlight: 0,
    downloadStarts: new Map<string, number[]>(),
    downloadCalls: new Map<string, number>(),
    encodeCalls: new Map<string, number>(),
    verifyCalls: new Map<string, number>(),
    /** The task queue of each encode, in order. */
    encodeQueues: [] as string[],
    deleted: [] as string[],
    results: new Map<string, VideoResult[]>([...prior].map(([id, list]) => [id, [...list]])),
    pagesRead: [] as Array<[number, number]>,
    /** The clip folder each page read asked to recheck (undefined: no recheck). */
    recheckClipDirs: [] as Array<string | undefined>,
    cancelledDownloads: [] as string[],
    failures: [] as Array<{ videoId: string; type: string; at: number }>,
    /** What each download was asked for beyond the video (mode, clips, fps). */
    downloadRequests: [] as Array<
      Pick<Parameters<HostActivities['download']>[0], 'downloadMode' | 'clips' | 'fps' | 'encode'> & { videoId: string }
    >,
  };
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const recordResult = (result: VideoResult) => {
    const list = record.results.get(result.videoId) ?? [];
    list.push(result);
    record.results.set(result.videoId, list);
  };

  const shared: SharedActivities = {
    // The real one: it only hands over config.ts's defaults (after a while, if asked).
    async readPolicyDefaults() {
      await sleep(behaviour.policyDelayMs ?? 0);
      return createPolicyActivities().readPolicyDefaults();
    },
    async prepareBatch() {
      return {
        batchId: 'b',
        urlsFile: '',
        urlsSha256: '',
        createdAt: '',
        videos: videos.length,
        rejectedLines: 0,
        repeatedLines: 0,
      };
    },
    async readVideoPage({ offset, limit, recheckClipDir }) {
      record.pagesRead.push([offset, limit]);
      record.recheckClipDirs.push(recheckClipDir);
      return videos.slice(offset, offset + limit).map((video) => {
        const results = record.results.get(video.videoId);
        const last = results?.at(-1);
        if (!last) return { ...video, prior: null };
        // Only the prior result is stale: one this batch recorded was made from today's clip file.
        const stale =
          recheckClipDir !== undefined &&
          (behaviour.stale?.includes(video.videoId) ?? false) &&
          results?.length === prior.get(video.videoId)?.length;
        return { ...video, prior: { status: last.status, clips: last.clips.length, ...(stale ? { stale } : {}) } };
      });
    },
    async verifyClip({ video }) {
      if (behaviour.skip?.includes(video.videoId)) return { kind: 'skipped', reason: 'no clip file', clipErrors: [] };
      const hosts = behaviour.verifyHosts?.[video.videoId] ?? [STUB_HOST_QUEUE];
      const calls = bump(record.verifyCalls, video.videoId).get(video.videoId) ?? 1;
      const hostQueue = hosts[Math.min(calls, hosts.length) - 1] ?? STUB_HOST_QUEUE;
      return {
        kind: 'work',
        hostQueue,
        clipErrors: behaviour.partial?.includes(video.videoId) ? [{ line: 2, text: 'x', reason: 'malformed' }] : [],
        existing: [],
        pending: [{ line: 1, startFrame: 0, endFrame: 10 }],
        clipFileSha256: 'x',
      };
    },
    async recordVideo({ result }) {
      recordResult(result);
    },
    async writeReport({ batchId, startedAt, cancelled, abandoned }) {
      const report = buildReport({
        batchId,
        startedAt,
        finishedAt: new Date().toISOString(),
        rejectedLines: [],
        videos: videos.map(
          (v) => record.results.get(v.videoId)?.at(-1) ?? unrecordedResult(v, cancelled ?? false, abandoned),
        ),
      });
      return { batchId, startedAt, finishedAt: report.finishedAt, counts: report.counts, reportPath: '/dev/null' };
    },
  };

  const host: HostActivities = {
    async download({ video, downloadMode, clips, fps, encode }) {
      record.downloadRequests.push({ videoId: video.videoId, downloadMode, clips, fps, encode });
      bump(record.downloadCalls, video.videoId);
      record.downloadStarts.set(video.videoId, [...(record.downloadStarts.get(video.videoId) ?? []), Date.now()]);
      record.inFlight++;
      record.maxInFlight = Math.max(record.maxInFlight, record.inFlight);
      try {
        if (behaviour.hang?.includes(video.videoId)) {
          const context = Context.current();
          while (!context.cancellationSignal.aborted) {
            context.heartbeat();
            await sleep(50);
          }
          record.cancelledDownloads.push(video.videoId);
          throw new CancelledFailure('download cancelled');
        }
        await sleep(behaviour.workMs ?? 50);
        const failure = behaviour.downloadFails?.[video.videoId];
        if (
          failure &&
          (failure.times === undefined || (record.downloadCalls.get(video.videoId) ?? 0) <= failure.times)
        ) {
          record.failures.push({ videoId: video.videoId, type: failure.type, at: Date.now() });
          throw ApplicationFailure.create({
            type: failure.type,
            message: `stub ${failure.type}`,
            nonRetryable: failure.nonRetryable,
          });
        }
        const source = {
          path: `/work/${video.videoId}/source.mp4`,
          bytes: 1,
          width: 1920,
          height: 1080,
          fps: 30,
          durationSeconds: 10,
        };
        return behaviour.encodeQueue ? { ...source, encodeQueue: behaviour.encodeQueue } : source;
      } finally {
        record.inFlight--;
      }
    },
    async encodeClips({ video, clips }) {
      bump(record.encodeCalls, video.videoId);
      record.encodeQueues.push(Context.current().info.taskQueue);
      await sleep(behaviour.workMs ?? 50);
      const failure = behaviour.encodeFails?.[video.videoId];
      if (failure)
        throw ApplicationFailure.create({
          type: failure.type,
          message: `stub ${failure.type}`,
          nonRetryable: failure.nonRetryable,
        });
      return {
        produced: clips.map((c) => ({
          file: `${video.videoId}_${c.startFrame}.hevc`,
          startFrame: c.startFrame,
          endFrame: c.endFrame,
          frames: c.endFrame - c.startFrame,
          bytes: 1,
        })),
        unproducible: [],
        encoder: 'stub',
      };
    },
    async deleteSource({ videoId }) {
      record.deleted.push(videoId);
    },
    async finishVideo({ result }) {
      record.deleted.push(result.videoId);
      recordResult(result);
    },
  };
  // A GPU queue's worker runs only the encode.
  const encode: EncodeActivities = { encodeClips: host.encodeClips };
  // The real ping: it only says the host's process runs.
  const ping = createPingActivities({ hostQueue: STUB_HOST_QUEUE });
  return { shared, host, encode, ping, record, videos };
}
