import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { classifyFfmpegFailure, classifyYtDlpFailure, encoderProblemLine, ErrorType } from '../../src/core/errors.js';
import { FIXTURES } from '../helpers/paths.js';

const expectations: Array<[string, ErrorType, boolean]> = [
  ['private.txt', ErrorType.VideoUnavailable, false],
  ['removed.txt', ErrorType.VideoUnavailable, false],
  ['age-gated.txt', ErrorType.VideoUnavailable, false],
  ['http-404-generic.txt', ErrorType.VideoUnavailable, false],
  ['http-410-generic.txt', ErrorType.VideoUnavailable, false],
  ['format-unavailable.txt', ErrorType.FormatUnavailable, false],
  ['bot-check.txt', ErrorType.BotCheck, true],
  ['http-429.txt', ErrorType.RateLimited, true],
  ['session-rate-limited.txt', ErrorType.RateLimited, true],
  ['geo-blocked.txt', ErrorType.VideoUnavailable, false],
  ['copyright.txt', ErrorType.VideoUnavailable, false],
  ['account-terminated.txt', ErrorType.VideoUnavailable, false],
  ['members-only.txt', ErrorType.VideoUnavailable, false],
  ['http-429-generic.txt', ErrorType.RateLimited, true],
  ['stalled-transfer.txt', ErrorType.Network, true],
  ['stalled-transfer-newline.txt', ErrorType.Network, true],
  ['cut-short-transfer.txt', ErrorType.Network, true],
  ['http-403-generic.txt', ErrorType.Network, true],
  ['http-500-generic.txt', ErrorType.Network, true],
  ['connection-refused.txt', ErrorType.Network, true],
];

for (const [fixture, type, retryable] of expectations) {
  test(`yt-dlp stderr ${fixture} → ${type}${retryable ? '' : ', permanent'}`, () => {
    const lines = readFileSync(join(FIXTURES, 'ytdlp-stderr', fixture), 'utf8').split('\n');
    const classified = classifyYtDlpFailure(lines, 1);
    assert.equal(classified.type, type);
    assert.equal(classified.retryable, retryable);
    assert.match(classified.message, /^ERROR: /);
  });
}

test('unknown yt-dlp failures are retried', () => {
  assert.deepEqual(classifyYtDlpFailure(['something odd'], 1), {
    type: ErrorType.Unknown,
    retryable: true,
    message: 'something odd',
  });
  assert.equal(classifyYtDlpFailure([], 1).message, 'yt-dlp exited with code 1');
});

test('ffmpeg: a killed process and a full disk are retried, a bad input is not', () => {
  assert.equal(classifyFfmpegFailure([], undefined, 'SIGKILL').retryable, true);
  assert.equal(classifyFfmpegFailure(['/out/x.tmp: No space left on device'], 1, undefined).type, ErrorType.DiskFull);
  const bad = classifyFfmpegFailure(
    ['[mov,mp4] moov atom not found', '/src.mp4: Invalid data found when processing input'],
    1,
    undefined,
  );
  assert.deepEqual([bad.type, bad.retryable], [ErrorType.EncodeFailed, false]);
  assert.equal(
    classifyFfmpegFailure(['[hevc_nvenc] OpenEncodeSessionEx failed: out of memory (10)'], 1, undefined).type,
    ErrorType.EncoderUnavailable,
  );
});

test('NVENC probe: the line that says why, from real stderr (an H200 has no NVENC; a host without a driver)', () => {
  const read = (name: string) => readFileSync(join(FIXTURES, 'ffmpeg-stderr', name), 'utf8').split('\n');
  const h200 = read('nvenc-probe-h200-no-nvenc.txt');
  assert.equal(encoderProblemLine(h200), 'OpenEncodeSessionEx failed: unsupported device (2): (no details)');
  const classified = classifyFfmpegFailure(h200, 1, undefined);
  assert.deepEqual(
    [classified.type, classified.message],
    [ErrorType.EncoderUnavailable, 'OpenEncodeSessionEx failed: unsupported device (2): (no details)'],
  );
  assert.equal(encoderProblemLine(read('nvenc-probe-no-driver.txt')), 'Cannot load libcuda.so.1');
  assert.equal(encoderProblemLine(['/src.mp4: Invalid data found when processing input']), null);
});

test('ffmpeg stopped by a signal it caught (exit 255, real stderr) is retried, not blamed on the clip', () => {
  const stderr = readFileSync(join(FIXTURES, 'ffmpeg-stderr', 'libx265-sigint.txt'), 'utf8').split('\n');
  assert.deepEqual(classifyFfmpegFailure(stderr, 255, undefined), {
    type: ErrorType.EncodeFailed,
    retryable: true,
    message: 'ffmpeg stopped by signal 2',
  });
  // The same exit code without that line is the input's fault.
  assert.equal(classifyFfmpegFailure(stderr.slice(0, -2), 255, undefined).retryable, false);
});
