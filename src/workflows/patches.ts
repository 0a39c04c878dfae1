// Workflow changes that would not replay the histories of batches already running
// go through patched(ID). Recorded histories of each released version are in
// test/fixtures/histories/ and must keep replaying (test/replay/replay.test.ts).
// Once no workflow of an older version can still be running, deprecatePatch(ID),
// then remove the old branch.
export const PATCHES = {
  /**
   * 0.2: verifyClip and recordVideo run as local activities, the host deletes the
   * source and records the result in one activity (finishVideo), the batch reads its
   * pages as local activities and starts all the videos that fit its window at once
   * (one start round trip for many, not one each): about 2.4x the videos per second.
   */
  v02: 'vstream-0.2',
} as const;
