import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildDownloadArgs,
  buildMetadataArgs,
  combinedProgress,
  DEFAULT_FORMAT,
  expectedSizeFromInfo,
  parseDownloadProgress,
  parseSourceFileName,
  redactSecrets,
  secretsOf,
  sourceOutputTemplate,
} from '../../src/core/ytdlp-args.js';

test('download arguments: video only, no config, URL after --', () => {
  const args = buildDownloadArgs({
    url: 'https://www.youtube.com/watch?v=-abcdefghij',
    targetDir: '/work/b/-abcdefghij',
  });
  assert.equal(args.at(-2), '--');
  assert.equal(args.at(-1), 'https://www.youtube.com/watch?v=-abcdefghij');
  assert.equal(args[args.indexOf('-f') + 1], DEFAULT_FORMAT);
  assert.equal(args[args.indexOf('-o') + 1], '/work/b/-abcdefghij/source.%(ext)s');
  assert.ok(args.includes('--ignore-config'));
  assert.ok(args.includes('--no-playlist'));
  assert.ok(!DEFAULT_FORMAT.includes('bestaudio'), 'vstreams carry no audio');
  assert.ok(DEFAULT_FORMAT.startsWith('299/'), 'prefers the original 1080p60 H.264 format');
  assert.ok(!DEFAULT_FORMAT.includes('vcodec^=av01'), 'never AV1 by default');
});

test('a % in the work dir is not read as a yt-dlp template field', () => {
  assert.equal(sourceOutputTemplate('/tmp/100%done'), '/tmp/100%%done/source.%(ext)s');
});

test('progress lines', () => {
  assert.deepEqual(parseDownloadProgress('vstream-progress 1024 832830 NA'), {
    downloadedBytes: 1024,
    totalBytes: 832830,
  });
  assert.deepEqual(parseDownloadProgress('vstream-progress 2048 NA 90000'), {
    downloadedBytes: 2048,
    totalBytes: 90000,
  });
  assert.deepEqual(parseDownloadProgress('vstream-progress 2048 NA NA'), { downloadedBytes: 2048, totalBytes: null });
  assert.deepEqual(parseDownloadProgress('vstream-progress 2048 90000 NA 52345.67'), {
    downloadedBytes: 2048,
    totalBytes: 90000,
    speedBytesPerSecond: 52346,
  });
  assert.equal(parseDownloadProgress('[download] Destination: x'), null);
});

test('metadata first, then a download from it without a second extraction', () => {
  const meta = buildMetadataArgs({ url: 'https://youtu.be/-abcdefghij' });
  assert.ok(meta.includes('--dump-single-json'));
  assert.deepEqual(meta.slice(-2), ['--', 'https://youtu.be/-abcdefghij']);
  const args = buildDownloadArgs({
    url: 'https://youtu.be/-abcdefghij',
    targetDir: '/w',
    infoJsonPath: '/w/info.json',
  });
  assert.deepEqual(args.slice(-2), ['--load-info-json', '/w/info.json']);
  assert.ok(!args.includes('https://youtu.be/-abcdefghij'));
});

test('expected size: the selected format, the sum of merged formats, or a direct link to ask', () => {
  assert.deepEqual(expectedSizeFromInfo({ filesize: 1000, url: 'https://cdn/x' }), {
    bytes: 1000,
    directUrl: 'https://cdn/x',
    headers: {},
  });
  assert.equal(expectedSizeFromInfo({ filesize: null, filesize_approx: 2000 }).bytes, 2000);
  assert.equal(expectedSizeFromInfo({ requested_formats: [{ filesize: 10 }, { filesize_approx: 5 }] }).bytes, 15);
  assert.equal(expectedSizeFromInfo({ requested_formats: [{ filesize: 10 }, {}] }).bytes, null);
  const direct = expectedSizeFromInfo({ url: 'http://127.0.0.1:9/a.mp4', http_headers: { 'User-Agent': 'x' } });
  assert.deepEqual(direct, { bytes: null, directUrl: 'http://127.0.0.1:9/a.mp4', headers: { 'User-Agent': 'x' } });
});

test('the default format chain: 299, H.264, VP9, anything but AV1, all up to 1080p', () => {
  assert.deepEqual(DEFAULT_FORMAT.split('/'), [
    '299',
    'bv[height<=?1080][vcodec^=avc1]',
    "bv[height<=?1080][vcodec~='^vp0?9']",
    'bv[height<=?1080][vcodec!^=?av01]',
    'b[height<=?1080][vcodec!^=?av01]',
  ]);
  const args = buildDownloadArgs({ url: 'u', targetDir: '/w', format: 'bv[vcodec^=av01]' });
  assert.equal(args[args.indexOf('-f') + 1], 'bv[vcodec^=av01]', '--format replaces the chain');
});

test('worker-side settings become yt-dlp arguments before the URL', () => {
  const args = buildDownloadArgs({
    url: 'https://youtu.be/aaaaaaaaaaa',
    targetDir: '/w',
    options: {
      cookiesFile: '/w/cookies.txt',
      proxy: 'http://u:p@h:1',
      limitRate: '4M',
      sleepIntervalSeconds: 5,
      extraArgs: ['--geo-bypass'],
    },
  });
  const at = (flag: string) => args[args.indexOf(flag) + 1];
  assert.deepEqual(
    [at('--cookies'), at('--proxy'), at('--limit-rate'), at('--sleep-interval')],
    ['/w/cookies.txt', 'http://u:p@h:1', '4M', '5'],
  );
  assert.ok(args.indexOf('--geo-bypass') < args.indexOf('--'));
});

test('secrets: the proxy URL and password, cookie values, credential flags; redacted from output', () => {
  const cookies =
    '# Netscape HTTP Cookie File\n.youtube.com\tTRUE\t/\tTRUE\t0\tSID\tcookie-value-1234\n.youtube.com\tTRUE\t/\tTRUE\t0\tX\tab\n';
  const secrets = secretsOf(
    { proxy: 'http://user:pa%24ss@proxy:3128', extraArgs: ['--password', 'hunter22', '--username=alice'] },
    cookies,
  );
  assert.ok(
    secrets.includes('pa%24ss') && secrets.includes('pa$ss') && secrets.includes('http://user:pa%24ss@proxy:3128'),
  );
  assert.ok(secrets.includes('cookie-value-1234') && !secrets.includes('ab'), 'short values are not worth redacting');
  assert.ok(secrets.includes('hunter22') && secrets.includes('alice'));
  assert.equal(
    redactSecrets('ERROR: Unable to connect to proxy http://user:pa%24ss@proxy:3128 (hunter22)', secrets),
    'ERROR: Unable to connect to proxy [redacted] ([redacted])',
  );
});

test('sections: one --download-sections per range, source timestamps kept, one file per section', () => {
  const args = buildDownloadArgs({
    url: 'https://www.youtube.com/watch?v=abcdefghijk',
    targetDir: '/w/abcdefghijk',
    sections: [
      { start: 1, end: 3.5 },
      { start: 10.5, end: 13 },
    ],
  });
  assert.deepEqual(args.slice(args.indexOf('-o'), args.indexOf('-o') + 8), [
    '-o',
    '/w/abcdefghijk/source.%(section_start)s.%(ext)s',
    '--download-sections',
    '*1-3.5',
    '--download-sections',
    '*10.5-13',
    '--downloader-args',
    'ffmpeg_o:-copyts',
  ]);
  assert.ok(!buildDownloadArgs({ url: 'u', targetDir: '/w' }).includes('--download-sections'));
});

test('source file names: whole video or section, finished or not', () => {
  assert.deepEqual(parseSourceFileName('source.mp4'), { sectionStart: null, partial: false });
  assert.deepEqual(parseSourceFileName('source.mp4.part'), { sectionStart: null, partial: true });
  assert.deepEqual(parseSourceFileName('source.10.5.webm'), { sectionStart: 10.5, partial: false });
  assert.deepEqual(parseSourceFileName('source.0.mp4.part'), { sectionStart: 0, partial: true });
  assert.equal(parseSourceFileName('info.json'), null);
  assert.equal(parseSourceFileName('cookies.txt'), null);
});

test('runs side by side report as one download: summed bytes and speeds, a total once every run knows its own', () => {
  const a = { downloadedBytes: 100, totalBytes: 400, speedBytesPerSecond: 10 };
  const b = { downloadedBytes: 50, totalBytes: 200 };
  assert.equal(combinedProgress([null, null]), null);
  assert.deepEqual(combinedProgress([a, null]), { downloadedBytes: 100, totalBytes: null, speedBytesPerSecond: 10 });
  assert.deepEqual(combinedProgress([a, b]), { downloadedBytes: 150, totalBytes: 600, speedBytesPerSecond: 10 });
  assert.deepEqual(combinedProgress([b, { ...b, totalBytes: null }]), { downloadedBytes: 100, totalBytes: null });
});
