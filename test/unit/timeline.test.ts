import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bucketCpu,
  buildRunTimeline,
  formatRunTimeline,
  videoTimeline,
  type TimedEvent,
} from '../../src/core/timeline.js';

const T0 = 1_800_000_000_000;
const at = (seconds: number) => T0 + seconds * 1000;

/** A video's events, times in seconds from T0. */
function videoEvents(videoId: string, times: Record<string, number | number[]>): TimedEvent[] {
  return Object.entries(times).flatMap(([event, t]) =>
    (Array.isArray(t) ? t : [t]).map((s) => ({ time: at(s), event, videoId })),
  );
}

describe('timeline', () => {
  test("a video's stages run back to back from its wait to its recorded result", () => {
    const events = videoEvents('a', {
      'verify.start': 2.1,
      'video.verified': 2.6,
      'download.start': 2.8,
      'download.end': 6.3,
      'encoder.waited': 8.3,
      'encode.start': 8.5,
      'encode.end': 30.5,
      'clip.written': [30.7, 30.9],
      'video.finished': 31,
    });
    const v = videoTimeline('a', events, at(2));
    // verify.start ends the wait; before it was logged, verify was always 0.
    assert.ok(v);
    const rounded = Object.fromEntries(Object.entries(v.stages).map(([k, s]) => [k, Math.round(s * 10) / 10]));
    assert.deepEqual(rounded, {
      waiting: 0.1,
      verify: 0.5,
      toDownload: 0.2,
      download: 3.5,
      waitEncoder: 2,
      toEncode: 0.2,
      encode: 22,
      checks: 0.4,
      record: 0.1,
    });
    const total = Object.values(v.stages).reduce((sum, s) => sum + s, 0);
    assert.ok(Math.abs(total - 29) < 1e-9, `stages add up to the video's span: ${total}`);
  });

  test('a video that never finished has no timeline', () => {
    assert.equal(videoTimeline('a', videoEvents('a', { 'video.verified': 1 }), at(0)), null);
  });

  test('a log without verify.start (older runs): verify is 0, its time counted as waiting', () => {
    const v = videoTimeline('o', videoEvents('o', { 'video.verified': 1.5, 'video.finished': 2 }), at(1));
    assert.ok(v);
    assert.deepEqual([v.stages.waiting, v.stages.verify], [0.5, 0]);
  });

  test('a skipped video has only its wait and verification', () => {
    const v = videoTimeline(
      's',
      videoEvents('s', { 'verify.start': 1.2, 'video.skipped': 1.5, 'video.finished': 1.6 }),
      at(1),
    );
    assert.ok(v);
    assert.equal(Math.round(v.stages.waiting * 10), 2);
    assert.equal(Math.round(v.stages.verify * 10), 3);
    assert.equal(Math.round(v.stages.record * 10), 1);
    assert.equal(v.stages.download, 0);
  });

  test('start-up, shutdown, the second video waits from the first one’s end, idle cores from samples', () => {
    const events: TimedEvent[] = [
      { time: at(1), msg: 'batch attached' },
      ...videoEvents('a', { 'video.verified': 2, 'download.start': 2, 'download.end': 4, 'video.finished': 10 }),
      ...videoEvents('b', { 'video.verified': 11, 'download.start': 11, 'download.end': 13, 'video.finished': 19 }),
    ];
    const cpu = [
      { time: at(5), busy: 1 },
      { time: at(15), busy: 0.5 },
    ];
    const t = buildRunTimeline({ events, processStart: at(0), processEnd: at(20), cpu, cores: 2, bucketSeconds: 10 });
    assert.equal(t.startupSeconds, 2);
    assert.equal(t.shutdownSeconds, 1);
    assert.equal(t.wallSeconds, 20);
    assert.deepEqual(
      t.videos.map((v) => [v.videoId, v.stages.waiting]),
      [
        ['a', 1],
        ['b', 1],
      ],
    );
    assert.equal(t.totals.download, 4);
    assert.equal(t.idleCoreSeconds, 0.25 * 2 * 20);
    assert.deepEqual(t.cpuBuckets, [1, 0.5]);
    const text = formatRunTimeline(t);
    assert.match(text, /start-up 2\.00 s/);
    // Neither video logged an encode: all from its download's end to its record counts as record.
    assert.equal(t.roundTripsPerVideo, 6);
    assert.match(text, /round trips per video \(to download, to encode, record; median\): 6\.000 s/);
    assert.match(text, /CPU busy per 10 s \(% of all cores\): 100 50/);
  });

  test('CPU buckets average their samples and leave empty buckets at 0', () => {
    const samples = [
      { time: at(0.5), busy: 0.2 },
      { time: at(0.9), busy: 0.4 },
      { time: at(2.5), busy: 1 },
    ];
    assert.deepEqual(
      bucketCpu(samples, at(0), at(3), 1).map((b) => Math.round(b * 10) / 10),
      [0.3, 0, 1],
    );
  });
});
