// The README's Temporal CLI recipe ("Batches from the Temporal CLI"), run as written:
// a dev server, `vstream worker`, `temporal workflow start --input-file batch.json`,
// `vstream status`, `temporal workflow result`, then the stop. The block is a shell
// recipe for people, so bash runs it verbatim (in its own process group, killed whole
// whatever happens); only PORT and UI_PORT are set, to free ports.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { after, before, test } from 'node:test';
import { execa } from 'execa';
import type { Report } from '../../src/core/report.js';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import { generateSample } from '../../src/devkit/sample-videos.js';
import { freePort } from '../../src/server/dev-server.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { probeClip } from '../../src/tools/probe.js';
import { tempDir, waitFor } from '../helpers/e2e.js';
import { eventLines, inOrder } from '../helpers/log-lines.js';
import { ROOT } from '../helpers/paths.js';

const MARKER = '<!-- recipe: temporal-cli -->';
const TOOLS_BIN = join(ROOT, '.tools', 'bin');

/** The ```bash block right after the marker line. */
function recipeAfter(markdown: string, marker: string): string {
  const at = markdown.indexOf(marker);
  assert.ok(at >= 0, `README.md has no ${marker}`);
  const rest = markdown.slice(at + marker.length);
  const block = /^```bash\n([\s\S]*?)^```$/m.exec(rest);
  assert.ok(block?.[1] && rest.slice(0, block.index).trim() === '', `no \`\`\`bash block right after ${marker}`);
  return block[1];
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

let media: MediaServer;
let root: string;
let recipePid: number | undefined;

before(async () => {
  root = await tempDir('recipe');
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
});

after(async () => {
  if (recipePid !== undefined && groupAlive(recipePid)) process.kill(-recipePid, 'SIGKILL');
  await media?.close();
});

test('the README recipe: a batch from the Temporal CLI on `vstream worker`, then a clean stop', async () => {
  assert.ok(existsSync(join(TOOLS_BIN, 'vstream')), `${TOOLS_BIN} is missing: run npm run setup`);
  const recipe = recipeAfter(await readFile(join(ROOT, 'README.md'), 'utf8'), MARKER);
  const [port, uiPort] = [await freePort(), await freePort()];
  const run = execa('bash', ['-eu', '-o', 'pipefail', '-c', recipe], {
    cwd: root,
    env: { PATH: `${TOOLS_BIN}${delimiter}${process.env.PATH}`, PORT: String(port), UI_PORT: String(uiPort) },
    detached: true,
    reject: false,
    timeout: 240_000,
    killSignal: 'SIGKILL',
    stdin: 'ignore',
  });
  recipePid = run.pid;
  const result = await run;
  const logs = async () =>
    (
      await Promise.all(
        ['worker.log', 'temporal.log'].map(
          async (f) => `--- ${f}\n${await readFile(join(root, f), 'utf8').catch(() => '')}`,
        ),
      )
    ).join('\n');
  assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}\n${(await logs()).slice(-4000)}`);
  assert.match(result.stdout, /^batch my-batch: /m, '`vstream status` answered');
  assert.match(result.stdout, /Status +COMPLETED/, '`temporal workflow result` waited for the end');
  assert.match(result.stdout, /"succeeded": ?1/, 'and printed the counts');
  const workerLog = await readFile(join(root, 'worker.log'), 'utf8');
  assert.match(workerLog, /vstream worker: draining/, 'the worker drained');
  // Its stdout was not a terminal: the log's JSON lines went there, the video's events with the batch's ID
  // (encodeClips' input has none: it comes from the video workflow's ID).
  const events = eventLines(workerLog).filter((e) => e.videoId === 'cli1');
  const steps = ['video.verified', 'download.start', 'encode.start', 'encode.end'] as const;
  const story = events.map((e) => e.event).join(' ');
  assert.ok(inOrder(events, [...steps, 'clip.written', 'clip.written', 'video.finished']), story);
  // The encode may start before the download ends (encode.early): an encoder was idle.
  assert.ok(inOrder(events, ['download.start', 'download.end', 'video.finished']), story);
  assert.deepEqual([...new Set(events.map((e) => e.batchId))], ['my-batch']);
  // The recipe's own `kill` stops the server: nothing it started is left.
  await waitFor('the recipe to leave no process behind', () => !groupAlive(recipePid as number), 20_000);

  const report = JSON.parse(await readFile(join(root, 'vstreams', '_vstream', 'report.json'), 'utf8')) as Report;
  assert.equal(report.batchId, 'my-batch', 'the batch ID defaults to the workflow ID');
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
    assert.deepEqual(await probeClip(resolveTool('ffprobe'), join(root, 'vstreams', 'cli1', clip.file)), {
      frames: 20,
      width: 1280,
      height: 720,
    });
  }
});
