// `vstream worker --metrics-port` against a real dev server: every vstream metric is
// listed at 0 before any work (each histogram through one 0 s observation: the SDK's
// exporter lists nothing for a histogram never recorded, which a test here checks), a
// one-video batch (real yt-dlp, real ffmpeg) moves the counters, and every query of the
// Grafana dashboard names a metric the endpoint exports.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { SHARED_TASK_QUEUE, WORKFLOW_TYPES } from '../../src/config.js';
import type { BatchInput } from '../../src/core/batch-input.js';
import {
  METRICS,
  exportedName,
  metricNamesInExpr,
  scrapedValue,
  seriesNamesInScrape,
  type MetricDefinition,
} from '../../src/core/metrics.js';
import type { BatchSummary } from '../../src/core/types.js';
import type { MediaServer } from '../../src/devkit/media-server.js';
import { freePort, startDevServer, type DevServer } from '../../src/server/dev-server.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { batchDirs, serveSamples, startCli, waitFor, type BatchDirs, type StartedCli } from '../helpers/e2e.js';
import { ROOT } from '../helpers/paths.js';

const HOST = 'metrics-host';
const CLIPS = ['0 15', '15 30', '30 60'];
const FRAMES = 15 + 15 + 30;
const DASHBOARD = join(ROOT, 'deploy/grafana/dashboards/vstream.json');

let dirs: BatchDirs;
let media: MediaServer;
let temporal: DevServer;
let worker: StartedCli;
let metricsUrl: string;

const scrape = async () => (await fetch(metricsUrl)).text();
const definitions = Object.values(METRICS) as MetricDefinition[];
/** The series a metric shows in a scrape: a histogram's `_count` stands for it. */
const seriesOf = (m: MetricDefinition) => (m.kind === 'histogram' ? `${m.name}_count` : exportedName(m));

before(async () => {
  dirs = await batchDirs('metrics');
  const sample = { width: 640, height: 360, fps: 30, seconds: 2, pattern: 'index' } as const;
  media = await serveSamples(dirs, ['m1'], sample, CLIPS);
  temporal = await startDevServer({
    temporalBin: resolveTool('temporal'),
    dbFile: join(dirs.root, 'temporal.db'),
    logFile: join(dirs.root, 'server.log'),
  });
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = startCli([
    'worker',
    '--temporal-address',
    temporal.address,
    '--host-id',
    HOST,
    '--encoder',
    'x265',
    '--cpu-slots',
    '1',
    '--work-dir',
    dirs.work,
    '--log-level',
    'error',
    '--metrics-port',
    String(port),
  ]);
  await waitFor('the worker to start', () => worker.output.stdout.includes(`host ${HOST}:`), 60_000);
});

after(async () => {
  if (worker) worker.child.kill('SIGKILL');
  await temporal?.stop();
  await media?.close();
});

test('before any work, the endpoint lists every vstream metric at 0, labelled with the host', async () => {
  assert.match(worker.output.stdout, new RegExp(`metrics on ${metricsUrl.replace(/[/.]/g, '\\$&')}`));
  const text = await scrape();
  const names = seriesNamesInScrape(text);
  for (const metric of definitions) {
    const series = seriesOf(metric);
    assert.ok(names.has(series), `${series} is listed`);
    assert.match(text, new RegExp(`^${series}\\{[^}]*host="${HOST}"`, 'm'), `${series} has host="${HOST}"`);
    if (metric.kind !== 'histogram') assert.equal(scrapedValue(text, series), 0, `${series} is 0`);
    else {
      // One series per histogram on this host (one encoder), holding the start-up's 0 s observation.
      assert.equal(scrapedValue(text, series), 1, `${series}: the one 0 s observation`);
      assert.equal(scrapedValue(text, `${metric.name}_sum`), 0, `${metric.name}_sum is 0`);
    }
  }
  assert.equal(scrapedValue(text, 'vstream_videos_total', { status: 'succeeded', error_type: 'none' }), 0);
  assert.equal(scrapedValue(text, 'vstream_clips_written_total', { encoder: 'libx265', device: 'cpu' }), 0);
  // Counters end in _total, no unit suffix: what the dashboard and the README name.
  assert.ok(!names.has('vstream_videos') && !names.has('vstream_download_bytes_bytes'));
  assert.ok(
    [...names].some((n) => n.startsWith('temporal_')),
    "the SDK's runtime metrics are served too",
  );
});

test('a one-video batch moves the counters; every dashboard query names an exported metric', async () => {
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  const input: BatchInput = {
    urlsFile: dirs.urls,
    clipDir: dirs.clips,
    outDir: dirs.out,
    workDir: dirs.work,
    workers: 1,
    startDelaySeconds: 0,
  };
  const handle = await client.workflow.start(WORKFLOW_TYPES.batch, {
    taskQueue: SHARED_TASK_QUEUE,
    workflowId: 'metrics',
    args: [input],
  });
  const summary = (await handle.result()) as BatchSummary;
  assert.equal(summary.counts.succeeded, 1, JSON.stringify(summary));
  await client.connection.close();

  const text = await waitFor(
    'the succeeded video on the endpoint',
    async () => {
      const body = await scrape();
      return scrapedValue(body, 'vstream_videos_total', { status: 'succeeded' }) === 1 && body;
    },
    10_000,
  );
  const labels = { host: HOST, encoder: 'libx265', device: 'cpu' };
  assert.equal(scrapedValue(text, 'vstream_clips_written_total', labels), CLIPS.length);
  assert.equal(scrapedValue(text, 'vstream_encode_frames_total', labels), FRAMES);
  assert.ok(scrapedValue(text, 'vstream_encode_seconds_sum', labels) > 0, 'encode seconds recorded');
  assert.ok(scrapedValue(text, 'vstream_download_bytes_total', { host: HOST }) > 0, 'download bytes counted');
  assert.ok(scrapedValue(text, 'vstream_download_seconds_sum', { host: HOST }) > 0, 'download seconds recorded');
  // The one download, and the start-up's 0 s observation.
  assert.equal(scrapedValue(text, 'vstream_download_seconds_count', { host: HOST }), 2);
  assert.equal(scrapedValue(text, 'vstream_videos_total', { status: 'failed' }), 0);
  assert.equal(scrapedValue(text, 'vstream_backoff_pauses_total'), 0, 'no pause');
  // The source was downloaded, then deleted: the gauge comes back to 0.
  await waitFor(
    'the temporary disk back at 0',
    async () => scrapedValue(await scrape(), 'vstream_temp_disk_bytes') === 0,
  );

  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Array<{ targets: { expr: string }[] }> };
  const exported = seriesNamesInScrape(await scrape());
  const queried = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNamesInExpr(t.expr)));
  assert.ok(queried.length >= dashboard.panels.length, 'every panel queries a metric');
  const missing = [...new Set(queried)].filter((name) => !exported.has(name));
  assert.deepEqual(missing, [], 'every metric the dashboard queries is exported');
});

test("the SDK's Prometheus exporter lists nothing, not even # HELP or # TYPE, for a histogram never recorded", async () => {
  // Why each histogram starts with a 0 s observation: should the SDK list an empty one, drop it.
  // The worker under test runs in its own process: this one has no runtime yet.
  const port = await freePort();
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } } });
  const meter = Runtime.instance().metricMeter;
  meter.createHistogram('vstream_probe_unrecorded_seconds', 'float', 's', 'never recorded');
  meter.createHistogram('vstream_probe_recorded_seconds', 'float', 's', 'recorded once').record(0);
  const text = await waitFor(
    'the recorded histogram on the endpoint',
    async () => {
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return body.includes('vstream_probe_recorded_seconds_count') && body;
    },
    10_000,
  );
  assert.match(text, /^# TYPE vstream_probe_recorded_seconds histogram$/m);
  assert.doesNotMatch(text, /vstream_probe_unrecorded_seconds/);
});
