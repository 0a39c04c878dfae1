import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BatchProgress, FinishedEntry } from '../../src/core/batch-input.js';
import {
  advance,
  emptyTally,
  formatDuration,
  liveLines,
  plainLines,
  statusLineDue,
  rates,
  statusLine,
  videoStage,
  type ActivityView,
  type PlainState,
  type ProgressSnapshot,
} from '../../src/core/progress-view.js';
import { emptyStatusCounts } from '../../src/core/report.js';
import { VideoWindow } from '../../src/workflows/window.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function progress(over: Partial<BatchProgress> = {}): BatchProgress {
  return {
    batchId: 'b',
    phase: 'running',
    total: 10,
    rejectedLines: 0,
    started: 2,
    done: 0,
    inFlight: [],
    counts: emptyStatusCounts(),
    clips: 0,
    runs: 1,
    recent: [],
    paused: null,
    abandoned: null,
    ...over,
  };
}

const finished = (seq: number, videoId: string, over: Partial<FinishedEntry> = {}): FinishedEntry => ({
  seq,
  videoId,
  status: 'succeeded',
  clips: 3,
  reason: null,
  errorType: null,
  ...over,
});

const activity = (over: Partial<ActivityView>): ActivityView => ({
  type: 'download',
  state: 'started',
  attempt: 1,
  lastFailureType: null,
  nextAttemptAt: null,
  details: null,
  ...over,
});

const snap = (at: number, p: BatchProgress, activities: ProgressSnapshot['activities'] = {}): ProgressSnapshot => ({
  at,
  progress: p,
  activities,
});

describe('formatDuration', () => {
  test('seconds, minutes and seconds, hours and minutes', () => {
    assert.equal(formatDuration(4_400), '4s');
    assert.equal(formatDuration(252_000), '4m 12s');
    assert.equal(formatDuration(7_380_000), '2h 03m');
    assert.equal(formatDuration(-5), '0s');
  });
});

describe('videoStage', () => {
  test('a download with its percentage, size and speed', () => {
    const details = {
      phase: 'download',
      downloadedBytes: 45_000_000,
      totalBytes: 100_000_000,
      speedBytesPerSecond: 3_100_000,
    };
    const s = snap(T0, progress({ inFlight: ['a'] }), { a: [activity({ details })] });
    assert.equal(videoStage('a', s), 'downloading 45% of 100 MB, 3.1 MB/s');
  });

  test('an encode: the clip under way of all, fps; a retry names its attempt and the last failure', () => {
    const details = { phase: 'encode', clips: 7, produced: [{}, {}], unproducible: 0, clip: 2, frame: 40, fps: 117.6 };
    const encode = activity({ type: 'encodeClips', details, attempt: 2, lastFailureType: 'EncodeFailed' });
    const s = snap(T0, progress({ inFlight: ['a'] }), { a: [encode] });
    assert.equal(videoStage('a', s), 'encoding clip 3 of 7, 118 fps (attempt 2, last EncodeFailed)');
  });

  test('queued, a retry waiting for its interval, waiting for temp space', () => {
    const at = T0;
    const cases: Array<[ActivityView, string]> = [
      [activity({ state: 'scheduled' }), 'queued for download'],
      [
        activity({ state: 'scheduled', attempt: 3, lastFailureType: 'NetworkError', nextAttemptAt: at + 8_000 }),
        'download retry in 8s (attempt 3, last NetworkError)',
      ],
      [
        activity({ details: { waitingForDisk: { usedBytes: 1, neededBytes: 2_000_000 } } }),
        'waiting for temp space (2.0 MB needed)',
      ],
    ];
    for (const [a, want] of cases)
      assert.equal(videoStage('a', snap(at, progress({ inFlight: ['a'] }), { a: [a] })), want);
  });

  test('no activity: a staggered start counts down, a pause holds, else waiting', () => {
    const p = progress({ inFlight: ['a', 'b'], startDelays: { a: T0 + 12_000 } });
    assert.equal(videoStage('a', snap(T0, p)), 'staggered start, 12s left');
    assert.equal(videoStage('a', snap(T0 + 13_000, p)), 'waiting');
    const paused = { until: T0 + 60_000, errorType: 'RateLimited', message: 'm', pause: 1, maxPauses: 5 };
    assert.equal(videoStage('b', snap(T0, progress({ inFlight: ['b'], paused }))), 'held: downloads paused');
  });
});

describe('advance and rates', () => {
  test('each finished video once; failures by type; rates only from videos finished while watching', () => {
    const before = finished(1, 'old', { status: 'failed', errorType: 'Unavailable', clips: 0, reason: 'gone' });
    let { tally, lines } = advance(emptyTally(), snap(T0, progress({ done: 1, recent: [before] })));
    assert.deepEqual(lines, ['vstream: 10 videos; 1 done', '[1/10] old: failed (Unavailable): gone']);
    assert.equal(rates(tally, progress(), T0 + 60_000), null, 'no video finished while watching');

    const recent = [before, finished(2, 'v2'), finished(3, 'v3')];
    ({ tally, lines } = advance(tally, snap(T0 + 60_000, progress({ done: 3, recent }))));
    assert.deepEqual(lines, ['[2/10] v2: succeeded, 3 clips', '[3/10] v3: succeeded, 3 clips']);
    ({ lines } = advance(tally, snap(T0 + 61_000, progress({ done: 3, recent }))));
    assert.deepEqual(lines, [], 'shown once');

    // 2 videos in 60 s: 120 videos/h, 360 clips/h; 7 left: 3.5 minutes.
    const r = rates(tally, progress({ done: 3 }), T0 + 60_000);
    assert.deepEqual(r, { videosPerHour: 120, clipsPerHour: 360, etaMs: 210_000 });
    assert.deepEqual(tally.failures, { Unavailable: 1 });
  });

  test('a pause and the abandonment are told once', () => {
    const paused = { until: T0 + 600_000, errorType: 'RateLimited', message: 'HTTP 429', pause: 1, maxPauses: 5 };
    let { tally, lines } = advance(emptyTally(), snap(T0, progress({ paused })));
    assert.equal(lines.filter((l) => l.includes('downloads paused until')).length, 1);
    ({ tally, lines } = advance(tally, snap(T0 + 1000, progress({ paused }))));
    assert.deepEqual(lines, []);
    const abandoned = { errorType: 'RateLimited', message: 'downloads given up after 5 pauses' };
    ({ lines } = advance(tally, snap(T0 + 2000, progress({ abandoned }))));
    assert.deepEqual(lines, [
      'vstream: downloads given up after 5 pauses; the remaining videos fail (--retry-failed takes them up later)',
    ]);
  });
});

describe('liveLines', () => {
  test('counts and rates, one line per video, failures, the pause countdown', () => {
    const paused = { until: T0 + 252_000, errorType: 'RateLimited', message: 'm', pause: 2, maxPauses: 5 };
    const p = progress({ inFlight: ['abc', 'defghi'], done: 1, clips: 3, paused });
    const details = { phase: 'download', downloadedBytes: 5_000_000, totalBytes: null };
    const tally = { ...emptyTally(), since: T0 - 60_000, videos: 1, clips: 3, failures: { NetworkError: 2 } };
    assert.deepEqual(liveLines(tally, snap(T0, p, { abc: [activity({ details })] })), [
      'vstream: 1/10 done, 2 in flight, 3 clips | 60 videos/h, 180 clips/h, ETA 9m 00s',
      '  abc     downloading 5.0 MB',
      '  defghi  held: downloads paused',
      '  failures: NetworkError 2',
      '  downloads paused, 4m 12s left (pause 2 of 5, RateLimited)',
    ]);
  });

  test('while preparing, one line', () => {
    assert.deepEqual(liveLines(emptyTally(), snap(T0, progress({ phase: 'preparing' }))), [
      'vstream: preparing the batch (snapshot of the URL list)',
    ]);
  });
});

describe('plainLines', () => {
  const start: PlainState = { tally: emptyTally(), lastPrintAt: 0, statusShown: false };

  test('a status line as soon as videos are in flight, then after each quiet period; no escape codes', () => {
    const p = progress({ inFlight: ['a'], startDelays: { a: T0 + 15_000 } });
    let { state, lines } = plainLines(start, snap(T0, progress({ phase: 'preparing' })), 30_000);
    assert.deepEqual(lines, []);
    ({ state, lines } = plainLines(state, snap(T0 + 1000, p), 30_000));
    assert.deepEqual(lines, [
      'vstream: 10 videos; 0 done',
      'vstream: 0/10 done, 1 in flight, 0 clips; a staggered start, 14s left',
    ]);
    ({ state, lines } = plainLines(state, snap(T0 + 2000, p), 30_000));
    assert.deepEqual(lines, [], 'quiet until the period passes');
    ({ state, lines } = plainLines(state, snap(T0 + 31_000, p), 30_000));
    assert.equal(lines.length, 1);
    assert.match(lines[0] as string, /^vstream: 0\/10 done, 1 in flight/);
    const done = progress({ done: 1, inFlight: ['b'], recent: [finished(1, 'a')] });
    ({ lines } = plainLines(state, snap(T0 + 40_000, done), 30_000));
    assert.deepEqual(lines, ['[1/10] a: succeeded, 3 clips'], 'a finished line resets the quiet period');
    for (const line of lines) assert.ok(!line.includes('\u001b'));
  });

  test('what each video is doing is asked for only when a status line is due (a describe per video)', () => {
    const p = progress({ inFlight: ['a'] });
    assert.equal(statusLineDue(start, T0, 30_000), true, 'the first status line');
    const { state } = plainLines(start, snap(T0, p), 30_000);
    assert.equal(statusLineDue(state, T0 + 1000, 30_000), false);
    assert.equal(statusLineDue(state, T0 + 30_000, 30_000), true);
  });

  test('the status line names the rates, the stages and the failures', () => {
    const tally = { ...emptyTally(), since: T0 - 3_600_000, videos: 4, clips: 12, failures: { Unavailable: 1 } };
    const p = progress({ done: 4, inFlight: ['a'], clips: 12 });
    assert.equal(
      statusLine(tally, snap(T0, p, { a: [activity({ type: 'finishVideo' })] })),
      'vstream: 4/10 done, 1 in flight, 12 clips, 4.0 videos/h, 12 clips/h, ETA 1h 30m; a finishing; failures: Unavailable 1',
    );
  });
});

describe('VideoWindow seq', () => {
  const report = (videoId: string) => ({
    videoId,
    status: 'succeeded' as const,
    clips: 1,
    reason: null,
    errorType: null,
  });
  const prior = { status: 'succeeded' as const, clips: 2 } as Parameters<VideoWindow['settled']>[0];

  test('consecutive numbers from the videos settled before the first finish, whatever is settled after', () => {
    const window = new VideoWindow(undefined, 100);
    window.settled(prior);
    window.settled(prior);
    for (const id of ['a', 'b', 'c']) window.add(id);
    window.finished(report('a'));
    window.settled(prior); // a later page's settled video
    window.finished(report('b'));
    window.finished(report('c'));
    assert.deepEqual(
      window.recent.map((e) => e.seq),
      [3, 4, 5],
    );
    assert.equal(window.done, 6);
  });

  test('a run continued as new numbers on after the videos done before it', () => {
    const counts = { ...emptyStatusCounts(), succeeded: 7 };
    const carried = {
      offset: 9,
      total: 10,
      rejectedLines: 0,
      startedAt: '',
      counts,
      clips: 7,
      inFlight: ['x'],
      runs: 1,
    };
    const window = new VideoWindow(carried, 100);
    window.finished(report('x'));
    assert.deepEqual(
      window.recent.map((e) => e.seq),
      [8],
    );
  });
});
