// report.html in a real browser (Debian's headless Chromium through playwright-core): a small
// real batch with one 404 video writes it beside report.json; opened from file:// with no
// network, its charts draw, and its counts, error types, rows and links equal report.json's.
// A synthetic page of 250 videos checks paging, the status filter and a hostile reason.
// Screenshots are kept in the test's temporary folder, their paths printed.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ExitCode } from '../../src/client/exit-codes.js';
import { videoWorkflowId } from '../../src/core/batch-input.js';
import * as layout from '../../src/core/layout.js';
import { buildReportHtml } from '../../src/core/report-html.js';
import { buildReport, type Report } from '../../src/core/report.js';
import { workflowPageUrl } from '../../src/core/ui-links.js';
import type { MediaServer } from '../../src/devkit/media-server.js';
import { syntheticVideo } from '../../src/devkit/synthetic-report.js';
import { readChartLibrary } from '../../src/tools/report-html-file.js';
import { outputFolderUiUrl } from '../../src/tools/ui-port.js';
import { launchBrowser, screenshot } from '../helpers/browser.js';
import { runBatchWithMissingVideo, type BatchDirs, type CliRun } from '../helpers/e2e.js';

const OK = ['ok0', 'ok1'];
const GONE = 'gone';
const CHARTS = ['chart-status', 'chart-errors', 'chart-throughput', 'chart-download', 'chart-encode'];
const HOSTILE = '</script><img src=x onerror=alert(1)>';
let dirs: BatchDirs;
let media: MediaServer;
let run: CliRun;
let browser: Browser;

before(async () => {
  ({ dirs, media, run } = await runBatchWithMissingVideo('report-html', OK, GONE));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await media?.close();
});

/** The page at a file, loaded; what it asked of anything but the file system, and its script errors. */
async function openFile(path: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) requests.push(request.url());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
  await page.waitForSelector('body[data-rendered="true"]', { timeout: 30_000 });
  return { page, requests, errors };
}

/** The table's rows as shown: cell texts, and the video cell's link. */
const shownRows = (page: Page) =>
  page.$$eval('#video-table tbody tr', (trs) =>
    trs.map((tr) => ({
      cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
      href: tr.querySelector('a')?.getAttribute('href') ?? null,
    })),
  );

test('report.html beside report.json: charts drawn, numbers, rows and links equal report.json, offline', async (t) => {
  assert.equal(run.code, ExitCode.incomplete, run.stdout + run.stderr);
  const htmlPath = layout.reportHtmlBeside(layout.latestReportPath(dirs.out));
  assert.match(run.stdout, new RegExp(`^report for people \\(open in a browser\\): ${htmlPath}$`, 'm'));
  const report = JSON.parse(await readFile(layout.latestReportPath(dirs.out), 'utf8')) as Report;

  // Timings in report.json: the downloaded videos have all four; the 404 only its finish.
  for (const video of report.videos) {
    const timings = video.timings ?? {};
    assert.ok(Number.isFinite(Date.parse(timings.finishedAt ?? '')), JSON.stringify(video));
    if (video.videoId === GONE) {
      assert.equal(video.status, 'failed');
      assert.equal(timings.downloadSeconds, undefined);
    } else {
      assert.ok((timings.downloadSeconds ?? -1) >= 0 && (timings.encodeSeconds ?? -1) > 0, JSON.stringify(video));
      assert.ok(Date.parse(timings.startedAt ?? '') <= Date.parse(timings.finishedAt ?? ''), JSON.stringify(video));
    }
  }

  const { page, requests, errors } = await openFile(htmlPath);
  const charts = await Promise.all(
    CHARTS.map((id) =>
      page.$eval(
        `#${id}`,
        (canvas, chartId) => {
          // The page's Chart.js: the chart drawn on this canvas, and the numbers it was given.
          const { Chart } = globalThis as unknown as { Chart: { getChart(c: unknown): ChartData | undefined } };
          interface ChartData {
            data: { labels: string[]; datasets: Array<{ data: number[] }> };
          }
          const box = canvas.getBoundingClientRect();
          const chart = Chart.getChart(canvas);
          return {
            id: chartId,
            width: box.width,
            height: box.height,
            labels: chart?.data.labels ?? [],
            data: (chart?.data.datasets ?? []).map((d) => d.data),
          };
        },
        id,
      ),
    ),
  );
  for (const chart of charts) {
    assert.ok(chart.width > 100 && chart.height > 100, `${chart.id} drawn: ${JSON.stringify(chart)}`);
    assert.ok(chart.labels.length > 0, `${chart.id} has data`);
  }
  const [status, failures, throughput, download, encode] = charts;
  const { counts } = report;
  assert.deepEqual(status?.data[0], [
    counts.succeeded,
    counts.partial,
    counts.skipped,
    counts.failed,
    counts.cancelled,
  ]);
  assert.deepEqual(failures?.labels, Object.keys(counts.byErrorType ?? {}));
  assert.deepEqual(failures?.data[0], Object.values(counts.byErrorType ?? {}));
  const sum = (values: number[] | undefined) => (values ?? []).reduce((a, b) => a + b, 0);
  assert.equal(sum(throughput?.data[0]), counts.videos, 'every recorded video finished in some bucket');
  assert.equal(sum(throughput?.data[1]), counts.clips);
  assert.equal(sum(download?.data[0]), OK.length);
  assert.equal(sum(encode?.data[0]), OK.length);

  // The numbers in the counts tables.
  const shownCounts = await page.$$eval('[data-count]', (cells) =>
    Object.fromEntries(cells.map((c) => [c.getAttribute('data-count'), Number(c.textContent)])),
  );
  const { byErrorType, ...plainCounts } = counts;
  assert.deepEqual(shownCounts, plainCounts);
  const shownErrors = await page.$$eval('[data-error-type]', (cells) =>
    Object.fromEntries(cells.map((c) => [c.getAttribute('data-error-type'), Number(c.textContent)])),
  );
  assert.deepEqual(shownErrors, byErrorType);

  // The rows, in list order, each linked to its workflow in the folder's UI.
  const uiUrl = await outputFolderUiUrl(dirs.out);
  assert.ok(uiUrl);
  const batchId = report.batchId;
  assert.deepEqual(
    await shownRows(page),
    report.videos.map((v) => ({
      cells: [String(v.line), v.videoId, v.status, String(v.clips.length), v.errorType ?? '', v.reason ?? ''].concat(
        [v.timings?.downloadSeconds, v.timings?.encodeSeconds].map((s) => (s === undefined ? '' : String(s))),
      ),
      href: workflowPageUrl(uiUrl, 'default', videoWorkflowId(batchId, v.videoId)),
    })),
  );
  assert.match((await page.textContent('#settings')) ?? '', /1280x720|320x240|x265/);
  assert.match((await page.textContent('#page-info')) ?? '', /page 1 of 1 \(3 videos\)/);

  await page.selectOption('#status-filter', 'failed');
  assert.deepEqual(
    (await shownRows(page)).map((r) => r.cells[1]),
    [GONE],
  );
  await page.selectOption('#status-filter', '');
  await screenshot(t, page, dirs.root, 'report');
  assert.deepEqual(requests, [], 'the page fetches nothing: everything is inlined');
  assert.deepEqual(errors, []);
});

test('report.html pages 100 rows at a time, filters by status, and shows a hostile reason as text', async (t) => {
  const videos = Array.from({ length: 250 }, (_, i) => syntheticVideo(i));
  videos[120] = { ...syntheticVideo(120), status: 'failed', reason: HOSTILE, errorType: 'Unknown', clips: [] };
  const report = buildReport({
    batchId: 'synthetic',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T01:00:00.000Z',
    rejectedLines: [],
    videos,
  });
  const path = join(dirs.root, 'synthetic-report.html');
  const ui = { uiUrl: 'http://127.0.0.1:1', namespace: 'default' };
  await writeFile(path, buildReportHtml(report, { chartLibrary: await readChartLibrary(), ui, encodeSettings: null }));
  const { page, errors } = await openFile(path);
  const firstLines = async () => (await shownRows(page)).map((r) => Number(r.cells[0]));

  assert.equal(await page.textContent('#page-info'), 'page 1 of 3 (250 videos)');
  assert.deepEqual(
    await firstLines(),
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
  assert.ok(await page.isDisabled('#page-prev'));
  await page.click('#page-next');
  await page.click('#page-next');
  assert.equal(await page.textContent('#page-info'), 'page 3 of 3 (250 videos)');
  assert.deepEqual(
    await firstLines(),
    Array.from({ length: 50 }, (_, i) => i + 201),
  );
  assert.ok(await page.isDisabled('#page-next'));

  await page.selectOption('#status-filter', 'failed');
  const failedRows = await shownRows(page);
  assert.equal(failedRows.length, report.counts.failed);
  assert.ok(failedRows.every((r) => r.cells[2] === 'failed'));
  assert.equal(failedRows.find((r) => r.cells[0] === '121')?.cells[5], HOSTILE, 'the reason shows as text');
  assert.equal(await page.locator('img').count(), 0, 'no element came from the reason');
  await page.fill('#search', videos[7]?.videoId ?? '');
  await page.selectOption('#status-filter', '');
  assert.deepEqual(await firstLines(), [8]);
  await page.fill('#search', '');
  await screenshot(t, page, dirs.root, 'synthetic-report');
  assert.deepEqual(errors, []);
});
