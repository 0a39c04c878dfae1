// Two hosts on one machine (two `vstream worker` processes with their own host IDs
// and work dirs) against one server. A recording encoder stands in for ffmpeg: this
// tests routing, not encoding. Every encode runs on the host that downloaded its
// source, no GPU ever holds more sessions than its budget, and a host killed
// mid-video has its videos completed by the other; back, it cleans its leftovers.
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { SHARED_TASK_QUEUE, WORKFLOW_TYPES } from '../../src/config.js';
import type { BatchInput } from '../../src/core/batch-input.js';
import type { Report } from '../../src/core/report.js';
import type { BatchSummary } from '../../src/core/types.js';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import { generateSample } from '../../src/devkit/sample-videos.js';
import { startDevServer, type DevServer } from '../../src/server/dev-server.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { probeClip } from '../../src/tools/probe.js';
import { listFiles, startCli, tempDir, waitFor, type StartedCli } from '../helpers/e2e.js';
import { FIXTURES } from '../helpers/paths.js';

const VIDEOS = Array.from({ length: 8 }, (_, i) => `r${i}`);
const CLIPS = ['0 20', '20 40', '40 60', '60 80'];
const HOSTS = {
  hostA: { gpus: '0,1', sessions: 1 },
  hostB: { gpus: '0', sessions: 2 },
} as const;
type HostId = keyof typeof HOSTS;

let root: string;
let media: MediaServer;
let temporal: DevServer;
const workers = new Map<HostId, StartedCli>();
const recordLog = () => join(root, 'encodes.jsonl');
const workDir = (host: HostId) => join(root, `work-${host}`);

function startHost(host: HostId): StartedCli {
  const worker = startCli(
    [
      'worker',
      '--temporal-address',
      temporal.address,
      '--host-id',
      host,
      '--gpus',
      HOSTS[host].gpus,
      '--sessions-per-gpu',
      String(HOSTS[host].sessions),
      '--download-slots',
      '2',
      '--work-dir',
      workDir(host),
      '--encoder',
      'nvenc',
      '--log-level',
      'error',
    ],
    {
      VSTREAM_FFMPEG_BIN: join(FIXTURES, 'recording-ffmpeg.mjs'),
      VSTREAM_REAL_FFMPEG: resolveTool('ffmpeg'),
      VSTREAM_RECORD_LOG: recordLog(),
      VSTREAM_TEST_HOST: host,
    },
  );
  workers.set(host, worker);
  return worker;
}

before(async () => {
  root = await tempDir('routing');
  await mkdir(join(root, 'clips'), { recursive: true });
  for (const name of VIDEOS) {
    await generateSample(resolveTool('ffmpeg'), join(root, 'sources'), {
      name,
      width: 1280,
      height: 720,
      fps: 30,
      seconds: 3,
      pattern: 'index',
    });
    await writeFile(join(root, 'clips', `${name}.txt`), `${CLIPS.join('\n')}\n`);
  }
  const size = (await stat(join(root, 'sources', 'r0.mp4'))).size;
  media = await startMediaServer({ root: join(root, 'sources'), bytesPerSecond: Math.ceil(size / 2) });
  await writeFile(join(root, 'urls.txt'), `${VIDEOS.map((v) => media.url(`${v}.mp4`)).join('\n')}\n`);
  temporal = await startDevServer({
    temporalBin: resolveTool('temporal'),
    dbFile: join(root, 'temporal.db'),
    logFile: join(root, 'server.log'),
  });
});

after(async () => {
  for (const worker of workers.values()) worker.child.kill('SIGKILL');
  await temporal?.stop();
  await media?.close();
});

interface Encode {
  event: 'start' | 'end';
  pid: number;
  host: HostId;
  device: number;
  source: string;
  outputs: number;
  at: number;
}

test('encodes stay on the downloading host within each GPU session budget; a lost host is replaced', async () => {
  for (const host of Object.keys(HOSTS) as HostId[]) {
    const worker = startHost(host);
    await waitFor(`${host} to start`, () => worker.output.stdout.includes(`host ${host}:`), 60_000);
  }
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const input: BatchInput = {
    urlsFile: join(root, 'urls.txt'),
    clipDir: join(root, 'clips'),
    outDir: join(root, 'out'),
    workDir: join(root, 'unused-batch-work-dir'),
    workers: 6,
    startDelaySeconds: 0,
    heartbeatTimeoutSeconds: 2,
    hostTimeoutSeconds: 8,
  };
  const handle = await client.workflow.start(WORKFLOW_TYPES.batch, {
    taskQueue: SHARED_TASK_QUEUE,
    workflowId: 'routing',
    args: [input],
  });

  // Host A dies while downloading.
  const partial = await waitFor(
    'host A to be downloading',
    async () => (await listFiles(workDir('hostA'))).find((f) => f.endsWith('.part')),
    60_000,
  );
  const lostVideo = partial.split('/')[1] as string;
  const hostA = workers.get('hostA') as StartedCli;
  process.kill(-(hostA.child.pid as number), 'SIGKILL');
  await hostA.done;

  const summary = (await handle.result()) as BatchSummary;
  assert.equal(summary.counts.succeeded, VIDEOS.length, JSON.stringify(summary.counts));
  const report = JSON.parse(await readFile(join(root, 'out', '_vstream', 'report.json'), 'utf8')) as Report;
  for (const video of report.videos) {
    for (const clip of video.clips) {
      assert.deepEqual(await probeClip(resolveTool('ffprobe'), join(root, 'out', video.videoId, clip.file)), {
        frames: 20,
        width: 1280,
        height: 720,
      });
      assert.match(clip.encoder ?? '', /hevc_nvenc \(GPU \d\)/);
    }
  }

  const encodes = (await readFile(recordLog(), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Encode);
  const starts = encodes.filter((e) => e.event === 'start');
  assert.ok(starts.length >= VIDEOS.length);
  for (const encode of starts) {
    assert.ok(
      encode.source.startsWith(`${workDir(encode.host)}/`),
      `${encode.host} encoded ${encode.source}, which it did not download`,
    );
  }
  // Sessions held per GPU over time, from the starts and ends (a killed host's ends are missing: count them to its death).
  for (const host of Object.keys(HOSTS) as HostId[]) {
    for (const device of HOSTS[host].gpus.split(',').map(Number)) {
      const events = encodes
        .filter((e) => e.host === host && e.device === device)
        .sort((a, b) => a.at - b.at || (a.event === 'end' ? -1 : 1));
      let held = 0;
      let peak = 0;
      for (const e of events) {
        held += e.event === 'start' ? e.outputs : -e.outputs;
        peak = Math.max(peak, held);
      }
      assert.ok(
        peak <= HOSTS[host].sessions,
        `${host} GPU ${device} held ${peak} sessions (budget ${HOSTS[host].sessions})`,
      );
    }
  }
  assert.ok(
    starts.some((e) => e.host === 'hostB' && e.source.includes(`/${lostVideo}/`)),
    `${lostVideo}, lost with host A, was finished by host B`,
  );
  assert.ok(
    starts.some((e) => e.host === 'hostB' && e.outputs === 2),
    'host B cut two clips in one pass (its budget allows two sessions)',
  );
  assert.ok(
    starts.every((e) => e.host !== 'hostA' || e.outputs === 1),
    'host A never held two sessions on a GPU',
  );

  // Host A comes back and removes the source of the video that moved on.
  const back = startHost('hostA');
  await waitFor('host A to clean its work dir', async () => (await listFiles(workDir('hostA'))).length === 0, 60_000);
  back.child.kill('SIGTERM');
  assert.equal((await back.done).code, 0);
  await connection.close();
});
