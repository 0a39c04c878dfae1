// The production stack, natively: the Temporal server built from Go at the pinned release
// on PostgreSQL (src/devkit/native-cluster.ts, what `npm run cluster -- up` starts), two
// `vstream worker` hosts (own host IDs and work folders, one shared output folder), real
// yt-dlp and ffmpeg. Batches from `temporal workflow start` and `vstream run
// --temporal-address`, `vstream status` and `vstream cancel`, a host killed with SIGKILL
// mid-download, the server killed with SIGKILL mid-batch. The stack is up once for the
// file and stopped whatever happens (tied to this process: even a kill -9 of it).
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { execa } from 'execa';
import { SHARED_TASK_QUEUE, WORKFLOW_TYPES, hostTaskQueue } from '../../src/config.js';
import type { BatchInput } from '../../src/core/batch-input.js';
import { SEARCH_ATTRIBUTES } from '../../src/core/search-attributes.js';
import type { Report } from '../../src/core/report.js';
import type { BatchSummary } from '../../src/core/types.js';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import { ensureServerBuild, startNativeCluster, type NativeCluster } from '../../src/devkit/native-cluster.js';
import { generateSample } from '../../src/devkit/sample-videos.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { probeClip } from '../../src/tools/probe.js';
import {
  exitWithin,
  fileIdentity,
  listFiles,
  runArgs,
  runCli,
  startCli,
  tempDir,
  waitFor,
  type StartedCli,
} from '../helpers/e2e.js';

const CLIPS = ['0 20', '30 50'];
const HOSTS = ['hostA', 'hostB'] as const;
type HostId = (typeof HOSTS)[number];

let root: string;
let media: MediaServer;
let cluster: NativeCluster;
let connection: Connection;
let client: Client;
const workers = new Map<HostId, StartedCli>();
const shared = () => join(root, 'shared');
const workDir = (host: HostId) => join(root, `work-${host}`);

/** A batch's inputs under the shared folder: `count` videos named `<prefix><n>`, served paced at `bytesPerSecond`. */
async function batchInputs(prefix: string, count: number) {
  const dir = join(shared(), prefix);
  const clipDir = join(dir, 'clips');
  await mkdir(clipDir, { recursive: true });
  const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  for (const name of names) {
    await generateSample(resolveTool('ffmpeg'), join(root, 'sources'), {
      name,
      width: 1280,
      height: 720,
      fps: 30,
      seconds: 2,
      pattern: 'index',
    });
    await writeFile(join(clipDir, `${name}.txt`), `${CLIPS.join('\n')}\n`);
  }
  const urlsFile = join(dir, 'urls.txt');
  await writeFile(urlsFile, `${names.map((name) => media.url(`${name}.mp4`)).join('\n')}\n`);
  return { names, urlsFile, clipDir, outDir: join(dir, 'out') };
}

function startHost(host: HostId): StartedCli {
  const worker = startCli([
    'worker',
    '--temporal-address',
    cluster.address,
    '--host-id',
    host,
    '--work-dir',
    workDir(host),
    '--download-slots',
    '2',
    '--encoder',
    'x265',
    '--x265-preset',
    'ultrafast',
    '--cpu-slots',
    '1',
    '--log-level',
    'error',
  ]);
  workers.set(host, worker);
  return worker;
}

async function hostUp(host: HostId): Promise<void> {
  const worker = startHost(host);
  await waitFor(`${host} to start`, () => worker.output.stdout.includes(`host ${host}:`), 60_000);
}

/** The batch's URLs served paced by a media server of its own (the caller closes it). */
async function pacedUrls(batch: { names: string[]; urlsFile: string }, bytesPerSecond: number): Promise<MediaServer> {
  const slow = await startMediaServer({ root: join(root, 'sources'), bytesPerSecond });
  await writeFile(batch.urlsFile, `${batch.names.map((name) => slow.url(`${name}.mp4`)).join('\n')}\n`);
  return slow;
}

/** A batch started through the client, for the worker hosts alone. */
function startBatch(
  batch: { urlsFile: string; clipDir: string; outDir: string },
  workflowId: string,
  settings: Partial<BatchInput>,
) {
  const input: BatchInput = {
    urlsFile: batch.urlsFile,
    clipDir: batch.clipDir,
    outDir: batch.outDir,
    workDir: join(root, 'unused-batch-work-dir'),
    startDelaySeconds: 0,
    ...settings,
  };
  return client.workflow.start(WORKFLOW_TYPES.batch, { taskQueue: SHARED_TASK_QUEUE, workflowId, args: [input] });
}

/** `vstream run` of a batch against the cluster (libx265 ultrafast, no stagger), then `extra`. */
const clusterRun = (batch: { urlsFile: string; clipDir: string; outDir: string }, ...extra: string[]) => [
  ...runArgs({ urls: batch.urlsFile, clips: batch.clipDir, out: batch.outDir }),
  '--temporal-address',
  cluster.address,
  '--start-delay',
  '0',
  '--encoder',
  'x265',
  '--x265-preset',
  'ultrafast',
  ...extra,
];

/** Every video succeeded with every clip, each of exactly 20 frames at 1280x720. */
async function assertAllClips(outDir: string, names: string[]): Promise<void> {
  const report = JSON.parse(await readFile(join(outDir, '_vstream', 'report.json'), 'utf8')) as Report;
  assert.deepEqual(report.videos.map((v) => [v.videoId, v.status]).sort(), names.map((n) => [n, 'succeeded']).sort());
  const clips = (await listFiles(outDir)).filter((f) => f.endsWith('.hevc'));
  assert.equal(clips.length, names.length * CLIPS.length, clips.join(', '));
  for (const file of clips)
    assert.deepEqual(
      await probeClip(resolveTool('ffprobe'), join(outDir, file)),
      { frames: 20, width: 1280, height: 720 },
      file,
    );
}

before(async () => {
  root = await tempDir('cluster');
  media = await startMediaServer({ root: join(root, 'sources') });
  const started = Date.now();
  const build = await ensureServerBuild({ log: (line) => console.log(`cluster: ${line}`) });
  cluster = await startNativeCluster({ dir: join(root, 'stack'), build, tied: true });
  console.log(
    `cluster: Temporal ${build.version} on PostgreSQL up in ${Date.now() - started} ms at ${cluster.address}`,
  );
  connection = await Connection.connect({ address: cluster.address });
  client = new Client({ connection, namespace: cluster.namespace });
});

after(async () => {
  for (const worker of workers.values()) {
    try {
      process.kill(-(worker.child.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await connection?.close();
  await cluster?.stop();
  await media?.close();
});

test('two hosts: a batch from `temporal workflow start`, then one from `vstream run --temporal-address`', async () => {
  for (const host of HOSTS) await hostUp(host);

  // As README's recipe: the batch input as JSON, the Temporal CLI against the cluster.
  const cliBatch = await batchInputs('t', 4);
  const inputFile = join(root, 'batch.json');
  await writeFile(
    inputFile,
    JSON.stringify({ ...cliBatch, names: undefined, workers: 4, startDelaySeconds: 0, searchAttributes: true }),
  );
  await execa(resolveTool('temporal'), [
    'workflow',
    'start',
    '--address',
    cluster.address,
    '--type',
    'batchWorkflow',
    '--task-queue',
    'vstream',
    '--workflow-id',
    'cli-batch',
    '--input-file',
    inputFile,
  ]);
  const summary = (await client.workflow.getHandle('cli-batch').result()) as BatchSummary;
  assert.equal(summary.counts.succeeded, cliBatch.names.length, JSON.stringify(summary.counts));
  await assertAllClips(cliBatch.outDir, cliBatch.names);

  // PostgreSQL visibility: the batch's videos are found by their search attributes, each
  // verified on one of the two hosts (VstreamHost names the host's queue).
  const hosts: string[] = [];
  for await (const video of client.workflow.list({
    query: `WorkflowType = '${WORKFLOW_TYPES.video}' AND VstreamBatchId = 'cli-batch' AND VstreamStatus = 'succeeded'`,
  }))
    hosts.push(video.typedSearchAttributes.get(SEARCH_ATTRIBUTES.host) ?? '(none)');
  console.log(`cluster: cli-batch videos' hosts: ${hosts.sort().join(', ')}`);
  assert.equal(hosts.length, cliBatch.names.length);
  for (const host of hosts) assert.ok(HOSTS.map(hostTaskQueue).includes(host), host);

  // vstream run against the cluster hosts its own worker beside the two.
  const runBatch = await batchInputs('v', 3);
  const run = await exitWithin(startCli(clusterRun(runBatch)), 240_000);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  await assertAllClips(runBatch.outDir, runBatch.names);
});

test('vstream status and vstream cancel against the cluster', async () => {
  const batch = await batchInputs('s', 4);
  // Paced to a few seconds a video, so the batch is still running when cancelled.
  const slow = await pacedUrls(batch, 100_000);
  try {
    const batchId = 'status-cancel';
    const run = startCli(clusterRun(batch, '--batch-id', batchId));
    await waitFor('a download under way', () => slow.requests.length > 0, 60_000);

    const status = await runCli(['status', batchId, '--temporal-address', cluster.address]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^batch ${batchId}: running$`, 'm'));
    assert.match(status.stdout, /\d+\/4 done, \d+ in flight/);

    const cancel = await runCli(['cancel', batchId, '--temporal-address', cluster.address]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, new RegExp(`batch ${batchId} cancelled`));
    const result = await exitWithin(run, 120_000);
    assert.equal(result.code, 4, `${result.stdout}\n${result.stderr}`);
    const report = JSON.parse(await readFile(join(batch.outDir, '_vstream', 'report.json'), 'utf8')) as Report;
    assert.ok(report.counts.cancelled >= 1, JSON.stringify(report.counts));

    const after = await runCli(['status', batchId, '--temporal-address', cluster.address]);
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, new RegExp(`^batch ${batchId}: cancelled`, 'm'));
    assert.match(after.stdout, /\d+\/4 done, 0 in flight, .*\d+ cancelled/);
  } finally {
    await slow.close();
  }
});

test('a host killed with SIGKILL mid-download: its videos finish on the other; back, it cleans up', async () => {
  const batch = await batchInputs('k', 4);
  // Paced: a download takes a few seconds, so the kill lands in one.
  const slow = await pacedUrls(batch, 150_000);
  try {
    const handle = await startBatch(batch, 'host-killed', {
      workers: 4,
      heartbeatTimeoutSeconds: 2,
      hostTimeoutSeconds: 8,
    });
    // Whichever host is downloading first is killed.
    const downloading = async (host: HostId) => (await listFiles(workDir(host))).some((f) => f.endsWith('.part'));
    const victim = await waitFor(
      'a host to be downloading',
      async () => (await Promise.all(HOSTS.map(downloading))).map((yes, i) => yes && HOSTS[i]).find(Boolean),
      60_000,
    );
    const killed = workers.get(victim) as StartedCli;
    process.kill(-(killed.child.pid as number), 'SIGKILL');
    await killed.done;
    const left = await listFiles(workDir(victim));
    assert.ok(left.length > 0, `${victim} left its partial download behind`);

    const summary = (await handle.result()) as BatchSummary;
    assert.equal(summary.counts.succeeded, batch.names.length, JSON.stringify(summary.counts));
    await assertAllClips(batch.outDir, batch.names);

    // Back, it removes what it left: those videos ended on the other host meanwhile.
    await hostUp(victim);
    await waitFor(
      `${victim} to clean its work dir`,
      async () => (await listFiles(workDir(victim))).length === 0,
      60_000,
    );
  } finally {
    await slow.close();
  }
});

/**
 * A paced batch of six videos interrupted once some clips landed and before the last:
 * it still completes, every clip there and none of those already landed rewritten, and
 * the workers, never restarted, still run (they reconnected by themselves).
 */
async function batchSurvives(prefix: string, workflowId: string, interrupt: () => Promise<void>): Promise<void> {
  for (const host of HOSTS) if (!workers.has(host)) await hostUp(host);
  const batch = await batchInputs(prefix, 6);
  // Paced, so the batch is under way for a while: some clips landed, others to come.
  const slow = await pacedUrls(batch, 250_000);
  try {
    const handle = await startBatch(batch, workflowId, { workers: 2, heartbeatTimeoutSeconds: 5 });
    const landed = async () => (await listFiles(batch.outDir)).filter((f) => f.endsWith('.hevc'));
    await waitFor('a first clip', async () => (await landed()).length >= 1, 120_000);
    const identities = new Map<string, Awaited<ReturnType<typeof fileIdentity>>>();
    for (const file of await landed()) identities.set(file, await fileIdentity(join(batch.outDir, file)));

    await interrupt();

    const summary = (await handle.result()) as BatchSummary;
    assert.equal(summary.counts.succeeded, batch.names.length, JSON.stringify(summary.counts));
    for (const [host, worker] of workers)
      assert.equal(worker.child.exitCode ?? worker.child.signalCode, null, `${host}'s worker still runs`);
    await assertAllClips(batch.outDir, batch.names);
    assert.ok(identities.size < batch.names.length * CLIPS.length, 'the interruption came before the last clip');
    for (const [file, identity] of identities)
      assert.deepEqual(await fileIdentity(join(batch.outDir, file)), identity, `${file} was not rewritten`);
  } finally {
    await slow.close();
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the Temporal server killed with SIGKILL mid-batch and started again: the batch completes, no clip rewritten', async () => {
  await batchSurvives('r', 'server-killed', async () => {
    await cluster.killServer();
    await pause(3_000);
    await cluster.startServer();
  });
});

test('PostgreSQL stopped mid-batch and started again: the batch completes, no clip rewritten', async () => {
  await batchSurvives('p', 'postgres-restarted', async () => {
    const serverPid = cluster.state.serverPid;
    await cluster.stopPostgres();
    await pause(5_000);
    await cluster.startPostgres();
    // The server rode it out: the same process, no restart.
    assert.equal(cluster.state.serverPid, serverPid);
    process.kill(serverPid, 0);
  });
});
