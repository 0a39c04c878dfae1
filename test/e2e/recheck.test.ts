// Clip files that appear or change after a batch finished count: the same command runs
// again the skipped video whose clip file appeared and the video whose clip file
// changed, downloads no other video, and the report follows. All real.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type MediaServer } from '../../src/devkit/media-server.js';
import type { Report } from '../../src/core/report.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { probeClip } from '../../src/tools/probe.js';
import { batchDirs, type BatchDirs, fileIdentity, listFiles, runArgs, runCli, serveSamples } from '../helpers/e2e.js';

const ffprobe = resolveTool('ffprobe');
/** kept: clip file unchanged; added: no clip file at first; changed: its clip file changes. */
const VIDEOS = ['kept', 'added', 'changed'];

let server: MediaServer;
let dirs: BatchDirs;
let args: string[];

const writeClips = (videoId: string, lines: string[]) =>
  writeFile(join(dirs.clips, `${videoId}.txt`), `${lines.join('\n')}\n`);
const clipsOf = async (videoId: string) =>
  (await listFiles(join(dirs.out, videoId))).filter((f) => f.endsWith('.hevc')).sort();
const readReport = async () => JSON.parse(await readFile(join(dirs.out, '_vstream', 'report.json'), 'utf8')) as Report;
const downloadsOf = (videoId: string) => server.requestsFor(`${videoId}.mp4`).length;

before(async () => {
  dirs = await batchDirs('recheck');
  server = await serveSamples(dirs, VIDEOS, { width: 640, height: 360, fps: 30, seconds: 6, pattern: 'index' }, null);
  args = runArgs(
    { ...dirs, work: undefined },
    '-w',
    '2',
    '-d',
    '0',
    '--width',
    '320',
    '--height',
    '180',
    '--encoder',
    'x265',
    '--x265-preset',
    'ultrafast',
  );
});

after(async () => {
  await server?.close();
});

test('a clip file added or changed after the batch finished: the same command runs those videos, and no other', async () => {
  await writeClips('kept', ['0 30', '60 90']);
  await writeClips('changed', ['0 30', '60 90']);
  const first = await runCli(args);
  assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
  let counts = (await readReport()).counts;
  assert.deepEqual([counts.succeeded, counts.skipped, counts.clips], [2, 1, 4]);
  assert.equal(downloadsOf('added'), 0, 'skipped without a download');
  const keptIdentities = await Promise.all((await clipsOf('kept')).map((f) => fileIdentity(join(dirs.out, 'kept', f))));
  const sameRange = join(dirs.out, 'changed', 'changed_0000000_0000030.hevc');
  const sameRangeIdentity = await fileIdentity(sameRange);
  const keptDownloads = downloadsOf('kept');

  // The skipped video gets its clip file; the other one's clip file changes.
  await writeClips('added', ['30 60']);
  await writeClips('changed', ['0 30', '120 150']);
  const second = await runCli(args);
  assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);
  assert.match(second.stdout, /2 videos whose clip file appeared or changed since: running them again/);
  assert.match(second.stdout, /continuing batch/);
  assert.equal(downloadsOf('kept'), keptDownloads, 'the unchanged video is not downloaded again');
  assert.ok(downloadsOf('added') > 0 && downloadsOf('changed') > 0);

  const report = await readReport();
  counts = report.counts;
  assert.deepEqual([counts.succeeded, counts.skipped, counts.failed, counts.clips], [3, 0, 0, 5]);
  const byId = new Map(report.videos.map((v) => [v.videoId, v]));
  assert.deepEqual(
    byId.get('added')?.clips.map((c) => c.file),
    ['added_0000030_0000060.hevc'],
  );
  assert.deepEqual(
    byId
      .get('changed')
      ?.clips.map((c) => c.file)
      .sort(),
    ['changed_0000000_0000030.hevc', 'changed_0000120_0000150.hevc'],
    'the changed video is redone with the new ranges',
  );
  for (const file of [...(byId.get('added')?.clips ?? []), ...(byId.get('changed')?.clips ?? [])]) {
    const videoId = file.file.split('_')[0] as string;
    assert.deepEqual(await probeClip(ffprobe, join(dirs.out, videoId, file.file)), {
      frames: 30,
      width: 320,
      height: 180,
    });
  }
  assert.deepEqual(await fileIdentity(sameRange), sameRangeIdentity, 'a clip with the same range is kept');
  assert.deepEqual(
    await Promise.all((await clipsOf('kept')).map((f) => fileIdentity(join(dirs.out, 'kept', f)))),
    keptIdentities,
    'the unchanged video is not touched',
  );
  assert.deepEqual(
    (await listFiles(dirs.out)).filter((f) => f.includes('tmp')),
    [],
  );

  // Nothing appeared or changed since: nothing to do, no request.
  const requests = server.requests.length;
  const third = await runCli(args);
  assert.equal(third.code, 0, `${third.stdout}\n${third.stderr}`);
  assert.match(third.stdout, /already finished .*nothing to do \(3 clip files checked, none appeared or changed/);
  assert.equal(server.requests.length, requests);
});
