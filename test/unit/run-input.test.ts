import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OPTION_DEFAULTS, parseRunOptions } from '../../src/client/options.js';
import { batchInputFromOptions, runBatchId } from '../../src/client/run-input.js';
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
