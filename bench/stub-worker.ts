// A vstream worker whose activities do no I/O, for the scale benchmark:
// `node dist/bench/stub-worker.js <address>`. Same workflows, same queues.
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import type { HostActivities, SharedActivities } from '../src/activities/index.js';
import { createPolicyActivities } from '../src/activities/policy.js';
import { SHARED_TASK_QUEUE, hostTaskQueue } from '../src/config.js';
import { workflowSource } from '../src/worker/workflow-source.js';

const HOST_QUEUE = hostTaskQueue('stub');

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
  async recordVideo() {},
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
  async download({ video }) {
    return { path: `/nowhere/${video.videoId}.mp4`, bytes: 1, width: 1920, height: 1080, fps: 30, durationSeconds: 10 };
  },
  async encodeClips({ video, clips }) {
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
  async deleteSource() {},
  async finishVideo() {},
};

async function run(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: ['SIGTERM', 'SIGINT'] });
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
