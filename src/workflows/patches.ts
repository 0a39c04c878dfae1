// Every change to what a workflow does goes behind its own patch ID; the policy, with
// the life cycle of each patch, is in docs/VERSIONING.md. Histories of every release
// are in test/fixtures/histories/ and must keep replaying (test/replay/replay.test.ts).
export const PATCHES = {
  /**
   * 0.2: verifyClip and recordVideo run as local activities, the host deletes the
   * source and records the result in one activity (finishVideo), the batch reads its
   * pages as local activities and starts all the videos that fit its window at once
   * (one start round trip for many, not one each): about 2.4x the videos per second.
   * Also guards, for histories of 0.2.0, GPU routing, host-lost restarts, the shared
   * download backoff and download sections, which shipped under this ID before the
   * one-patch-per-change rule.
   */
  v02: 'vstream-0.2',
  /**
   * 0.3: a batch's first run records its defaults (a local activity returning
   * config.ts's POLICY_DEFAULTS) and carries the resolved policy through
   * continue-as-new and into each video's input. Histories without it run on 0.2's
   * frozen literals (legacy/release-0.2.ts).
   */
  frozenPolicy: 'vstream-0.3-frozen-policy',
  /**
   * 0.4: a batch whose input asks for it (`recheckClipFiles`, set by `vstream run`) has
   * its page reads recheck the clip files of videos earlier runs finished, and runs
   * again those whose clip file appeared or changed since (`prior.stale`). Histories
   * without it never ask.
   */
  recheckClipFiles: 'vstream-0.4-recheck-clip-files',
  /**
   * 0.5: the batch tells its story to the Temporal UI. Static summaries and details on
   * each video's start, activity summaries, the batch's current details; a failed video
   * ends as a Failed workflow (its errorType the failure's type, its result the details)
   * after it reported to the batch. A batch whose input says `searchAttributes` (the
   * server has them) also upserts the vstream search attributes and hands the flag to its
   * videos, which upsert theirs. Histories without it complete every video and upsert none.
   */
  ui: 'vstream-0.5-ui',
  /**
   * 0.5: a batch whose input asks for it (`downloadAhead`, set by `vstream run`) keeps
   * that many videos in flight beyond `workers`, so the next sources download while
   * others encode, and staggers the start of its whole first window. Histories without
   * it keep `workers` in flight and stagger the first `workers`.
   */
  downloadAhead: 'vstream-0.5-download-ahead',
  /**
   * 0.5: a host activity that did not start within the host timeout moves its video only
   * if the host's ping queue stays unanswered too; a host that answers is busy (its slots
   * full of long downloads or encodes), and the activity waits on it again. Histories
   * without it move the video at the first such timeout (a busy host was taken for gone,
   * and after maxHostAttempts the video failed).
   */
  busyHost: 'vstream-0.5-busy-host',
  /**
   * 0.5: a video workflow that closes without having reported (terminated from the UI,
   * failed before its report) is counted by the batch as failed (or cancelled) and its
   * result recorded, instead of the batch waiting for it forever. Only for videos started
   * by the current run (their child handle). Histories without it wait for the signal.
   */
  childClosed: 'vstream-0.5-child-closed',
  /**
   * 0.5: the download activity gets the video's encode (clips, output folder, settings), so
   * that a host with an idle encoder starts encoding while the source still downloads (the
   * encode activity then takes over what was started). Asked in the video's first task.
   * Histories without it send the download no encode: it only downloads.
   */
  encodeWhileDownloading: 'vstream-0.5-encode-while-downloading',
} as const;
