// The behaviours record-histories.ts records: one batch each, with the stub activities.
// Inputs are shaped like the ones `vstream run` starts (src/client/run-command.ts), with
// the timings lowered so a recording takes seconds; test/fixtures/histories/README.md
// lists the lowered values. Fields the CLI does not send (pageSize, maxStartsPerRun,
// hostTimeoutSeconds) are left out unless the behaviour needs them, so that the
// histories record what the workflow's own defaults made of a CLI batch.
import { DEFAULT_ENCODE_SETTINGS, gpuTaskQueue } from '../../src/config.js';
import type { BatchInput } from '../../src/core/batch-input.js';
import type { VideoResult, VideoStatus } from '../../src/core/types.js';
import { buildVideoResult } from '../../src/core/video-result.js';
import {
  STUB_HOST_QUEUE,
  type createStubs,
  type PriorResults,
  type StubBehaviour,
} from '../helpers/stub-activities.js';

/** A GPU queue of a stub host, served by its own stub encode worker. */
export const STUB_GPU_QUEUE = gpuTaskQueue('stub', 1);
/** A host queue no worker polls: activities routed there time out before they start. */
export const GONE_HOST_QUEUE = 'stub-host-gone';

export interface Behaviour {
  name: string;
  /** What the histories show, for the fixtures' README. */
  about: string;
  stubs: StubBehaviour;
  /** Fields beyond (or instead of) the CLI-shaped input. */
  input?: Partial<BatchInput>;
  /** The batch's workflow task timeout, when not the server's default (10 s). */
  workflowTaskTimeout?: string;
  prior?: PriorResults;
  /** Video IDs whose histories are saved (every run of the batch always is). */
  videos: string[];
  /** Cancel the batch once this holds. */
  cancelWhen?: (stubs: ReturnType<typeof createStubs>) => boolean;
  /** Terminate this video's workflow once `when` holds (as from the Temporal UI). */
  terminate?: { videoId: string; when: (stubs: ReturnType<typeof createStubs>) => boolean; reason: string };
  /** Workers on these queues run the stub encode activity. */
  encodeQueues?: string[];
  /** Why the recording does not show the behaviour, if it does not. */
  check: (stubs: ReturnType<typeof createStubs>, runs: number) => string | null;
}

const expect = (ok: boolean, why: string) => (ok ? null : why);

/** What `vstream run --width 320 --height 180` sends, timings lowered. */
export function cliShapedInput(batchId: string): BatchInput {
  return {
    batchId,
    urlsFile: '/in/urls.txt',
    clipDir: '/in/clips',
    outDir: '/out',
    workDir: '/out/_vstream/work',
    settings: { ...DEFAULT_ENCODE_SETTINGS, width: 320, height: 180, fps: 30 },
    workers: 2,
    startDelaySeconds: 1, // CLI default 15
    retryFailed: false,
    recheckClipFiles: true,
    searchAttributes: true, // from v0.5.0: the client found them on the server
    heartbeatTimeoutSeconds: 2, // CLI default 30
    backoffSeconds: 1, // CLI default 600
    maxPauses: 5,
    downloadRetry: { maximumAttempts: 5, initialIntervalSeconds: 1 }, // CLI default 5 attempts, 10 s
    downloadMode: 'full',
  };
}

function priorResult(i: number, status: VideoStatus): VideoResult[] {
  const video = { index: i, line: i + 1, url: `http://127.0.0.1:1/v${i}.mp4`, videoId: `v${i}` };
  const failure = status === 'failed' ? { type: 'VideoUnavailable', message: 'gone' } : null;
  const base = buildVideoResult({ video, clipErrors: [], existing: [], produced: [], unproducible: [], failure });
  const clips =
    status === 'succeeded' || status === 'partial'
      ? [{ file: `v${i}_0.hevc`, startFrame: 0, endFrame: 10, frames: 10, bytes: 1 }]
      : [];
  return [{ ...base, status, clips }];
}

/** One video of each outcome the UI tells apart: succeeded, skipped, failed (VideoUnavailable), partial. */
const UI_OUTCOMES: StubBehaviour = {
  videos: 4,
  workMs: 20,
  skip: ['v1'],
  downloadFails: { v2: { type: 'VideoUnavailable', nonRetryable: true } },
  partial: ['v3'],
};

export const BEHAVIOURS: Behaviour[] = [
  {
    name: 'basic',
    about:
      'v0 succeeded, v1 skipped (no clip file), v2 download failed (VideoUnavailable), v3 encode failed; v4, v5 succeeded',
    stubs: {
      videos: 6,
      workMs: 20,
      skip: ['v1'],
      downloadFails: { v2: { type: 'VideoUnavailable', nonRetryable: true } },
      encodeFails: { v3: { type: 'EncodeFailed', nonRetryable: true } },
    },
    videos: ['v0', 'v1', 'v2', 'v3'],
    check: (s) =>
      expect(
        s.record.encodeCalls.get('v3') === 1 && s.record.results.get('v2')?.[0]?.errorType === 'VideoUnavailable',
        'outcomes',
      ),
  },
  {
    name: 'continue-as-new',
    about: '7 videos, pageSize 2, maxStartsPerRun 3: three batch runs, videos in flight carried across',
    stubs: { videos: 7, workMs: 20 },
    input: { pageSize: 2, maxStartsPerRun: 3 },
    videos: ['v3', 'v6'],
    check: (_, runs) => expect(runs === 3, `${runs} batch runs, not 3`),
  },
  {
    name: 'gpu-routing',
    about: `the download names ${STUB_GPU_QUEUE} for the encode; a separate stub encode worker serves it`,
    stubs: { videos: 2, workMs: 20, encodeQueue: STUB_GPU_QUEUE },
    encodeQueues: [STUB_GPU_QUEUE],
    videos: ['v0'],
    check: (s) =>
      expect(
        s.record.encodeQueues.length === 2 && s.record.encodeQueues.every((q) => q === STUB_GPU_QUEUE),
        `encodes on ${s.record.encodeQueues.join()}`,
      ),
  },
  {
    name: 'backoff',
    about:
      "v1's first download is RateLimited (non-retryable): the batch pauses downloads 1 s, v1 is tried again and succeeds",
    stubs: { videos: 4, workMs: 100, downloadFails: { v1: { type: 'RateLimited', nonRetryable: true, times: 1 } } },
    input: { workers: 3 },
    videos: ['v0', 'v1', 'v2'],
    check: (s) =>
      expect(
        s.record.downloadCalls.get('v1') === 2 && s.record.results.get('v1')?.[0]?.status === 'succeeded',
        'v1 not retried after the pause',
      ),
  },
  {
    name: 'abandoned',
    about:
      'every download hits a BotCheck; after maxPauses 1 the batch gives downloads up: v0, v1 fail BotCheck, v2, v3 never start',
    stubs: {
      videos: 4,
      workMs: 20,
      downloadFails: Object.fromEntries(
        ['v0', 'v1', 'v2', 'v3'].map((id) => [id, { type: 'BotCheck', nonRetryable: true }]),
      ),
    },
    input: { maxPauses: 1 },
    videos: ['v0', 'v1'],
    check: (s) =>
      expect(
        [...s.record.results.values()].every((r) => r.at(-1)?.errorType === 'BotCheck'),
        'not every video failed BotCheck',
      ),
  },
  {
    name: 'sections',
    about: "downloadMode 'sections' and a --format: the clips still to make and the fps reach the download",
    stubs: { videos: 2, workMs: 20 },
    input: { downloadMode: 'sections', format: '18' },
    videos: ['v0'],
    check: (s) =>
      expect(
        s.record.downloadRequests.every(
          (r) => r.downloadMode === 'sections' && r.fps === 30 && (r.clips?.length ?? 0) > 0,
        ),
        'mode, clips or fps missing',
      ),
  },
  {
    name: 'cancel',
    about:
      "the batch is cancelled while v0's download hangs (heartbeating): v0 is cancelled and cleaned up, the report written",
    stubs: { videos: 3, workMs: 20, hang: ['v0'] },
    cancelWhen: (stubs) =>
      (stubs.record.downloadCalls.get('v0') ?? 0) > 0 && (stubs.record.results.get('v1')?.length ?? 0) > 0,
    videos: ['v0', 'v1'],
    check: (s) =>
      expect(
        s.record.cancelledDownloads.includes('v0') && s.record.results.get('v0')?.at(-1)?.status === 'cancelled',
        'v0 not cancelled',
      ),
  },
  {
    name: 'host-lost',
    about: `v0's first verifyClip names ${GONE_HOST_QUEUE} (no worker): hostTimeoutSeconds 2 passes, the video starts over on the live host`,
    stubs: { videos: 2, workMs: 20, verifyHosts: { v0: [GONE_HOST_QUEUE, STUB_HOST_QUEUE] } },
    input: { hostTimeoutSeconds: 2 },
    videos: ['v0'],
    check: (s) =>
      expect(
        s.record.verifyCalls.get('v0') === 2 && s.record.results.get('v0')?.at(-1)?.status === 'succeeded',
        'v0 did not start over',
      ),
  },
  {
    name: 'busy-host',
    about:
      'one download slot on the live host, downloads and encodes of 1.5 s, hostTimeoutSeconds 1: v1 waits past the host timeout, the host answers its ping, v1 waits there again (verified once)',
    stubs: { videos: 2, workMs: 1500, hostSlots: 1 },
    input: { hostTimeoutSeconds: 1 },
    videos: ['v1'],
    check: (s) =>
      expect(
        s.record.verifyCalls.get('v1') === 1 && s.record.results.get('v1')?.at(-1)?.status === 'succeeded',
        'v1 moved, or did not succeed',
      ),
  },
  {
    name: 'video-terminated',
    about:
      "v0's workflow is terminated while its download hangs: the batch records v0 failed (its workflow ended without reporting) and completes",
    stubs: { videos: 3, workMs: 20, hang: ['v0'] },
    terminate: {
      videoId: 'v0',
      when: (stubs) => (stubs.record.downloadCalls.get('v0') ?? 0) > 0,
      reason: 'stuck, from the UI',
    },
    videos: [],
    check: (s) => {
      const v0 = s.record.results.get('v0')?.at(-1);
      return expect(v0?.status === 'failed' && /terminated/.test(v0.reason ?? ''), `v0: ${JSON.stringify(v0)}`);
    },
  },
  {
    name: 'retry-failed',
    about:
      'retryFailed with prior results: v0 succeeded (counted), v1 failed and v2 partial (run again), v3 cancelled (continued), v4 new',
    stubs: { videos: 5, workMs: 20 },
    input: { retryFailed: true },
    prior: new Map([
      ['v0', priorResult(0, 'succeeded')],
      ['v1', priorResult(1, 'failed')],
      ['v2', priorResult(2, 'partial')],
      ['v3', priorResult(3, 'cancelled')],
    ]),
    videos: ['v1', 'v3'],
    check: (s) =>
      expect(
        s.record.downloadCalls.get('v0') === undefined &&
          [1, 2, 3, 4].every((i) => s.record.downloadCalls.get(`v${i}`) === 1),
        'wrong videos run',
      ),
  },
  {
    name: 'recheck',
    about:
      'recheckClipFiles with prior results: v0 succeeded (counted), v1 skipped whose clip file appeared and v2 succeeded whose clip file changed (run again), v3 skipped (counted), v4 failed (kept)',
    stubs: { videos: 5, workMs: 20, skip: ['v3'], stale: ['v1', 'v2'] },
    prior: new Map([
      ['v0', priorResult(0, 'succeeded')],
      ['v1', priorResult(1, 'skipped')],
      ['v2', priorResult(2, 'succeeded')],
      ['v3', priorResult(3, 'skipped')],
      ['v4', priorResult(4, 'failed')],
    ]),
    videos: ['v1', 'v2'],
    check: (s) =>
      expect(
        [0, 3, 4].every((i) => s.record.downloadCalls.get(`v${i}`) === undefined) &&
          [1, 2].every((i) => s.record.downloadCalls.get(`v${i}`) === 1 && s.record.results.get(`v${i}`)?.length === 2),
        'wrong videos run',
      ),
  },
  {
    name: 'ui',
    about:
      'searchAttributes: v0 succeeded, v1 skipped, v2 download failed (VideoUnavailable: a Failed workflow), v3 partial; attributes upserted, summaries set',
    stubs: UI_OUTCOMES,
    videos: ['v0', 'v1', 'v2', 'v3'],
    check: (s) =>
      expect(
        ['succeeded', 'skipped', 'failed', 'partial'].every(
          (status, i) => s.record.results.get(`v${i}`)?.[0]?.status === status,
        ),
        'outcomes',
      ),
  },
  {
    name: 'ui-without-search-attributes',
    about:
      'the same batch on a server without the search attributes (searchAttributes false): summaries only, v2 still Failed',
    stubs: UI_OUTCOMES,
    input: { searchAttributes: false },
    videos: ['v0', 'v2'],
    check: (s) => expect(s.record.results.get('v2')?.[0]?.status === 'failed', 'v2 did not fail'),
  },
  {
    name: 'download-ahead',
    about:
      'downloadAhead 1 beside workers 1 (PATCHES.downloadAhead): two videos in flight, the second downloading while the first is busy; the first window of two staggered',
    stubs: { videos: 3, workMs: 400 },
    input: { workers: 1, downloadAhead: 1 },
    videos: ['v0', 'v1'],
    check: (s) =>
      expect(
        s.record.maxInFlight === 2 && s.record.results.size === 3,
        `max ${s.record.maxInFlight} downloads at once`,
      ),
  },
  {
    name: 'encode-while-downloading',
    about:
      "each video's download carries its encode (PATCHES.encodeWhileDownloading, asked in the video's first task): clips, output folder, settings",
    stubs: { videos: 2, workMs: 20 },
    videos: ['v0'],
    check: (s) =>
      expect(
        s.record.downloadRequests.length === 2 && s.record.downloadRequests.every((r) => r.encode?.clips.length),
        'a download without its encode',
      ),
  },
  {
    name: 'slow-start',
    about:
      "the policy's local activity outlasts the 1 s workflow task: its marker, and the batch's steps after it, land in a later task; every patch is still asked in the first (a patch asked after it was lost on replay: TMPRL1100)",
    stubs: { videos: 2, workMs: 20, policyDelayMs: 2_500 },
    workflowTaskTimeout: '1s',
    videos: [],
    check: (s) => expect(s.record.results.size === 2, `${s.record.results.size} videos recorded, not 2`),
  },
];
