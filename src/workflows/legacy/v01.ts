// Release 0.1's workflow code paths, kept only so histories begun by 0.1 replay
// (their first task ran before PATCHES.v02 existed, so patched() returns false).
//
// Delete this module, and the `patched(PATCHES.v02)` branches that lead here, once no
// workflow begun by 0.1 can still be running or resumed: 0.1 was superseded by 0.2 on
// 2026-11-28, so after the longest retention in use (30 days for the embedded server,
// the namespace retention on a cluster) past the last 0.1 batch, and after a release
// that calls deprecatePatch(PATCHES.v02) has shipped (see docs/VERSIONING.md).
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import type { VideoInput } from '../../core/batch-input.js';
import type { ClipOutput, LineError, VideoResult } from '../../core/types.js';
import { buildVideoResult, skippedResult, type Failure } from '../../core/video-result.js';
import type { StartMode } from '../batch-run.js';
import { videoPolicy } from '../policy.js';
import { hostActivities, sharedActivities } from '../proxies.js';
import { describeFailure, reportToBatch, verifyInput } from '../video-steps.js';

/** 0.1 read the batch's pages with remote activities and awaited each child start. */
export const BATCH_0_1: StartMode = { pagesAsLocalActivities: false, concurrentStarts: false };

interface OutcomeV01 {
  result: VideoResult;
  encoder: string | null;
  clipFileSha256: string | null;
}

/** The 0.1 video workflow: remote verify and record, download, encode and delete on the host queue. */
export async function videoWorkflowV01(input: VideoInput): Promise<VideoResult> {
  const policy = videoPolicy(input);
  const { remote } = sharedActivities(policy.quick);
  let outcome: OutcomeV01;
  try {
    outcome = await processVideoV01(input);
  } catch (err) {
    if (isCancellation(err)) throw err;
    const failure = describeFailure(err);
    const video = input.video;
    outcome = {
      result: buildVideoResult({ video, clipErrors: [], existing: [], produced: [], unproducible: [], failure }),
      encoder: null,
      clipFileSha256: null,
    };
  }
  const { result, encoder, clipFileSha256 } = outcome;
  const manifest = encoder && clipFileSha256 ? { settings: input.settings, clipFileSha256, encoder } : null;
  await remote.recordVideo({ batchId: input.batchId, outDir: input.outDir, result, manifest });
  await reportToBatch(input, result);
  return result;
}

async function processVideoV01(input: VideoInput): Promise<OutcomeV01> {
  const { video } = input;
  const policy = videoPolicy(input);
  const { remote } = sharedActivities(policy.quick);
  const verified = await remote.verifyClip(verifyInput(input));
  if (verified.kind === 'skipped') {
    return { result: skippedResult(video, verified.reason, verified.clipErrors), encoder: null, clipFileSha256: null };
  }
  if (verified.kind === 'done') return { result: verified.result, encoder: null, clipFileSha256: null };

  let produced: ClipOutput[] = [];
  let unproducible: LineError[] = [];
  let failure: Failure | null = null;
  let encoder: string | null = null;
  if (verified.pending.length > 0) {
    const host = hostActivities(verified.hostQueue, input.heartbeatTimeoutSeconds, policy);
    if (input.startDelaySeconds > 0) await sleep(`${input.startDelaySeconds}s`);
    try {
      const source = await host.download({ batchId: input.batchId, video, workDir: input.workDir });
      const clips = verified.pending;
      const encoded = await host.encodeClips({ video, source, clips, outDir: input.outDir, settings: input.settings });
      produced = encoded.produced;
      unproducible = encoded.unproducible;
      encoder = encoded.encoder;
    } catch (err) {
      if (isCancellation(err)) throw err;
      failure = describeFailure(err);
    } finally {
      const deletion = { batchId: input.batchId, videoId: video.videoId, workDir: input.workDir };
      await CancellationScope.nonCancellable(() => host.deleteSource(deletion));
    }
  }
  const existing = verified.existing;
  const clipErrors = verified.clipErrors;
  const result = buildVideoResult({ video, clipErrors, existing, produced, unproducible, failure });
  return {
    result,
    encoder: encoder ?? 'unchanged (all clips were already present)',
    clipFileSha256: verified.clipFileSha256,
  };
}
