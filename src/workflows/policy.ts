import { patched } from '@temporalio/workflow';
import type { BatchInput, BatchPolicy, VideoInput, VideoPolicy } from '../core/batch-input.js';
import { resolveBatchPolicy, videoPolicyFromInput } from '../core/policy.js';
import { RELEASE_0_2_DEFAULTS } from './legacy/release-0.2.js';
import { PATCHES } from './patches.js';
import { sharedActivities } from './proxies.js';

/**
 * The batch's policy without waiting, when it is known: carried in the input, or a
 * batch that began before policies were recorded (0.2's frozen literals). Null on a
 * first run that must record today's defaults first.
 */
export function knownPolicy(input: BatchInput): BatchPolicy | null {
  if (input.policy) return input.policy;
  if (input.continuation || !patched(PATCHES.frozenPolicy)) return resolveBatchPolicy(input, RELEASE_0_2_DEFAULTS);
  return null;
}

/**
 * A new batch's policy from today's defaults, recorded in its history by a local
 * activity: fixed on the first run, carried ever after, so a default changed by an
 * upgrade never reaches a running batch.
 */
export async function recordPolicy(input: BatchInput): Promise<BatchPolicy> {
  const { local } = sharedActivities(RELEASE_0_2_DEFAULTS.activities.quick);
  return resolveBatchPolicy(input, await local.readPolicyDefaults());
}

/** A video's policy: from its batch, or 0.2's frozen literals for videos started before 0.3. */
export function videoPolicy(input: VideoInput): VideoPolicy {
  return input.policy ?? videoPolicyFromInput(input, RELEASE_0_2_DEFAULTS);
}

/** How long a host may leave the video's activities unstarted before it is taken for gone. */
export function videoHostTimeoutSeconds(input: VideoInput): number {
  return input.hostTimeoutSeconds ?? RELEASE_0_2_DEFAULTS.hostTimeoutSeconds;
}
