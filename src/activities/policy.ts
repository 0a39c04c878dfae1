import { POLICY_DEFAULTS } from '../config.js';
import type { PolicyDefaults } from '../core/batch-input.js';

/**
 * Hands config.ts's defaults to a batch's first run, as a local activity: its result
 * is recorded in the history, so a replay after an upgrade sees the values the batch
 * started with, not today's.
 */
export function createPolicyActivities(defaults: PolicyDefaults = POLICY_DEFAULTS) {
  return {
    async readPolicyDefaults(): Promise<PolicyDefaults> {
      return structuredClone(defaults);
    },
  };
}
