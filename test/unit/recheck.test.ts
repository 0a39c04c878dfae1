import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sha256Hex } from '../../src/core/hashing.js';
import * as layout from '../../src/core/layout.js';
import { clipFileChange } from '../../src/core/recheck.js';
import type { VideoResult, VideoStatus } from '../../src/core/types.js';
import { recheckBatch, recheckClipFile } from '../../src/tools/clip-recheck.js';
import { isSettled } from '../../src/workflows/window.js';

const CLIPS = '0 30\n60 90\n';

describe('clipFileChange: whether a finished video must run again', () => {
  test('a skipped video whose clip file now has a usable line: appeared', () => {
    assert.equal(clipFileChange('skipped', CLIPS, null), 'appeared');
    assert.equal(clipFileChange('skipped', null, null), null, 'still no clip file');
    assert.equal(clipFileChange('skipped', '# nothing\nbad line\n', null), null, 'still no usable line');
  });

  test('a succeeded or partial video whose clip file is not the one its manifest names: changed', () => {
    for (const status of ['succeeded', 'partial'] as const) {
      assert.equal(clipFileChange(status, CLIPS, sha256Hex('0 30\n')), 'changed', status);
      assert.equal(clipFileChange(status, CLIPS, sha256Hex(CLIPS)), null, `${status}: same file`);
    }
    assert.equal(clipFileChange('succeeded', CLIPS, null), null, 'no manifest: nothing to compare');
    assert.equal(clipFileChange('succeeded', null, sha256Hex(CLIPS)), null, 'a vanished clip file changes nothing');
  });

  test('failed and cancelled videos are not rechecked (--retry-failed; continued anyway)', () => {
    for (const status of ['failed', 'cancelled'] as const) assert.equal(clipFileChange(status, CLIPS, 'x'), null);
  });
});

describe('isSettled with stale priors', () => {
  test('a stale prior is never settled; otherwise the status decides', () => {
    for (const status of ['succeeded', 'skipped', 'partial', 'failed'] as VideoStatus[]) {
      assert.equal(isSettled({ status, clips: 1, stale: true }, false), false, `${status}, stale`);
      assert.equal(isSettled({ status, clips: 1, stale: true }, true), false, `${status}, stale, retry`);
    }
    assert.equal(isSettled({ status: 'succeeded', clips: 1, stale: false }, false), true);
    assert.equal(isSettled({ status: 'skipped', clips: 0 }, true), true);
    assert.equal(isSettled({ status: 'failed', clips: 0 }, false), true);
    assert.equal(isSettled({ status: 'failed', clips: 0 }, true), false);
    assert.equal(isSettled(null, false), false);
  });
});

describe('recheckClipFile and recheckBatch (files on disk)', () => {
  const result = (videoId: string, status: VideoStatus): VideoResult => ({
    videoId,
    line: 1,
    url: `http://x/${videoId}`,
    status,
    reason: null,
    errorType: null,
    clipErrors: [],
    clips: [],
  });

  test('find the videos whose clip file appeared or changed, counting the clip files checked', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vstream-recheck-'));
    const dirs = { clipDir: join(root, 'clips'), outDir: join(root, 'out') };
    const batchId = 'b1';
    await mkdir(dirs.clipDir, { recursive: true });
    const recorded: Array<[string, VideoStatus, string | null, string | null]> = [
      // videoId, recorded status, clip file now, clip file its manifest names
      ['aaaaaaaaaaa', 'succeeded', CLIPS, CLIPS],
      ['bbbbbbbbbbb', 'skipped', CLIPS, null],
      ['ccccccccccc', 'succeeded', '0 30\n', CLIPS],
      ['ddddddddddd', 'skipped', null, null],
      ['eeeeeeeeeee', 'failed', CLIPS, null],
      ['fffffffffff', 'partial', null, CLIPS],
    ];
    const videos = [...recorded.map(([id]) => id), 'ggggggggggg'];
    const { videos: videosPath } = layout.snapshotPaths(dirs.outDir, batchId);
    await mkdir(join(layout.batchDir(dirs.outDir, batchId), 'results'), { recursive: true });
    await writeFile(
      videosPath,
      videos.map((videoId, index) => `${JSON.stringify({ index, line: index + 1, url: 'u', videoId })}\n`).join(''),
    );
    for (const [videoId, status, clipFile, madeFrom] of recorded) {
      await writeFile(layout.resultPath(dirs.outDir, batchId, videoId), JSON.stringify(result(videoId, status)));
      if (clipFile !== null) await writeFile(layout.clipListPath(dirs.clipDir, videoId), clipFile);
      if (madeFrom !== null) {
        await mkdir(layout.videoOutDir(dirs.outDir, videoId), { recursive: true });
        const manifest = { clipFileSha256: sha256Hex(madeFrom) };
        await writeFile(layout.manifestPath(dirs.outDir, videoId), JSON.stringify(manifest));
      }
    }
    assert.equal(await recheckClipFile(dirs, 'bbbbbbbbbbb', 'skipped'), 'appeared');
    assert.equal(await recheckClipFile(dirs, 'ccccccccccc', 'succeeded'), 'changed');
    assert.equal(await recheckClipFile(dirs, 'aaaaaaaaaaa', 'succeeded'), null);
    assert.deepEqual(await recheckBatch(dirs, batchId), {
      checked: 5,
      stale: [
        { videoId: 'bbbbbbbbbbb', change: 'appeared' },
        { videoId: 'ccccccccccc', change: 'changed' },
      ],
    });
  });
});
