import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { reportRunSettings } from '../../src/core/batch-input.js';
import { histogram, niceStep, ReportDigest, throughput } from '../../src/core/report-digest.js';
import { buildReportHtml, escapeHtml, reportRow, scriptJson, settingsRows } from '../../src/core/report-html.js';
import { buildReport } from '../../src/core/report.js';
import type { VideoResult } from '../../src/core/types.js';
import { buildVideoResult, videoTimings } from '../../src/core/video-result.js';

const HOSTILE = '</script><img src=x onerror=alert(1)>';
const clip = { file: 'a_0_30.hevc', startFrame: 0, endFrame: 30, frames: 30, bytes: 9, encoder: 'libx265 ultrafast' };
const base = { url: 'http://h/x.mp4', clipErrors: [], reason: null, errorType: null };
const videos: VideoResult[] = [
  {
    ...base,
    videoId: 'a',
    line: 1,
    status: 'succeeded',
    clips: [clip],
    timings: {
      startedAt: '2026-01-01T00:00:00.000Z',
      downloadSeconds: 3,
      encodeSeconds: 12,
      finishedAt: '2026-01-01T00:00:20.000Z',
    },
  },
  {
    ...base,
    videoId: 'b',
    line: 2,
    status: 'failed',
    reason: HOSTILE,
    errorType: 'VideoUnavailable',
    clips: [],
    timings: { finishedAt: '2026-01-01T00:01:05.000Z' },
  },
];
const report = buildReport({
  batchId: 'batch-1',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:02:00.000Z',
  rejectedLines: [],
  videos,
});
const options = {
  chartLibrary: 'window.Chart = function () {}; // "</script>" in a comment',
  ui: { uiUrl: 'http://127.0.0.1:9999', namespace: 'default' },
  encodeSettings: { width: 1280, height: 720, fps: 30, maxrateKbps: 4000, bufsizeKbits: 8000, gop: 240 },
  run: reportRunSettings({ urlsFile: 'u', clipDir: 'c', outDir: 'o', workDir: 'w', downloadMode: 'auto' }, 3),
};
/** The JSON of a <script type="application/json" id=...> block, as the browser reads it. */
const jsonBlock = (html: string, id: string): unknown => {
  const match = new RegExp(`<script type="application/json" id="${id}">([\\s\\S]*?)</script>`).exec(html);
  assert.ok(match, `block ${id}`);
  return JSON.parse(match[1] as string);
};

describe('report.html', () => {
  const html = buildReportHtml(report, options);

  test('a hostile reason stays data: no tag of it reaches the markup, the JSON gives it back whole', () => {
    assert.ok(!html.includes('<img'), 'no <img> in the page');
    assert.equal(html.match(/<\/script>/g)?.length, html.match(/<script/g)?.length, 'every script closes once');
    const rows = jsonBlock(html, 'report-rows') as unknown[][];
    assert.equal(rows[1]?.[5], HOSTILE);
    assert.equal(escapeHtml(HOSTILE), '&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    assert.ok(!scriptJson({ r: HOSTILE }).includes('<'));
  });

  test('counts, error types and rows come from the report', () => {
    assert.match(html, /data-count="succeeded">1</);
    assert.match(html, /data-count="failed">1</);
    assert.match(html, /data-count="clips">1</);
    assert.match(html, /data-error-type="VideoUnavailable">1</);
    assert.deepEqual(jsonBlock(html, 'report-rows'), videos.map(reportRow));
    assert.deepEqual(reportRow(videos[0] as VideoResult), [1, 'a', 'succeeded', 1, null, null, 3, 12]);
  });

  test('the charts get binned numbers and the video links their UI prefix', () => {
    const data = jsonBlock(html, 'report-data') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(data.statuses.counts, [1, 0, 0, 1, 0]);
    assert.deepEqual(data.errorTypes, { labels: ['VideoUnavailable'], counts: [1] });
    assert.equal(data.download.total, 1);
    assert.equal(data.encode.total, 1);
    assert.deepEqual(
      data.throughput.videos.reduce((a: number, b: number) => a + b, 0),
      2,
    );
    assert.equal(data.workflowUrlPrefix, 'http://127.0.0.1:9999/namespaces/default/workflows/');
    assert.equal(data.workflowIdPrefix, 'batch-1/');
  });

  test('without a UI, or with a UI address that is not http(s), no link is made', () => {
    for (const ui of [null, { uiUrl: 'javascript:alert(1)//', namespace: 'default' }]) {
      const page = buildReportHtml(report, { ...options, ui });
      assert.equal((jsonBlock(page, 'report-data') as { workflowUrlPrefix: unknown }).workflowUrlPrefix, null);
      assert.ok(!page.includes('id="batch-link"'));
    }
  });

  test('settings name the encoder its clips record, the size, rate control and the batch choices', () => {
    const rows = Object.fromEntries(settingsRows(options.encodeSettings, options.run, { 'libx265 ultrafast': 1 }));
    assert.equal(rows.encoder, 'libx265 ultrafast (1 clips)');
    assert.equal(rows.size, '1280x720');
    assert.equal(rows['download mode'], 'auto');
    assert.equal(rows['videos in flight'], '3');
    assert.equal(rows['downloaded ahead of the encoders'], undefined, 'a batch without downloadAhead has no such row');
    const ahead = Object.fromEntries(settingsRows(options.encodeSettings, { ...options.run, downloadAhead: 2 }, {}));
    assert.equal(ahead['downloaded ahead of the encoders'], '2');
    assert.match(html, /<th>rate control<\/th><td>VBR, max 4000 kbit\/s, buffer 8000 kbit, GOP 240<\/td>/);
    const capped = Object.fromEntries(settingsRows({ ...options.encodeSettings!, crf: 23 }, undefined, {}));
    assert.equal(capped['rate control'], 'libx265 CRF 23 (NVENC VBR), max 4000 kbit/s, buffer 8000 kbit, GOP 240');
  });

  test('the chart library is inlined and cannot end its script early', () => {
    assert.ok(html.includes('window.Chart = function () {}; // "<\\/script>" in a comment'));
  });
});

describe('report digest', () => {
  test('niceStep rounds up to 1, 2 or 5 times a power of ten', () => {
    assert.deepEqual([0.3, 1, 1.1, 3, 7, 45, 0].map(niceStep), [0.5, 1, 2, 5, 10, 50, 1]);
  });

  test('histogram: equal bins from 0 past the largest value, every value counted once', () => {
    const h = histogram([0, 1, 1.5, 9.9, 48]);
    assert.equal(h.total, 5);
    assert.equal(
      h.counts.reduce((a, b) => a + b, 0),
      5,
    );
    assert.ok(h.counts.length <= 24);
    assert.equal(h.labels[0], '0–2 s');
    assert.deepEqual(histogram([]), { labels: [], counts: [], total: 0 });
  });

  test('throughput buckets videos and clips by finish time', () => {
    const t0 = Date.parse('2026-01-01T10:00:00Z');
    const t = throughput([t0, t0 + 500, t0 + 61_000], [2, 3, 1]);
    assert.equal(t.bucketSeconds, 2);
    assert.equal(t.labels[0], '10:00:00');
    assert.equal(t.videos[0], 2);
    assert.equal(t.clips[0], 5);
    assert.equal(t.videos.at(-1), 1);
    assert.equal(
      t.videos.reduce((a, b) => a + b, 0),
      3,
    );
  });

  test('videos without timings count in no time chart; clips count per encoder', () => {
    const digest = new ReportDigest();
    digest.add({ clips: [clip, { ...clip, encoder: undefined }] });
    const charts = digest.charts();
    assert.equal(charts.download.total, 0);
    assert.equal(charts.throughput.labels.length, 0);
    assert.deepEqual(charts.encoders, { 'libx265 ultrafast': 1, 'not recorded': 1 });
  });
});

describe('video timings', () => {
  const video = { index: 0, line: 1, url: 'u', videoId: 'v' };
  const none = { video, clipErrors: [], existing: [], produced: [], unproducible: [], failure: null };

  test('download and encode seconds go into the result; nothing measured, no timings', () => {
    const timings = videoTimings({ downloadStartedAt: '2026-01-01T00:00:00.000Z', downloadSeconds: 2.5 }, 7);
    assert.deepEqual(timings, { startedAt: '2026-01-01T00:00:00.000Z', downloadSeconds: 2.5, encodeSeconds: 7 });
    assert.deepEqual(buildVideoResult({ ...none, timings }).timings, timings);
    assert.equal(videoTimings(null, undefined), undefined);
    assert.equal(videoTimings({}, undefined), undefined);
    assert.ok(!('timings' in buildVideoResult(none)), 'a result without timings has no timings key');
  });
});
