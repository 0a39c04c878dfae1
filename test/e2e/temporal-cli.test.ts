// A batch started with the Temporal CLI (plain JSON input) against `vstream worker`.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import { SHARED_TASK_QUEUE, WORKFLOW_TYPES } from '../../src/config.js';
import type { BatchInput } from '../../src/core/batch-input.js';
import type { Report } from '../../src/core/report.js';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import { generateSample } from '../../src/devkit/sample-videos.js';
import { startDevServer, type DevServer } from '../../src/server/dev-server.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { probeClip } from '../../src/tools/probe.js';
import { startCli, tempDir, waitFor, type StartedCli } from '../helpers/e2e.js';

const temporal = resolveTool('temporal');
let media: MediaServer;
let temporalServer: DevServer;
let worker: StartedCli;
let root: string;

before(async () => {
  root = await tempDir('tcli');
  await mkdir(join(root, 'clips'), { recursive: true });
  await generateSample(resolveTool('ffmpeg'), join(root, 'sources'), {
    name: 'cli1',
    width: 1280,
    height: 720,
    fps: 30,
    seconds: 2,
    pattern: 'index',
  });
  await writeFile(join(root, 'clips', 'cli1.txt'), '0 20\n30 50\n');
  media = await startMediaServer({ root: join(root, 'sources') });
  await writeFile(join(root, 'urls.txt'), `${media.url('cli1.mp4')}\n`);
  temporalServer = await startDevServer({
    temporalBin: temporal,
    dbFile: join(root, 'temporal.db'),
    logFile: join(root, 'server.log'),
  });
  worker = startCli([
    'worker',
    '--temporal-address',
    temporalServer.address,
    '--encoder',
    'x265',
    '--x265-preset',
    'ultrafast',
    '--host-id',
    'cli-test-host',
  ]);
  await waitFor(
    'the worker to start',
    () => worker.output.stdout.includes('vstream worker: host cli-test-host'),
    60_000,
  );
});

after(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.done;
  await temporalServer?.stop();
  await media?.close();
});

test('temporal workflow start --input-file batch.json runs a batch on `vstream worker`', async () => {
  const input: BatchInput = {
    urlsFile: join(root, 'urls.txt'),
    clipDir: join(root, 'clips'),
    outDir: join(root, 'out'),
    workDir: join(root, 'work'),
    workers: 1,
    startDelaySeconds: 0,
  };
  await writeFile(join(root, 'batch.json'), JSON.stringify(input));
  const address = ['--address', temporalServer.address];
  await execa(temporal, [
    'workflow',
    'start',
    ...address,
    '--type',
    WORKFLOW_TYPES.batch,
    '--task-queue',
    SHARED_TASK_QUEUE,
    '--workflow-id',
    'cli-batch',
    '--input-file',
    join(root, 'batch.json'),
  ]);
  const result = await execa(temporal, [
    'workflow',
    'result',
    ...address,
    '--workflow-id',
    'cli-batch',
    '--output',
    'json',
  ]);
  assert.match(result.stdout, /"succeeded": 1/);

  const report = JSON.parse(await readFile(join(root, 'out', '_vstream', 'report.json'), 'utf8')) as Report;
  assert.equal(report.batchId, 'cli-batch', 'the batch ID defaults to the workflow ID');
  assert.deepEqual(report.counts, {
    videos: 1,
    succeeded: 1,
    partial: 0,
    skipped: 0,
    failed: 0,
    cancelled: 0,
    clips: 2,
    rejectedLines: 0,
    byErrorType: {},
  });
  for (const clip of report.videos[0]?.clips ?? []) {
    assert.deepEqual(await probeClip(resolveTool('ffprobe'), join(root, 'out', 'cli1', clip.file)), {
      frames: 20,
      width: 1280,
      height: 720,
    });
  }
});

test('the worker drains and exits 0 on SIGTERM', async () => {
  worker.child.kill('SIGTERM');
  const { code } = await worker.done;
  assert.equal(code, 0);
});
