import { createHash } from 'node:crypto';
import { canonicalSettings } from './encode-settings.js';
import type { EncodeSettings } from './types.js';

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function settingsHash(settings: EncodeSettings): string {
  return sha256Hex(canonicalSettings(settings)).slice(0, 16);
}

export const BATCH_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function batchIdProblem(batchId: string): string | null {
  return BATCH_ID_PATTERN.test(batchId) ? null : `batch ID '${batchId}' must match ${BATCH_ID_PATTERN.source}`;
}

/** The same command (absolute paths + encode settings) is the same batch. */
export function deriveBatchId(input: {
  urlsFile: string;
  clipDir: string;
  outDir: string;
  settings: EncodeSettings;
}): string {
  const key = JSON.stringify([input.urlsFile, input.clipDir, input.outDir, canonicalSettings(input.settings)]);
  return `vstream-${sha256Hex(key).slice(0, 16)}`;
}
