import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { parseClipFile } from '../core/clip-file.js';
import { plural } from '../core/report.js';
import { describeSettingsDifference } from '../core/encode-settings.js';
import { ErrorType } from '../core/errors.js';
import { settingsHash, sha256Hex } from '../core/hashing.js';
import * as layout from '../core/layout.js';
import type { ClipOutput, ClipSpec, EncodeSettings, LineError, VideoEntry, VideoResult } from '../core/types.js';
import { assertVideoId } from '../core/video-id.js';
import { isNotFound, readJsonIfExists } from '../tools/fs.js';
import { validClipOutput } from '../tools/clip-check.js';
import type { SharedDeps } from './deps.js';
import { eventLogger, type EventLogger } from './events.js';
import type { VideoManifest } from './finish.js';

export interface VerifyClipInput {
  batchId: string;
  video: VideoEntry;
  clipDir: string;
  outDir: string;
  settings: EncodeSettings;
  retryFailed: boolean;
}

export type VerifyOutcome =
  | { kind: 'skipped'; reason: string; clipErrors: LineError[] }
  | { kind: 'done'; result: VideoResult }
  | {
      kind: 'work';
      hostQueue: string;
      clipErrors: LineError[];
      existing: ClipOutput[];
      pending: ClipSpec[];
      clipFileSha256: string;
    };

/** Trusts a manifest only for the same settings and clip file, with every clip file still there. */
async function trustedManifest(
  manifest: VideoManifest,
  input: VerifyClipInput,
  clipFileSha256: string,
): Promise<VideoResult | null> {
  if (manifest.clipFileSha256 !== clipFileSha256) return null;
  if (manifest.status !== 'succeeded' && input.retryFailed) return null;
  for (const clip of manifest.clips) {
    const info = await stat(join(layout.videoOutDir(input.outDir, input.video.videoId), clip.file)).catch(() => null);
    if (!info || info.size !== clip.bytes) return null;
  }
  const { video } = input;
  return {
    videoId: video.videoId,
    line: video.line,
    url: video.url,
    status: manifest.status,
    reason: manifest.reason,
    errorType: null,
    clipErrors: manifest.clipErrors,
    clips: manifest.clips,
  };
}

/** The clip file's text, or why the video is skipped; unreadable for another reason fails the activity. */
async function readClipFile(clipFile: string): Promise<string | { skipped: string }> {
  try {
    return await readFile(clipFile, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return { skipped: `no clip file ${clipFile}` };
    const code = (err as NodeJS.ErrnoException).code;
    throw ApplicationFailure.create({
      type: ErrorType.InvalidInput,
      message: `clip file ${clipFile} is unreadable: ${(err as Error).message}`,
      nonRetryable: code === 'EACCES' || code === 'EISDIR',
    });
  }
}

function logVerified(events: EventLogger, outcome: VerifyOutcome): void {
  if (outcome.kind === 'skipped') {
    const { reason, clipErrors } = outcome;
    events.event('video.skipped', { reason, clipErrors: clipErrors.length }, `skipped: ${reason}`);
    return;
  }
  const [made, pending] = outcome.kind === 'done' ? [outcome.result.clips, []] : [outcome.existing, outcome.pending];
  const clipErrors = outcome.kind === 'done' ? outcome.result.clipErrors : outcome.clipErrors;
  const fields = {
    outcome: outcome.kind,
    clips: made.length + pending.length,
    existing: made.length,
    pending: pending.length,
    clipErrors: clipErrors.length,
  };
  const what =
    outcome.kind === 'done' ? 'finished earlier (manifest matches)' : `${plural(pending.length, 'clip')} to make`;
  events.event('video.verified', fields, `verified: ${what}, ${made.length} already on disk`);
}

export function createVerifyActivities(deps: SharedDeps) {
  const unlogged = {
    /**
     * Runs before any download: reads the clip file, trusts a matching manifest,
     * and lists which clips still need encoding. Returns this host's queue for the rest.
     */
    async verifyClip(input: VerifyClipInput): Promise<VerifyOutcome> {
      const videoId = assertVideoId(input.video.videoId);
      const clipFile = layout.clipListPath(input.clipDir, videoId);
      const text = await readClipFile(clipFile);
      if (typeof text !== 'string') return { kind: 'skipped', reason: text.skipped, clipErrors: [] };
      const parsed = parseClipFile(text);
      if (parsed.clips.length === 0) {
        const detail = parsed.errors.length > 0 ? ` (${parsed.errors.length} malformed)` : ' (the file is empty)';
        const reason = `clip file ${clipFile} has no usable line${detail}`;
        return { kind: 'skipped', reason, clipErrors: parsed.errors };
      }

      const clipFileSha256 = sha256Hex(text);
      const manifestPath = layout.manifestPath(input.outDir, videoId);
      const manifest = await readJsonIfExists<VideoManifest>(manifestPath);
      if (manifest) {
        if (manifest.settingsHash !== settingsHash(input.settings)) {
          const differences = describeSettingsDifference(input.settings, manifest.settings);
          throw ApplicationFailure.create({
            type: ErrorType.SettingsMismatch,
            message: `${manifestPath} was made with other encode settings: ${differences.join(', ')}`,
            nonRetryable: true,
          });
        }
        const trusted = await trustedManifest(manifest, input, clipFileSha256);
        if (trusted) return { kind: 'done', result: trusted };
      }

      const existing: ClipOutput[] = [];
      const pending: ClipSpec[] = [];
      for (const clip of parsed.clips) {
        const path = layout.clipPath(input.outDir, videoId, clip);
        const output = await validClipOutput(path, clip, input.settings);
        if (output) existing.push(output);
        else pending.push(clip);
      }
      return { kind: 'work', hostQueue: deps.hostQueue, clipErrors: parsed.errors, existing, pending, clipFileSha256 };
    },
  };
  return {
    /** verifyClip, and its outcome as an event of the log. */
    async verifyClip(input: VerifyClipInput): Promise<VerifyOutcome> {
      const events = eventLogger(deps.logger, input);
      // Where the video's wait ends and its verification begins (src/core/timeline.ts).
      const clipFile = layout.clipListPath(input.clipDir, input.video.videoId);
      events.event('verify.start', { clipFile }, `verifying: reading ${clipFile}`);
      const outcome = await unlogged.verifyClip(input);
      logVerified(events, outcome);
      return outcome;
    },
  };
}
