// What the workflows tell the Temporal UI from 0.5 (PATCHES.ui): search attributes (only
// when the batch's input says the server has them: an upsert of an unregistered one
// fails the workflow task), activity summaries, and a failed video's Failed end.
// The texts themselves are pure functions in src/core/workflow-story.ts.
import {
  ApplicationFailure,
  isCancellation,
  upsertSearchAttributes,
  type ActivityFunctionWithOptions,
  type LocalActivityFunctionWithOptions,
} from '@temporalio/workflow';
import type { ActivityFunction, SearchAttributePair, SearchAttributeUpdatePair } from '@temporalio/common';
import type { VideoInput } from '../core/batch-input.js';
import { ErrorType } from '../core/errors.js';
import { SEARCH_ATTRIBUTES, type VstreamStatusValue } from '../core/search-attributes.js';
import type { VideoResult } from '../core/types.js';

const SA = SEARCH_ATTRIBUTES;

type Activity = ActivityFunction;
type WithOptions<F extends Activity> = ActivityFunctionWithOptions<F> | LocalActivityFunctionWithOptions<F>;

/** Calls an activity with a summary the UI shows on its timeline bar; without one (older histories) as before. */
export function withSummary<F extends Activity>(
  fn: WithOptions<F>,
  summary: string | null,
  ...args: Parameters<F>
): Promise<Awaited<ReturnType<F>>> {
  if (summary === null) return fn(...args) as Promise<Awaited<ReturnType<F>>>;
  return fn.executeWithOptions({ summary }, args);
}

/** A video's search attributes at its start, set by its batch (no upsert command of its own). */
export function videoStartAttributes(batchId: string, videoId: string): SearchAttributePair[] {
  return [
    { key: SA.batchId, value: batchId },
    { key: SA.videoId, value: videoId },
    { key: SA.status, value: 'running' },
  ];
}

export function batchStartAttributes(batchId: string): SearchAttributeUpdatePair[] {
  return [
    { key: SA.batchId, value: batchId },
    { key: SA.status, value: 'running' },
  ];
}

export function statusAttribute(status: VstreamStatusValue): SearchAttributeUpdatePair {
  return { key: SA.status, value: status };
}

/**
 * A video's side of the story (a video on the 0.5 patch). Its attributes change once, at
 * its end (status, clips, errorType, host): every upsert is a visibility write on the
 * server, and a second one per video (the host as soon as it was known) made a batch of
 * stub videos measurably slower. While it runs, its page names the host: the pending
 * activity's task queue and the encode's summary.
 */
export class VideoStory {
  private host: string | null = null;

  constructor(private readonly input: VideoInput) {}

  /** The host that verified the video: its downloads and files are there. */
  onHost(hostQueue: string): void {
    this.host = hostQueue;
  }

  /**
   * The video's end, after it reported to its batch: its attributes, and a failed video
   * fails its workflow (red in the UI, counted under Failures) with its errorType and result.
   */
  ended(result: VideoResult): VideoResult {
    this.upsert([
      statusAttribute(result.status),
      { key: SA.clips, value: result.clips.length },
      ...(result.errorType ? [{ key: SA.errorType, value: result.errorType }] : []),
      ...this.hostAttribute(),
    ]);
    if (result.status !== 'failed') return result;
    throw ApplicationFailure.create({
      type: result.errorType ?? ErrorType.Unknown,
      message: result.reason ?? 'the video failed',
      details: [result],
      nonRetryable: true,
    });
  }

  /** The workflow ends by an exception (a cancellation, after its result was reported). */
  interrupted(err: unknown): void {
    this.upsert([statusAttribute(isCancellation(err) ? 'cancelled' : 'failed'), ...this.hostAttribute()]);
  }

  private hostAttribute(): SearchAttributeUpdatePair[] {
    return this.host === null ? [] : [{ key: SA.host, value: this.host }];
  }

  private upsert(pairs: SearchAttributeUpdatePair[]): void {
    if (this.input.searchAttributes) upsertSearchAttributes(pairs);
  }
}
