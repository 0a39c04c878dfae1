// --max-temp-gb, all real: downloads wait until their source fits beside the sources
// on disk; a source larger than the whole budget fails with its own error type.
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Report } from '../../src/core/report.js';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import { generateSample } from '../../src/devkit/sample-videos.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { folderBytes } from '../../src/tools/temp-budget.js';
import { listFiles, startCli, tempDir } from '../helpers/e2e.js';

const BUDGET_GB = 0.0025;
const BUDGET_BYTES = BUDGET_GB * 1024 ** 3;
let server: MediaServer;
let root: string;
const sizes = new Map<string, number>();

before(async () => {
  root = await tempDir('budget');
  await mkdir(join(root, 'clips'), { recursive: true });
  for (const [name, seconds] of [
    ['b0', 2],
    ['b1', 2],
    ['b2', 2],
    ['huge', 6],
  ] as const) {
    const path = await generateSample(resolveTool('ffmpeg'), join(root, 'sources'), {
      name,
      width: 1920,
      height: 1080,
      fps: 30,
      seconds,
      pattern: 'noise',
    });
    sizes.set(name, (await stat(path)).size);
    await writeFile(join(root, 'clips', `${name}.txt`), '0 10\n');
  }
  server = await startMediaServer({ root: join(root, 'sources'), bytesPerSecond: 1024 * 1024 });
  await writeFile(
    join(root, 'urls.txt'),
    `${['b0', 'huge', 'b1', 'b2'].map((n) => server.url(`${n}.mp4`)).join('\n')}\n`,
  );
});

after(async () => {
  await server?.close();
});

test('downloads wait for room in the budget; a source larger than it fails as SourceTooLarge', async () => {
  const small = sizes.get('b0') ?? 0;
  assert.ok(small < BUDGET_BYTES && 2 * small > BUDGET_BYTES, `one source (${small} B) fits the budget, two do not`);
  assert.ok((sizes.get('huge') ?? 0) > BUDGET_BYTES);
  const work = join(root, 'work');
  const run = startCli([
    'run',
    '-u',
    join(root, 'urls.txt'),
    '-c',
    join(root, 'clips'),
    '-o',
    join(root, 'out'),
    '--work-dir',
    work,
    '-w',
    '3',
    '-d',
    '0',
    '--encoder',
    'x265',
    '--x265-preset',
    'ultrafast',
    '--max-temp-gb',
    String(BUDGET_GB),
  ]);
  let peak = 0;
  const sampler = setInterval(() => {
    void folderBytes(work).then((bytes) => (peak = Math.max(peak, bytes)));
  }, 20);
  const result = await run.done;
  clearInterval(sampler);
  assert.equal(result.code, 3, result.stderr);
  assert.ok(peak > 0 && peak <= BUDGET_BYTES, `work dir peaked at ${peak} B, budget ${BUDGET_BYTES} B`);
  const report = JSON.parse(await readFile(join(root, 'out', '_vstream', 'report.json'), 'utf8')) as Report;
  const huge = report.videos.find((v) => v.videoId === 'huge');
  assert.deepEqual([huge?.status, huge?.errorType], ['failed', 'SourceTooLarge']);
  assert.match(huge?.reason ?? '', /more than the whole temporary-disk budget/);
  assert.equal(report.counts.succeeded, 3);
  assert.equal(
    server.requestsFor('huge.mp4').filter((r) => r.method === 'GET' && r.range !== null).length,
    0,
    'the huge source was never downloaded',
  );
  assert.deepEqual(await listFiles(work), []);
});
