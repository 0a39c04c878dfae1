import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { MetricMeter, MetricTags } from '@temporalio/common';
import { parse } from 'yaml';
import { UsageError } from '../../src/client/exit-codes.js';
import { OPTION_DEFAULTS, parseWorkerOptions } from '../../src/client/options.js';
import {
  METRICS,
  SECONDS_BUCKETS,
  encoderLabels,
  exportedName,
  histogramBuckets,
  metricNamesInExpr,
  scrapedValue,
  seriesNamesInScrape,
  type MetricDefinition,
} from '../../src/core/metrics.js';
import { VstreamMetrics } from '../../src/tools/metrics.js';
import { PROJECT_ROOT } from '../../src/tools/project.js';
import { metricsEndpoint, metricsTelemetry } from '../../src/worker/runtime.js';

/** A meter that keeps each series' last value (gauges) or total (counters), and histogram records. */
function recordingMeter() {
  const values = new Map<string, number>();
  const records = new Map<string, number[]>();
  const key = (name: string, tags: MetricTags = {}) =>
    `${name}{${Object.entries(tags)
      .sort()
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(',')}}`;
  const base = (name: string) => ({ name, valueType: 'float' as const, withTags: () => assert.fail('not used') });
  const meter = {
    createCounter: (name: string) => ({
      ...base(name),
      kind: 'counter',
      add: (v: number, tags?: MetricTags) => values.set(key(name, tags), (values.get(key(name, tags)) ?? 0) + v),
    }),
    createGauge: (name: string) => ({
      ...base(name),
      kind: 'gauge',
      set: (v: number, t?: MetricTags) => values.set(key(name, t), v),
    }),
    createHistogram: (name: string) => ({
      ...base(name),
      kind: 'histogram',
      record: (v: number, tags?: MetricTags) =>
        records.set(key(name, tags), [...(records.get(key(name, tags)) ?? []), v]),
    }),
    withTags: () => assert.fail('not used'),
  } as unknown as MetricMeter;
  return { meter, values, records, key };
}

describe('metric definitions', () => {
  const definitions = Object.values(METRICS) as MetricDefinition[];

  test('names are unique, vstream_-prefixed Prometheus names; counters export with _total', () => {
    const names = definitions.map((m) => m.name);
    assert.equal(new Set(names).size, names.length);
    for (const name of names) assert.match(name, /^vstream_[a-z_]+$/);
    assert.equal(exportedName(METRICS.videos), 'vstream_videos_total');
    assert.equal(exportedName(METRICS.tempDiskBytes), 'vstream_temp_disk_bytes');
    assert.equal(exportedName(METRICS.encodeSeconds), 'vstream_encode_seconds');
  });

  test('the seconds histograms get seconds buckets; the exporter labels every series with the host', () => {
    assert.deepEqual(histogramBuckets(), {
      vstream_download_seconds: SECONDS_BUCKETS,
      vstream_encode_seconds: SECONDS_BUCKETS,
    });
    const telemetry = metricsTelemetry({ bindAddress: '0.0.0.0:9464', hostId: 'gpu-1' });
    assert.deepEqual(telemetry.globalTags, { host: 'gpu-1' });
    assert.equal(telemetry.prometheus.countersTotalSuffix, true);
  });

  test('encoder and device labels', () => {
    assert.deepEqual(encoderLabels({ kind: 'nvenc', deviceId: 1 }), { encoder: 'hevc_nvenc', device: 'gpu-1' });
    assert.deepEqual(encoderLabels({ kind: 'x265' }), { encoder: 'libx265', device: 'cpu' });
  });
});

describe('PromQL and scrapes', () => {
  test('metric names of an expression: not functions, labels, ranges, grouping or keywords', () => {
    assert.deepEqual(
      metricNamesInExpr('sum by (host, device) (rate(vstream_encode_seconds_sum{device=~"gpu-.*"}[$__rate_interval]))'),
      ['vstream_encode_seconds_sum'],
    );
    assert.deepEqual(metricNamesInExpr('max(a_since) * 1000 and on() (max(b_until) > time()) or vector(0) offset 5m'), [
      'a_since',
      'b_until',
    ]);
    assert.deepEqual(metricNamesInExpr('sum without (le) (increase(x_total{status="a by (b)"}[1h])) / 3600'), [
      'x_total',
    ]);
  });

  const text = [
    '# HELP vstream_videos_total Videos',
    '# TYPE vstream_videos_total counter',
    'vstream_videos_total{error_type="none",host="h",status="succeeded"} 3',
    'vstream_videos_total{error_type="Network",host="h",status="failed"} 2',
    'vstream_temp_disk_bytes{host="h"} 1.5e3',
    'up 1',
  ].join('\n');

  test('series names skip comments; values sum the series whose labels match', () => {
    assert.deepEqual([...seriesNamesInScrape(text)], ['vstream_videos_total', 'vstream_temp_disk_bytes', 'up']);
    assert.equal(scrapedValue(text, 'vstream_videos_total'), 5);
    assert.equal(scrapedValue(text, 'vstream_videos_total', { status: 'failed' }), 2);
    assert.equal(scrapedValue(text, 'vstream_videos_total', { status: 'partial' }), 0);
    assert.equal(scrapedValue(text, 'vstream_temp_disk_bytes', { host: 'h' }), 1500);
    assert.equal(scrapedValue(text, 'up'), 1);
  });
});

describe('VstreamMetrics', () => {
  test('initialise lists every metric for the worker label values; recording adds to those series', () => {
    const { meter, values, records, key } = recordingMeter();
    const metrics = new VstreamMetrics(meter);
    const gpu = { kind: 'nvenc', deviceId: 0 } as const;
    metrics.initialise([gpu]);
    const named = new Set([...values.keys(), ...records.keys()].map((k) => k.slice(0, k.indexOf('{'))));
    assert.deepEqual([...named].sort(), (Object.values(METRICS) as MetricDefinition[]).map((m) => m.name).sort());
    assert.equal(values.get(key('vstream_videos', { status: 'cancelled', error_type: 'none' })), 0);
    assert.equal(values.get(key('vstream_nvenc_sessions_in_use', { device: 'gpu-0' })), 0);

    metrics.videoRecorded('failed', 'Network');
    metrics.videoRecorded('succeeded', null);
    metrics.clipWritten(gpu);
    metrics.encodePassDone(gpu, 2.5, 120);
    metrics.downloaded(1000, 1.25);
    metrics.nvencSessionsInUse(0, 2);
    assert.equal(values.get(key('vstream_videos', { status: 'failed', error_type: 'Network' })), 1);
    assert.equal(values.get(key('vstream_videos', { status: 'succeeded', error_type: 'none' })), 1);
    const onGpu = { encoder: 'hevc_nvenc', device: 'gpu-0' };
    assert.equal(values.get(key('vstream_clips_written', onGpu)), 1);
    assert.equal(values.get(key('vstream_encode_frames', onGpu)), 120);
    assert.deepEqual(records.get(key('vstream_encode_seconds', onGpu)), [0, 2.5]);
    assert.equal(values.get(key('vstream_download_bytes')), 1000);
    assert.equal(values.get(key('vstream_nvenc_sessions_in_use', { device: 'gpu-0' })), 2);
    // Every series carries exactly its definition's labels (host is the runtime's).
    const labelsOf = new Map((Object.values(METRICS) as MetricDefinition[]).map((m) => [m.name, [...m.labels].sort()]));
    for (const series of [...values.keys(), ...records.keys()]) {
      const [name = '', tags = ''] = series.slice(0, -1).split('{');
      const names = tags ? tags.split(',').map((t) => t.split('=')[0]) : [];
      assert.deepEqual(names, labelsOf.get(name), series);
    }
  });

  test('the temporary disk gauge measures the work dirs after a change', async () => {
    const { meter, values, key } = recordingMeter();
    const metrics = new VstreamMetrics(meter);
    const work = await mkdtemp(join(tmpdir(), 'vstream-metrics-'));
    try {
      await mkdir(join(work, 'batch', 'v1'), { recursive: true });
      await writeFile(join(work, 'batch', 'v1', 'source.mp4'), Buffer.alloc(1234));
      metrics.workDirChanged(work);
      const gauge = () => values.get(key('vstream_temp_disk_bytes'));
      for (let i = 0; i < 50 && gauge() === undefined; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(gauge(), 1234);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe('--metrics-port and --metrics-address', () => {
  const raw = (over: Record<string, unknown> = {}) => ({ ...OPTION_DEFAULTS, hostId: 'h1', versioning: true, ...over });

  test('off by default; on 127.0.0.1 unless told; IPv6 in brackets', () => {
    assert.equal(parseWorkerOptions(raw()).metrics, null);
    const on = parseWorkerOptions(raw({ metricsPort: '9464' })).metrics;
    assert.deepEqual(on, { port: 9464, address: '127.0.0.1' });
    assert.deepEqual(metricsEndpoint(on, 'h1'), { bindAddress: '127.0.0.1:9464', hostId: 'h1' });
    assert.equal(metricsEndpoint({ port: 9464, address: '::' }, 'h1')?.bindAddress, '[::]:9464');
    assert.equal(metricsEndpoint(null, 'h1'), undefined);
    assert.throws(() => parseWorkerOptions(raw({ metricsPort: '70000' })), UsageError);
    assert.throws(() => parseWorkerOptions(raw({ metricsPort: 'x' })), UsageError);
  });
});

describe('the monitoring config in deploy/', () => {
  const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8');

  test('the dashboard is JSON on the provisioned datasource; Prometheus and provisioning are YAML', () => {
    const source = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: Array<{ uid: string; type: string; url: string }>;
    };
    const [datasource] = source.datasources;
    assert.equal(datasource?.type, 'prometheus');
    assert.equal(datasource?.url, 'http://prometheus:9090');
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/vstream.json')) as {
      uid: string;
      panels: Array<{
        title: string;
        datasource: { uid: string };
        targets: Array<{ datasource: { uid: string }; expr: string }>;
      }>;
    };
    assert.equal(dashboard.uid, 'vstream');
    for (const panel of dashboard.panels) {
      assert.equal(panel.datasource.uid, datasource?.uid, panel.title);
      for (const target of panel.targets) assert.equal(target.datasource.uid, datasource?.uid, panel.title);
    }
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join('\n');
    for (const topic of ['clips per hour', 'failures', 'nvenc', 'temporary disk', 'pause'])
      assert.ok(titles.includes(topic), `a panel on ${topic}`);
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ job_name: string }>;
    };
    assert.deepEqual(
      prometheus.scrape_configs.map((c) => c.job_name),
      ['vstream-worker'],
    );
  });
});
