// Chaos, all real (Temporal server, `vstream worker`, yt-dlp, ffmpeg, local HTTP):
// during a batch the worker is killed with SIGKILL at seeded moments, during
// downloads (a partial file reached a seeded size) and during encodes (a seeded
// number of clips done and the next one being written), and the server is killed
// once and restarted on its SQLite file. The batch must complete with every clip
// there once, with exactly end-start frames, none rewritten after it landed, and
// no source or temporary file left. CHAOS_SEED=<n> replays a run.
import assert from 'node:assert/strict';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { SHARED_TASK_QUEUE, WORKFLOW_TYPES } from '../../src/config.js';
import type { BatchInput } from '../../src/core/batch-input.js';
import type { BatchSummary } from '../../src/core/types.js';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import { generateSample } from '../../src/devkit/sample-videos.js';
import { startDevServer, type DevServer } from '../../src/server/dev-server.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { probeClip } from '../../src/tools/probe.js';
import { fileIdentity, listFiles, startCli, tempDir, waitFor, type StartedCli } from '../helpers/e2e.js';

const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const VIDEOS = Array.from({ length: 12 }, (_, i) => `c${i}`);
const CLIPS = ['0 45', '60 105', '120 165'];
const WORKER_KILLS = 6;

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let root: string;
let media: MediaServer;
let temporal: DevServer;
let dirs: { out: string; work: string; clips: string; urls: string; db: string };
let worker: StartedCli | null = null;
let sourceBytes = 0;

before(async () => {
  console.log(`chaos seed: ${SEED} (CHAOS_SEED=${SEED} replays it)`);
  root = await tempDir('chaos');
  dirs = {
    out: join(root, 'out'),
    work: join(root, 'work'),
    clips: join(root, 'clips'),
    urls: join(root, 'urls.txt'),
    db: join(root, 'temporal.db'),
  };
  await mkdir(dirs.clips, { recursive: true });
  for (const name of VIDEOS) {
    const path = await generateSample(resolveTool('ffmpeg'), join(root, 'sources'), {
      name,
      width: 1920,
      height: 1080,
      fps: 30,
      seconds: 6,
      pattern: 'index',
    });
    sourceBytes = (await stat(path)).size;
    await writeFile(join(dirs.clips, `${name}.txt`), `${CLIPS.join('\n')}\n`);
  }
  // Paced: a download takes a few seconds, so kills land in it.
  media = await startMediaServer({ root: join(root, 'sources'), bytesPerSecond: Math.ceil(sourceBytes / 3) });
  await writeFile(dirs.urls, `${VIDEOS.map((v) => media.url(`${v}.mp4`)).join('\n')}\n`);
  temporal = await startDevServer({
    temporalBin: resolveTool('temporal'),
    dbFile: dirs.db,
    logFile: join(root, 'server.log'),
  });
});

after(async () => {
  worker?.child.kill('SIGKILL');
  await temporal?.stop();
  await media?.close();
});

function startWorker(): StartedCli {
  return startCli([
    'worker',
    '--temporal-address',
    temporal.address,
    '--host-id',
    'chaos',
    '--download-slots',
    '2',
    '--cpu-slots',
    '2',
    '--encoder',
    'x265',
    '--x265-preset',
    'ultrafast',
    '--log-level',
    'error',
  ]);
}

async function killWorker(): Promise<void> {
  const current = worker;
  if (!current) return;
  process.kill(-(current.child.pid as number), 'SIGKILL');
  await current.done;
  worker = null;
}

/** Largest partial download in the work dir, in bytes. */
async function partialDownload(): Promise<number> {
  const files = (await listFiles(dirs.work)).filter((f) => f.endsWith('.part'));
  const sizes = await Promise.all(
    files.map(async (f) => (await stat(join(dirs.work, f)).catch(() => null))?.size ?? 0),
  );
  return Math.max(0, ...sizes);
}

/** A video with at least `done` clips landed and the next one being written. */
async function encodeUnderWay(done: number): Promise<boolean> {
  for (const video of await readdir(dirs.out).catch(() => [] as string[])) {
    const names = await readdir(join(dirs.out, video)).catch(() => [] as string[]);
    if (names.some((n) => n.endsWith('.vstream-tmp')) && names.filter((n) => n.endsWith('.hevc')).length >= done)
      return true;
  }
  return false;
}

const landedClips = async () => (await listFiles(dirs.out)).filter((f) => f.endsWith('.hevc'));

test('the batch survives seeded worker kills and a server kill', async () => {
  const random = seeded(SEED);
  // Alternate download and encode kills, each at a seeded point of its phase.
  const plan = Array.from({ length: WORKER_KILLS }, (_, i) =>
    i % 2 === 0
      ? { phase: 'download' as const, atBytes: Math.floor(sourceBytes * (0.1 + 0.5 * random())) }
      : { phase: 'encode' as const, clipsDone: Math.floor(random() * 2) },
  );
  const serverKillAfter = 1 + Math.floor(random() * (WORKER_KILLS - 2));
  console.log(`chaos plan: ${JSON.stringify(plan)}; server killed after worker kill ${serverKillAfter}`);

  let connection = await Connection.connect({ address: temporal.address });
  let client = new Client({ connection });
  worker = startWorker();
  const batchId = 'chaos-batch';
  const input: BatchInput = {
    urlsFile: dirs.urls,
    clipDir: dirs.clips,
    outDir: dirs.out,
    workDir: dirs.work,
    workers: 2,
    startDelaySeconds: 0,
    heartbeatTimeoutSeconds: 2,
  };
  await client.workflow.start(WORKFLOW_TYPES.batch, {
    taskQueue: SHARED_TASK_QUEUE,
    workflowId: batchId,
    args: [input],
  });

  const identities = new Map<string, { ino: number; mtimeMs: number }>();
  const remember = async () => {
    for (const file of await landedClips())
      if (!identities.has(file)) identities.set(file, await fileIdentity(join(dirs.out, file)));
  };
  const kills: string[] = [];
  for (const [i, step] of plan.entries()) {
    // When the planned phase has no work left (every source fetched), the other phase stands in.
    const planned = async () =>
      step.phase === 'download' ? (await partialDownload()) >= step.atBytes : await encodeUnderWay(step.clipsDone);
    const hit =
      (await waitFor(`kill ${i + 1}: ${JSON.stringify(step)}`, planned, 15_000).catch(() => false)) ||
      (await waitFor(
        `kill ${i + 1}: any download or encode`,
        async () => (await partialDownload()) > 0 || (await encodeUnderWay(0)),
        60_000,
      ).catch(() => false));
    if (!hit) break; // the batch finished first
    await remember();
    await killWorker();
    kills.push(step.phase);
    if (i + 1 === serverKillAfter) {
      process.kill(temporal.pid as number, 'SIGKILL');
      await temporal.exited;
      await connection.close().catch(() => undefined);
      temporal = await startDevServer({
        temporalBin: resolveTool('temporal'),
        dbFile: dirs.db,
        logFile: join(root, 'server.log'),
        port: Number(temporal.address.split(':')[1]),
      });
      connection = await Connection.connect({ address: temporal.address });
      client = new Client({ connection });
      kills.push('server');
    }
    worker = startWorker();
  }
  console.log(`chaos kills: ${kills.join(', ')}`);
  assert.ok(kills.filter((k) => k !== 'server').length >= 5, `at least 5 worker kills happened (${kills.join(', ')})`);
  assert.ok(kills.includes('download') && kills.includes('encode') && kills.includes('server'));

  const summary = (await client.workflow.getHandle(batchId).result()) as BatchSummary;
  await connection.close();
  assert.equal(summary.counts.succeeded, VIDEOS.length, JSON.stringify(summary.counts));

  const clips = await landedClips();
  assert.deepEqual(
    clips.sort(),
    VIDEOS.flatMap((v) =>
      CLIPS.map(
        (c) =>
          `${v}/${v}_${c
            .split(' ')
            .map((n) => n.padStart(7, '0'))
            .join('_')}.hevc`,
      ),
    ).sort(),
    'every clip is there, once',
  );
  for (const file of clips)
    assert.deepEqual(
      await probeClip(resolveTool('ffprobe'), join(dirs.out, file)),
      { frames: 45, width: 1280, height: 720 },
      file,
    );
  for (const [file, identity] of identities)
    assert.deepEqual(await fileIdentity(join(dirs.out, file)), identity, `${file} was not rewritten`);
  assert.deepEqual(
    (await listFiles(dirs.out)).filter((f) => f.includes('tmp')),
    [],
    'no temporary file',
  );
  assert.deepEqual(await listFiles(dirs.work), [], 'no source left');
  const resumed = media.requests.filter((r) => r.range && !r.range.startsWith('bytes=0-'));
  assert.ok(resumed.length >= 1, 'a retried download continued its partial file');
});
