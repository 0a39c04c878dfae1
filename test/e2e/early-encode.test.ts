// Encoding while the source downloads, through the CLI, all real: sources served slowly
// from 127.0.0.1, `vstream run -w 1`. The first video's encode starts before its last byte
// arrives, and every clip still holds exactly the frames it should.
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MediaServer } from '../../src/devkit/media-server.js';
import { expectedSourceFrame, readFrameIndices } from '../../src/devkit/sample-videos.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { batchDirs, runArgs, runCli, serveSamples, type BatchDirs, type CliRun } from '../helpers/e2e.js';

const ffmpeg = resolveTool('ffmpeg');
const CLIPS = ['0 30', '100 130', '170 200'];
let dirs: BatchDirs;
let media: MediaServer;
let run: CliRun;

before(async () => {
  dirs = await batchDirs('early-encode');
  const sample = { width: 640, height: 360, fps: 30, seconds: 8, pattern: 'index' } as const;
  // Served in about 4 s a video; the second starts when the first has downloaded.
  media = await serveSamples(dirs, ['first', 'second'], sample, CLIPS);
  const size = (await stat(join(dirs.root, 'sources', 'first.mp4'))).size;
  await media.close();
  media = await serveSamples(dirs, ['first', 'second'], sample, CLIPS, { bytesPerSecond: Math.ceil(size / 4) });
  run = await runCli(runArgs(dirs, '-w', '1', '-d', '0', '--x265-preset', 'ultrafast'));
});

after(async () => {
  await media?.close();
});

interface LogLine {
  event?: string;
  videoId?: string;
  time: number;
}

test('the first encode starts while its source downloads (encode.early), before the download ends', async () => {
  assert.equal(run.code, 0, run.stderr);
  const log = (await readFile(join(dirs.out, '_vstream', 'vstream.log'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogLine);
  const first = (event: string) => log.find((l) => l.videoId === 'first' && l.event === event)?.time;
  const [early, started, downloaded] = [first('encode.early'), first('encode.start'), first('download.end')];
  assert.ok(early && started && downloaded, 'encode.early, encode.start and download.end logged');
  assert.ok(started < downloaded, `encode.start ${started - downloaded} ms after download.end`);
});

test('every clip of both videos holds exactly its frames', async () => {
  for (const videoId of ['first', 'second']) {
    for (const line of CLIPS) {
      const [start, end] = line.split(' ').map(Number) as [number, number];
      const file = join(
        dirs.out,
        videoId,
        `${videoId}_${String(start).padStart(7, '0')}_${String(end).padStart(7, '0')}.hevc`,
      );
      const frames = await readFrameIndices(ffmpeg, file);
      assert.deepEqual(
        frames,
        Array.from({ length: end - start }, (_, k) => expectedSourceFrame(start + k, 30, 30)),
        file,
      );
    }
  }
});
