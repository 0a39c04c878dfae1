import type { PolicyDefaults } from '../../core/batch-input.js';

/**
 * The defaults of releases 0.1 and 0.2, frozen: batches and videos whose histories
 * began before the policy was recorded (PATCHES.frozenPolicy) replay with exactly
 * these values, whatever config.ts says today. Never edit.
 */
export const RELEASE_0_2_DEFAULTS: PolicyDefaults = {
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
};
