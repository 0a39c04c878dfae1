// The in-process clip check against ffprobe, on raw HEVC streams made by the real ffmpeg.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { HevcScanner, parseSpsSize } from '../../src/core/hevc-stream.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { scanHevcFile } from '../../src/tools/clip-check.js';
import { probeClip } from '../../src/tools/probe.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vstream-hevc-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A raw HEVC stream of `frames` pictures from libx265. */
async function encode(name: string, size: string, frames: number, x265Params = 'log-level=error', pixFmt = 'yuv420p') {
  const path = join(dir, `${name}.hevc`);
  await execa(resolveTool('ffmpeg'), [
    ...['-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=s=${size}:r=30`],
    ...['-frames:v', String(frames), '-pix_fmt', pixFmt, '-c:v', 'libx265', '-preset', 'ultrafast'],
    ...['-x265-params', x265Params, '-f', 'hevc', path],
  ]);
  return path;
}

/** Pushes the file in chunks of `size` bytes (start codes and the SPS straddle chunks). */
function scanInChunks(bytes: Uint8Array, size: number) {
  const scanner = new HevcScanner();
  for (let at = 0; at < bytes.length; at += size) scanner.push(bytes.subarray(at, at + size));
  return scanner.end();
}

describe('HevcScanner (frames and picture size of a raw HEVC stream)', () => {
  const cases = [
    { name: 'hd', size: '1280x720', frames: 30 },
    { name: 'small', size: '320x180', frames: 7 },
    // Not a multiple of the 8-pixel coding block: the SPS carries a conformance window.
    { name: 'cropped', size: '1366x766', frames: 12 },
    { name: 'slices', size: '640x360', frames: 9, params: 'log-level=error:slices=4' },
    { name: 'chroma444', size: '352x198', frames: 5, pixFmt: 'yuv444p' },
  ];
  for (const c of cases) {
    test(`${c.name} (${c.size}, ${c.frames} frames): the same as ffprobe, whole and in 7-byte chunks`, async () => {
      const path = await encode(c.name, c.size, c.frames, c.params, c.pixFmt);
      const [width, height] = c.size.split('x').map(Number);
      const expected = { frames: c.frames, width, height };
      assert.deepEqual(await probeClip(resolveTool('ffprobe'), path), expected, 'ffprobe agrees with the request');
      assert.deepEqual(await scanHevcFile(path), expected);
      assert.deepEqual(scanInChunks(await readFile(path), 7), expected);
    });
  }

  test('a stream cut short counts the pictures begun in it', async () => {
    const bytes = await readFile(await encode('cut', '320x180', 20));
    const cut = join(dir, 'cut-short.hevc');
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const scanned = await scanHevcFile(cut);
    assert.ok(scanned && scanned.frames > 0 && scanned.frames < 20, JSON.stringify(scanned));
    assert.equal(scanned.frames, (await probeClip(resolveTool('ffprobe'), cut))?.frames);
  });

  test('no SPS or no picture: null', async () => {
    assert.equal(scanInChunks(new Uint8Array(0), 7), null);
    assert.equal(
      scanInChunks(
        Uint8Array.from({ length: 4096 }, (_, i) => (i * 37) % 251),
        100,
      ),
      null,
    );
    const empty = join(dir, 'empty.hevc');
    await writeFile(empty, '');
    assert.equal(await scanHevcFile(empty), null);
  });

  test('an SPS that ends early gives no size, not a wrong one', () => {
    assert.equal(parseSpsSize(Uint8Array.of(0x01, 0x01, 0x60)), null);
  });
});
