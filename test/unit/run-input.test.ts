import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OPTION_DEFAULTS, parseRunOptions } from '../../src/client/options.js';
import { batchInputFromOptions, runBatchId, withRateControl } from '../../src/client/run-input.js';
import { DEFAULT_ENCODE_SETTINGS, DEFAULT_X265_CRF } from '../../src/config.js';
import { describeSettingsDifference } from '../../src/core/encode-settings.js';
import { deriveBatchId } from '../../src/core/hashing.js';

const options = (over: Record<string, unknown> = {}) =>
  parseRunOptions({
    urlsFile: '/in/urls.txt',
    inputClipDir: '/in/clips',
    outputDir: '/out',
    ...OPTION_DEFAULTS,
    ...over,
  });

describe('the batch input of vstream run', () => {
  test('carries every run option the batch uses, with the defaults spelled out', () => {
    assert.deepEqual(batchInputFromOptions(options(), 'b1', '/work'), {
      batchId: 'b1',
      urlsFile: '/in/urls.txt',
      clipDir: '/in/clips',
      outDir: '/out',
      workDir: '/work',
      settings: { width: 1280, height: 720, fps: 30, maxrateKbps: 4000, bufsizeKbits: 8000, gop: 240 },
      workers: 2,
      downloadAhead: 2,
      startDelaySeconds: 15,
      retryFailed: false,
      recheckClipFiles: true,
      heartbeatTimeoutSeconds: Number(OPTION_DEFAULTS.heartbeatTimeout),
      backoffSeconds: 600,
      maxPauses: 5,
      downloadRetry: {
        maximumAttempts: Number(OPTION_DEFAULTS.downloadAttempts),
        initialIntervalSeconds: Number(OPTION_DEFAULTS.downloadRetryInterval),
      },
      downloadMode: 'full',
    });
  });

  test('the flags reach the input; format only when given', () => {
    const input = batchInputFromOptions(
      options({
        workers: '7',
        startDelay: '0',
        retryFailed: true,
        format: '18',
        downloadMode: 'sections',
        downloadAttempts: '3',
        downloadRetryInterval: '2',
      }),
      'b2',
      '/w',
    );
    assert.equal(input.workers, 7);
    assert.equal(input.downloadAhead, 7, 'one video downloaded ahead per worker unless told');
    assert.equal(input.startDelaySeconds, 0);
    assert.equal(input.retryFailed, true);
    assert.equal(input.format, '18');
    assert.equal(input.downloadMode, 'sections');
    assert.deepEqual(input.downloadRetry, { maximumAttempts: 3, initialIntervalSeconds: 2 });
    assert.ok(
      !('format' in batchInputFromOptions(options(), 'b', '/w')),
      'no format key: the workflow default applies',
    );
  });

  test('--download-ahead: any whole number; 0 leaves the field out (the window is --workers, as before 0.5)', () => {
    assert.equal(batchInputFromOptions(options({ downloadAhead: '3' }), 'b', '/w').downloadAhead, 3);
    assert.ok(!('downloadAhead' in batchInputFromOptions(options({ downloadAhead: '0' }), 'b', '/w')));
    assert.throws(() => options({ downloadAhead: '-1' }), /--download-ahead/);
    assert.throws(() => options({ downloadAhead: 'x' }), /--download-ahead/);
  });

  test('the batch ID is --batch-id, else derived from the paths and settings', () => {
    assert.equal(runBatchId(options({ batchId: 'mine' })), 'mine');
    const o = options();
    assert.equal(
      runBatchId(o),
      deriveBatchId({ urlsFile: o.urlsFile, clipDir: o.clipDir, outDir: o.outDir, settings: o.settings }),
    );
    assert.notEqual(runBatchId(options({ fps: '25' })), runBatchId(o));
  });
});

describe("the rate control of a run: asked for, the output folder's, or the default", () => {
  const abrFolder = { ...DEFAULT_ENCODE_SETTINGS };
  const crfFolder = { ...DEFAULT_ENCODE_SETTINGS, crf: 26 };
  const resolved = (over: Record<string, unknown>, recorded: typeof abrFolder | null) =>
    withRateControl(options(over), recorded);

  test('a new output folder gets the default CRF', () => {
    assert.equal(resolved({}, null).settings.crf, DEFAULT_X265_CRF);
  });

  test('a folder made before --crf keeps ABR: the same command is the same batch as before', () => {
    const run = resolved({}, abrFolder);
    assert.equal('crf' in run.settings, false);
    assert.equal(
      runBatchId(run),
      deriveBatchId({ urlsFile: '/in/urls.txt', clipDir: '/in/clips', outDir: '/out', settings: abrFolder }),
    );
    // The batch ID main derived for this command, before crf existed.
    assert.equal(runBatchId(run), 'vstream-f1673c23a3289f82');
  });

  test("without --crf, a folder's own CRF", () => {
    assert.equal(resolved({}, crfFolder).settings.crf, 26);
  });

  test('--crf off is ABR, in any folder', () => {
    assert.equal('crf' in resolved({ crf: 'off' }, null).settings, false);
    assert.equal('crf' in resolved({ crf: 'off' }, crfFolder).settings, false);
  });

  test('an explicit choice is kept, and one that differs from the folder is named by the mismatch message', () => {
    const run = resolved({ crf: '20' }, abrFolder);
    assert.equal(run.settings.crf, 20);
    assert.deepEqual(describeSettingsDifference(run.settings, abrFolder), ['--crf 20 (output folder has off)']);
    assert.deepEqual(describeSettingsDifference(resolved({ crf: 'off' }, crfFolder).settings, crfFolder), [
      '--crf off (output folder has 26)',
    ]);
  });
});
