import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { statusWords } from '../../src/client/batch-commands.js';
import { parseRunOptions, OPTION_DEFAULTS } from '../../src/client/options.js';
import { UsageError } from '../../src/client/exit-codes.js';
import { DEFAULT_ENCODE_SETTINGS } from '../../src/config.js';
import { describeSettingsDifference, settingsProblems } from '../../src/core/encode-settings.js';
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

  test('--crf: a CRF, off (ABR), or not given (resolved against the output folder)', () => {
    assert.equal(parseRunOptions(raw({ crf: '26' })).requestedCrf, 26);
    assert.equal(parseRunOptions(raw({ crf: '0' })).requestedCrf, 0);
    assert.equal(parseRunOptions(raw({ crf: 'OFF' })).requestedCrf, null);
    const notGiven = parseRunOptions(raw());
    assert.equal(notGiven.requestedCrf, undefined);
    assert.equal(notGiven.settings.crf, undefined);
  });

  test('encodes start while their sources download unless --no-encode-while-downloading', () => {
    assert.equal(parseRunOptions(raw()).encodeWhileDownloading, true);
    assert.equal(parseRunOptions(raw({ encodeWhileDownloading: false })).encodeWhileDownloading, false);
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
    [{ crf: '52' }, /--crf must be a whole number from 0 to 51, or off/],
    [{ crf: '23.5' }, /--crf must be a whole number from 0 to 51, or off/],
    [{ crf: 'abr' }, /--crf must be a whole number from 0 to 51, or off/],
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

  test('settings without crf keep the hash and batch ID they had before crf existed', () => {
    // Computed on main before the field was added: output folders and running batches keep their IDs.
    assert.equal(settingsHash(DEFAULT_ENCODE_SETTINGS), '145a765313764417');
    assert.equal(deriveBatchId(base), 'vstream-1cfcb6dc06c64a0e');
    assert.equal(settingsHash({ ...DEFAULT_ENCODE_SETTINGS, crf: undefined }), '145a765313764417');
  });

  test('a crf is part of the hash and of the batch ID; the difference names --crf', () => {
    const capped = { ...DEFAULT_ENCODE_SETTINGS, crf: 23 };
    assert.notEqual(settingsHash(capped), settingsHash(DEFAULT_ENCODE_SETTINGS));
    assert.notEqual(settingsHash(capped), settingsHash({ ...capped, crf: 26 }));
    assert.notEqual(deriveBatchId({ ...base, settings: capped }), deriveBatchId(base));
    assert.deepEqual(describeSettingsDifference(capped, DEFAULT_ENCODE_SETTINGS), ['--crf 23 (output folder has off)']);
    assert.deepEqual(describeSettingsDifference(DEFAULT_ENCODE_SETTINGS, capped), ['--crf off (output folder has 23)']);
  });

  test('settings problems: crf from 0 to 51, whole', () => {
    assert.deepEqual(settingsProblems({ ...DEFAULT_ENCODE_SETTINGS, crf: 0 }), []);
    assert.deepEqual(settingsProblems({ ...DEFAULT_ENCODE_SETTINGS }), []);
    for (const crf of [-1, 52, 20.5])
      assert.deepEqual(settingsProblems({ ...DEFAULT_ENCODE_SETTINGS, crf }), [
        '--crf must be a whole number from 0 to 51, or off',
      ]);
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
