import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { statusWords } from '../../src/client/batch-commands.js';
import { parseRunOptions, OPTION_DEFAULTS } from '../../src/client/options.js';
import { UsageError } from '../../src/client/exit-codes.js';
import { DEFAULT_ENCODE_SETTINGS } from '../../src/config.js';
import { describeSettingsDifference } from '../../src/core/encode-settings.js';
import { deriveBatchId, settingsHash } from '../../src/core/hashing.js';

const raw = (over: Record<string, unknown> = {}) => ({
  urlsFile: 'urls.txt',
  inputClipDir: 'clips',
  outputDir: 'out',
  ...OPTION_DEFAULTS,
  ...over,
});

describe('run options', () => {
  test("defaults are the original's", () => {
    const options = parseRunOptions(raw());
    assert.deepEqual(
      [
        options.workers,
        options.startDelaySeconds,
        options.settings.width,
        options.settings.height,
        options.settings.fps,
        options.deviceId,
        options.logLevel,
        options.encoder,
      ],
      [2, 15, 1280, 720, 30, 0, 'info', 'auto'],
    );
    assert.ok(options.urlsFile.startsWith('/'), 'paths are made absolute');
  });

  test('the original INFO spelling of the log level is accepted', () => {
    assert.equal(parseRunOptions(raw({ logLevel: 'INFO' })).logLevel, 'info');
  });

  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ workers: '0' }, /--workers must be at least 1/],
    [{ workers: 'two' }, /--workers must be a number/],
    [{ startDelay: '-1' }, /--start-delay must not be negative/],
    [{ width: '1281' }, /even/],
    [{ encoder: 'qsv' }, /--encoder must be one of auto, nvenc, x265/],
    [{ temporalAddress: 'localhost' }, /HOST:PORT/],
    [{ batchId: '../x' }, /--batch-id/],
  ];
  for (const [over, message] of bad) {
    test(`rejects ${JSON.stringify(over)}`, () => {
      assert.throws(
        () => parseRunOptions(raw(over)),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
      );
    });
  }
});

describe('batch ID and settings', () => {
  const base = {
    urlsFile: '/a/urls.txt',
    clipDir: '/a/clips',
    outDir: '/a/out',
    settings: { ...DEFAULT_ENCODE_SETTINGS },
  };
  test('the same command is the same batch; any path or setting change is another', () => {
    assert.equal(deriveBatchId(base), deriveBatchId({ ...base }));
    assert.match(deriveBatchId(base), /^vstream-[0-9a-f]{16}$/);
    assert.notEqual(deriveBatchId(base), deriveBatchId({ ...base, outDir: '/a/out2' }));
    assert.notEqual(deriveBatchId(base), deriveBatchId({ ...base, settings: { ...base.settings, fps: 25 } }));
  });

  test('settings hash and a difference message naming the flag', () => {
    const other = { ...DEFAULT_ENCODE_SETTINGS, width: 640 };
    assert.notEqual(settingsHash(DEFAULT_ENCODE_SETTINGS), settingsHash(other));
    assert.deepEqual(describeSettingsDifference(other, DEFAULT_ENCODE_SETTINGS), [
      '--width 640 (output folder has 1280)',
    ]);
  });
});

test('status words: the phase only when it says more than the status', () => {
  assert.equal(statusWords('RUNNING', 'running'), 'running');
  assert.equal(statusWords('RUNNING', 'cancelling'), 'running (cancelling)');
  assert.equal(statusWords('COMPLETED', undefined), 'completed');
});
