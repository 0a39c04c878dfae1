import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDownloadArgs, DEFAULT_FORMAT, parseDownloadProgress, sourceOutputTemplate } from '../../src/core/ytdlp-args.js';

test('download arguments: video only, no config, URL after --', () => {
  const args = buildDownloadArgs({ url: 'https://www.youtube.com/watch?v=-abcdefghij', targetDir: '/work/b/-abcdefghij' });
  assert.equal(args.at(-2), '--');
  assert.equal(args.at(-1), 'https://www.youtube.com/watch?v=-abcdefghij');
  assert.equal(args[args.indexOf('-f') + 1], DEFAULT_FORMAT);
  assert.equal(args[args.indexOf('-o') + 1], '/work/b/-abcdefghij/source.%(ext)s');
  assert.ok(args.includes('--ignore-config'));
  assert.ok(args.includes('--no-playlist'));
  assert.ok(!DEFAULT_FORMAT.includes('bestaudio'), 'vstreams carry no audio');
  assert.ok(DEFAULT_FORMAT.startsWith('299/'), 'prefers the original 1080p60 H.264 format');
});

test('a % in the work dir is not read as a yt-dlp template field', () => {
  assert.equal(sourceOutputTemplate('/tmp/100%done'), '/tmp/100%%done/source.%(ext)s');
});

test('progress lines', () => {
  assert.deepEqual(parseDownloadProgress('vstream-progress 1024 832830 NA'), { downloadedBytes: 1024, totalBytes: 832830 });
  assert.deepEqual(parseDownloadProgress('vstream-progress 2048 NA 90000'), { downloadedBytes: 2048, totalBytes: 90000 });
  assert.deepEqual(parseDownloadProgress('vstream-progress 2048 NA NA'), { downloadedBytes: 2048, totalBytes: null });
  assert.equal(parseDownloadProgress('[download] Destination: x'), null);
});
