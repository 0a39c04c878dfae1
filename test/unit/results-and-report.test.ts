import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildReport, exitCodeForCounts, summaryLine } from '../../src/core/report.js';
import type { ClipOutput, VideoEntry } from '../../src/core/types.js';
import { buildVideoResult, skippedResult } from '../../src/core/video-result.js';

const video: VideoEntry = { index: 0, line: 4, url: 'http://h/v.mp4', videoId: 'v' };
const clip = (start: number, end: number): ClipOutput => ({
  file: `v_${start}_${end}.hevc`,
  startFrame: start,
  endFrame: end,
  frames: end - start,
  bytes: 100,
});
const none = { clipErrors: [], existing: [], produced: [], unproducible: [], failure: null };

describe('buildVideoResult', () => {
  test('succeeded when every line produced; existing and new clips merge in frame order', () => {
    const result = buildVideoResult({ ...none, video, existing: [clip(50, 60)], produced: [clip(0, 10)] });
    assert.equal(result.status, 'succeeded');
    assert.equal(result.reason, null);
    assert.deepEqual(
      result.clips.map((c) => c.startFrame),
      [0, 50],
    );
    assert.deepEqual(Object.keys(result), [
      'videoId',
      'line',
      'url',
      'status',
      'reason',
      'errorType',
      'clipErrors',
      'clips',
    ]);
  });

  test('partial when lines are malformed or not producible, with a reason counting both', () => {
    const result = buildVideoResult({
      ...none,
      video,
      produced: [clip(0, 10)],
      clipErrors: [{ line: 2, text: 'x', reason: 'bad' }],
      unproducible: [{ line: 1, text: '900 999', reason: 'past the end' }],
    });
    assert.equal(result.status, 'partial');
    assert.equal(result.reason, '2 of 3 clip lines not produced (1 malformed, 1 not producible from the source)');
    assert.deepEqual(
      result.clipErrors.map((e) => e.line),
      [1, 2],
    );
  });

  test('failed with the failure type; failed when nothing could be produced', () => {
    const failed = buildVideoResult({
      ...none,
      video,
      failure: { type: 'VideoUnavailable', message: 'HTTP Error 404' },
    });
    assert.deepEqual(
      [failed.status, failed.errorType, failed.reason],
      ['failed', 'VideoUnavailable', 'HTTP Error 404'],
    );
    const nothing = buildVideoResult({
      ...none,
      video,
      unproducible: [{ line: 1, text: '900 999', reason: 'past the end' }],
    });
    assert.deepEqual([nothing.status, nothing.errorType], ['failed', 'NoClipProducible']);
    assert.match(nothing.reason ?? '', /past the end/);
  });

  test('skipped carries its reason', () => {
    const skipped = skippedResult(video, 'no clip file /c/v.txt', []);
    assert.deepEqual([skipped.status, skipped.reason], ['skipped', 'no clip file /c/v.txt']);
  });
});

describe('buildReport', () => {
  const ok = buildVideoResult({ ...none, video, produced: [clip(0, 10), clip(20, 30)] });
  const skipped = skippedResult({ ...video, videoId: 's' }, 'no clip file', []);

  test('counts statuses and clips and keeps the rejected lines', () => {
    const report = buildReport({
      batchId: 'b',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:01:00.000Z',
      rejectedLines: [{ line: 9, text: 'junk', reason: 'not a URL' }],
      videos: [ok, skipped],
    });
    assert.deepEqual(report.counts, {
      videos: 2,
      succeeded: 1,
      partial: 0,
      skipped: 1,
      failed: 0,
      cancelled: 0,
      clips: 2,
      rejectedLines: 1,
      byErrorType: {},
    });
    const failed = buildVideoResult({ ...none, video, failure: { type: 'RateLimited', message: 'HTTP Error 429' } });
    assert.deepEqual(buildReport({ ...report, videos: [failed, failed, ok] }).counts.byErrorType, { RateLimited: 2 });
    assert.equal(
      summaryLine(report.counts),
      '2 videos: 1 succeeded, 0 partial, 1 skipped, 0 failed; 2 clips; 1 URL line rejected',
    );
    assert.equal(exitCodeForCounts(report.counts), 3);
  });

  test('exit code 0 only when every video succeeded or was skipped and no line was rejected', () => {
    const counts = (over: object) => ({
      videos: 1,
      succeeded: 1,
      partial: 0,
      skipped: 0,
      failed: 0,
      cancelled: 0,
      clips: 1,
      rejectedLines: 0,
      ...over,
    });
    assert.equal(exitCodeForCounts(counts({})), 0);
    assert.equal(exitCodeForCounts(counts({ skipped: 3 })), 0);
    assert.equal(exitCodeForCounts(counts({ partial: 1 })), 3);
    assert.equal(exitCodeForCounts(counts({ failed: 1 })), 3);
  });
});
