import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { POLICY_DEFAULTS } from '../../src/config.js';
import { onDownloadBlocked, pauseInEffect, type BackoffState } from '../../src/core/backoff.js';
import type { BatchInput, PolicyDefaults, VideoInput } from '../../src/core/batch-input.js';
import { resolveBatchPolicy, videoPolicyFromInput } from '../../src/core/policy.js';
import { RELEASE_0_2_DEFAULTS } from '../../src/workflows/legacy/release-0.2.js';

const input: BatchInput = { urlsFile: '/u', clipDir: '/c', outDir: '/o', workDir: '/w' };

describe('resolveBatchPolicy', () => {
  test("the input's values win; what it leaves out comes from the defaults given, not from config.ts", () => {
    const other: PolicyDefaults = { ...RELEASE_0_2_DEFAULTS, workers: 7, pageSize: 11, maxHostAttempts: 2 };
    const policy = resolveBatchPolicy({ ...input, workers: 3, settings: { width: 640 } }, other);
    assert.equal(policy.workers, 3);
    assert.equal(policy.pageSize, 11);
    assert.equal(policy.video.maxHostAttempts, 2);
    assert.deepEqual(policy.settings, { ...RELEASE_0_2_DEFAULTS.settings, width: 640 });
  });

  test('the download retry of the batch reaches the video policy, other profiles stay', () => {
    const policy = resolveBatchPolicy({ ...input, downloadRetry: { maximumAttempts: 2 } }, POLICY_DEFAULTS);
    assert.deepEqual(policy.video.download, { ...POLICY_DEFAULTS.activities.download, maximumAttempts: 2 });
    assert.deepEqual(policy.video.encode, POLICY_DEFAULTS.activities.encode);
  });

  test('a video without a policy (started before 0.3) gets the values its batch had', () => {
    const video = { downloadRetry: { initialIntervalSeconds: 3 } } as VideoInput;
    const policy = videoPolicyFromInput(video, RELEASE_0_2_DEFAULTS);
    assert.equal(policy.download.initialIntervalSeconds, 3);
    assert.equal(policy.maxHostAttempts, 5);
    assert.equal(policy.maxPauseAnswerMinutes, 10);
  });

  test("0.2's frozen literals equal 0.2's config (a guard against editing them)", () => {
    assert.deepEqual(RELEASE_0_2_DEFAULTS, {
      settings: { width: 1280, height: 720, fps: 30, maxrateKbps: 4000, bufsizeKbits: 8000, gop: 240 },
      workers: 2,
      startDelaySeconds: 15,
      pageSize: 200,
      maxStartsPerRun: 400,
      recentLimit: 100,
      cancelWaitMinutes: 10,
      backoffSeconds: 600,
      maxPauses: 5,
      heartbeatTimeoutSeconds: 30,
      hostTimeoutSeconds: 300,
      maxHostAttempts: 5,
      maxPauseAnswerMinutes: 10,
      activities: {
        download: { startToCloseMinutes: 180, maximumAttempts: 5, initialIntervalSeconds: 10 },
        encode: { startToCloseMinutes: 240, maximumAttempts: 5, initialIntervalSeconds: 5 },
        quick: { startToCloseMinutes: 2, maximumAttempts: 10, initialIntervalSeconds: 1 },
        report: { startToCloseMinutes: 30, maximumAttempts: 10, initialIntervalSeconds: 1 },
      },
    });
  });
});

describe('shared backoff decision', () => {
  const limits = { backoffSeconds: 10, maxPauses: 2 };
  const blocked = { videoId: 'v', errorType: 'RateLimited', message: 'HTTP Error 429' };
  const fresh: BackoffState = { pauses: 0, paused: null, abandoned: null };

  test('pauses double with each pause in a row, then downloads are given up', () => {
    const first = onDownloadBlocked(fresh, blocked, 1_000, limits);
    assert.equal(first.decision.kind, 'pause');
    assert.equal(first.state.paused?.until, 11_000);
    const second = onDownloadBlocked(first.state, blocked, 12_000, limits);
    assert.equal(second.state.paused?.until, 32_000, 'twice as long');
    const third = onDownloadBlocked(second.state, blocked, 40_000, limits);
    assert.equal(third.decision.kind, 'abandon');
    assert.match(third.state.abandoned?.message ?? '', /after 2 pauses without a successful download \(RateLimited\)/);
  });

  test('a report during a pause, or after giving up, changes nothing', () => {
    const paused = onDownloadBlocked(fresh, blocked, 0, limits).state;
    assert.deepEqual(onDownloadBlocked(paused, blocked, 5_000, limits), { state: paused, decision: { kind: 'none' } });
    assert.equal(pauseInEffect(paused, 5_000), paused.paused);
    assert.equal(pauseInEffect(paused, 10_000), null, 'over at its end');
    const given = { ...fresh, abandoned: { errorType: 'BotCheck', message: 'x' } };
    assert.equal(onDownloadBlocked(given, blocked, 0, limits).decision.kind, 'none');
  });
});
