// A vstream worker whose activities do no I/O, for the scale benchmark:
// `node dist/bench/stub-worker.js <address>`. Same workflows, same queues. With
// BENCH_METRICS_PORT, it serves metrics as `vstream worker --metrics-port` does (the same
// runtime options) and its activities record what the real ones record, through the
// same module (src/tools/metrics.ts).
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import type { HostActivities, SharedActivities } from '../src/activities/index.js';
import { createPolicyActivities } from '../src/activities/policy.js';
import { SHARED_TASK_QUEUE, hostTaskQueue } from '../src/config.js';
import type { EncoderConfig } from '../src/core/types.js';
import { VstreamMetrics } from '../src/tools/metrics.js';
import { metricsEndpoint, metricsTelemetry } from '../src/worker/runtime.js';
import { workflowSource } from '../src/worker/workflow-source.js';

const HOST_QUEUE = hostTaskQueue('stub');
const METRICS_PORT = process.env.BENCH_METRICS_PORT;
const ENDPOINT = METRICS_PORT
  ? metricsEndpoint({ port: Number(METRICS_PORT), address: '127.0.0.1' }, 'stub')
  : undefined;
const ENCODER: EncoderConfig = { kind: 'x265', preset: 'medium' };
/** Set once the runtime is installed (with the exporter), as the real worker does. */
let metrics: VstreamMetrics | undefined;

const shared: SharedActivities = {
  ...createPolicyActivities(),
  async prepareBatch({ batchId }) {
    const videos = Number(process.env.BENCH_VIDEOS);
    return { batchId, urlsFile: '', urlsSha256: '', createdAt: '', videos, rejectedLines: 0, repeatedLines: 0 };
  },
  async readVideoPage({ offset, limit }) {
    const end = Math.min(offset + limit, Number(process.env.BENCH_VIDEOS));
    return Array.from({ length: Math.max(0, end - offset) }, (_, i) => ({
      index: offset + i,
      line: offset + i + 1,
      url: `http://127.0.0.1:1/v${offset + i}.mp4`,
      videoId: `v${offset + i}`,
      prior: null,
    }));
  },
  async verifyClip() {
    if (process.env.BENCH_SKIP) return { kind: 'skipped', reason: 'bench', clipErrors: [] };
    return {
      kind: 'work',
      hostQueue: HOST_QUEUE,
      clipErrors: [],
      existing: [],
      pending: [{ line: 1, startFrame: 0, endFrame: 30 }],
      clipFileSha256: 'x',
    };
  },
  async recordVideo({ result }) {
    metrics?.videoRecorded(result.status, result.errorType);
  },
  async writeReport({ batchId, startedAt }) {
    const videos = Number(process.env.BENCH_VIDEOS);
    const counts = {
      videos,
      succeeded: videos,
      partial: 0,
      skipped: 0,
      failed: 0,
      cancelled: 0,
      clips: videos,
      rejectedLines: 0,
    };
    return { batchId, startedAt, finishedAt: new Date().toISOString(), counts, reportPath: '' };
  },
};

const host: HostActivities = {
  async download({ video, workDir }) {
    metrics?.downloaded(1, 0.01);
    metrics?.workDirChanged(workDir);
    return { path: `/nowhere/${video.videoId}.mp4`, bytes: 1, width: 1920, height: 1080, fps: 30, durationSeconds: 10 };
  },
  async encodeClips({ video, clips }) {
    metrics?.encodePassDone(
      ENCODER,
      0.01,
      clips.reduce((sum, c) => sum + c.endFrame - c.startFrame, 0),
    );
    for (let i = 0; i < clips.length; i++) metrics?.clipWritten(ENCODER);
    return {
      produced: clips.map((c) => ({
        file: `${video.videoId}.hevc`,
        startFrame: c.startFrame,
        endFrame: c.endFrame,
        frames: c.endFrame - c.startFrame,
        bytes: 1,
      })),
      unproducible: [],
      encoder: 'stub',
    };
  },
  async deleteSource({ workDir }) {
    metrics?.workDirChanged(workDir);
  },
  async finishVideo({ result, workDir }) {
    metrics?.workDirChanged(workDir);
    metrics?.videoRecorded(result.status, result.errorType);
  },
};

async function run(): Promise<void> {
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    shutdownSignals: ['SIGTERM', 'SIGINT'],
    ...(ENDPOINT ? { telemetryOptions: { metrics: metricsTelemetry(ENDPOINT) } } : {}),
  });
  if (ENDPOINT) {
    metrics = new VstreamMetrics(Runtime.instance().metricMeter);
    metrics.initialise([ENCODER]);
  }
  const connection = await NativeConnection.connect({ address: process.argv[2] as string });
  const slots = Number(process.env.BENCH_SLOTS ?? 100);
  const workers = await Promise.all([
    Worker.create({
      connection,
      taskQueue: SHARED_TASK_QUEUE,
      ...workflowSource('prebuilt'),
      activities: shared,
      maxCachedWorkflows: Number(process.env.BENCH_CACHE ?? 500),
    }),
    Worker.create({ connection, taskQueue: HOST_QUEUE, activities: host, maxConcurrentActivityTaskExecutions: slots }),
  ]);
  console.log('ready');
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
