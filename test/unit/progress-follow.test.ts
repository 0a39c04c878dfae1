import assert from 'node:assert/strict';
import { test } from 'node:test';
import { followProgress, settleBy } from '../../src/client/progress.js';
import type { ProgressScreen } from '../../src/client/progress-screen.js';
import type { ProgressSnapshot } from '../../src/core/progress-view.js';
import { PROGRESS_DEFAULTS } from '../../src/config.js';

function recordingScreen() {
  const shown: ProgressSnapshot[] = [];
  const screen: ProgressScreen = {
    line: () => undefined,
    show: (s) => shown.push(s),
    close: () => undefined,
    wantsActivities: () => true,
  };
  return { screen, shown };
}

test('settleBy: the promise when it settles first, the fallback when the deadline passes first', async () => {
  assert.equal(await settleBy(Promise.resolve('early'), Date.now() + 1_000, 'late'), 'early');
  assert.equal(await settleBy(new Promise<string>(() => undefined), Date.now() + 20, 'late'), 'late');
});

test("the last look is bounded: a snapshot whose server went away mid-call does not hold the command's end", async () => {
  const pollMs = 20;
  const { screen, shown } = recordingScreen();
  const follow = followProgress(() => new Promise<ProgressSnapshot | null>(() => undefined), screen, pollMs);
  const started = Date.now();
  await follow.stop(true);
  const took = Date.now() - started;
  assert.ok(took < PROGRESS_DEFAULTS.finalLookTries * pollMs + 200, `stop took ${took} ms`);
  assert.equal(shown.length, 0);
});

test('the last look shows the latest snapshot when the server answers', async () => {
  const { screen, shown } = recordingScreen();
  let calls = 0;
  const snapshot = { at: 1 } as unknown as ProgressSnapshot;
  const follow = followProgress(async () => (++calls >= 2 ? snapshot : null), screen, 10_000);
  await follow.stop(true);
  assert.equal(shown.length, 1, 'the first look failed, the final one showed');
});
