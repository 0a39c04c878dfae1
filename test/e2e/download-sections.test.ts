// --download-mode sections against full, all real: the same clips with the same
// frames (checked by the frame numbers drawn into the sources) from an MP4/H.264 and a
// WebM/VP9 source (WebM has no edit lists), and fewer bytes read from the server.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Report } from '../../src/core/report.js';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import { expectedSourceFrame, generateSample, readFrameIndices } from '../../src/devkit/sample-videos.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { probeClip } from '../../src/tools/probe.js';
import { runCli, tempDir } from '../helpers/e2e.js';

const ffmpeg = resolveTool('ffmpeg');
// Sparse clips of a 20 s source, a small share of it; the first one from frame 0.
const CLIPS = '0 30\n45 75\n510 540\n';
let root: string;
let media: MediaServer;

before(async () => {
  root = await tempDir('sections');
  await mkdir(join(root, 'clips'), { recursive: true });
  await generateSample(ffmpeg, join(root, 'sources'), { name: 'h264', width: 1280, height: 720, fps: 60, seconds: 20, pattern: 'index', gop: 60 });
  await generateSample(ffmpeg, join(root, 'sources'), { name: 'vp9', width: 640, height: 360, fps: 60, seconds: 20, pattern: 'index', gop: 60, container: 'webm' });
  for (const name of ['h264', 'vp9']) await writeFile(join(root, 'clips', `${name}.txt`), CLIPS);
  // Paced like a network: unpaced, loopback would push megabytes into socket buffers
  // that ffmpeg never reads before it closes a section's connection.
  media = await startMediaServer({ root: join(root, 'sources'), bytesPerSecond: 4 * 1024 * 1024 });
  await writeFile(join(root, 'urls.txt'), `${media.url('h264.mp4')}\n${media.url('vp9.webm')}\n`);
});

after(async () => {
  await media?.close();
});

async function runMode(mode: 'full' | 'sections'): Promise<{ report: Report; bytes: number; out: string }> {
  const before = media.bytesSent();
  const out = join(root, `out-${mode}`);
  const run = await runCli(['run', '-u', join(root, 'urls.txt'), '-c', join(root, 'clips'), '-o', out, '--work-dir', join(root, `work-${mode}`), '-d', '0', '--x265-preset', 'ultrafast', '--download-mode', mode]);
  assert.equal(run.code, 0, `${mode}: ${run.stdout}\n${run.stderr}`);
  return { report: JSON.parse(await readFile(join(out, '_vstream', 'report.json'), 'utf8')) as Report, bytes: media.bytesSent() - before, out };
}

test('sections give the same frames as full downloads, for MP4 and WebM, from fewer bytes', async (t) => {
  const full = await runMode('full');
  const sections = await runMode('sections');
  for (const result of [full, sections]) {
    for (const video of result.report.videos) {
      assert.equal(video.status, 'succeeded', `${video.videoId}: ${video.reason}`);
      for (const clip of video.clips) {
        const path = join(result.out, video.videoId, clip.file);
        assert.equal((await probeClip(resolveTool('ffprobe'), path))?.frames, 30);
        const expected = Array.from({ length: clip.frames }, (_, k) => expectedSourceFrame(clip.startFrame + k, 30, 60));
        assert.deepEqual(await readFrameIndices(ffmpeg, path), expected, `${clip.file} (${result === full ? 'full' : 'sections'})`);
      }
    }
  }
  assert.deepEqual(
    sections.report.videos.map((v) => v.clips.map((c) => c.file)),
    full.report.videos.map((v) => v.clips.map((c) => c.file)),
  );
  t.diagnostic(`bytes read: full ${full.bytes}, sections ${sections.bytes} (${(sections.bytes / full.bytes).toFixed(3)}x)`);
  assert.ok(sections.bytes < full.bytes * 0.6, `sections read ${sections.bytes} bytes, full ${full.bytes}`);
});
