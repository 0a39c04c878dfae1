// What the Temporal UI shows of a batch in its own words: static summaries and Markdown
// details of the batch and its videos, activity summaries, the batch's current details
// and the batch's final VstreamStatus. Pure, and imported by workflow code: no Node built-ins.
import type { BatchInput, BatchProgress, VideoInput } from './batch-input.js';
import { plural } from './report.js';
import type { StatusCounts } from './types.js';
import type { VstreamStatusValue } from './search-attributes.js';

/** A Markdown table cell: no line break, no column separator. */
const cell = (value: unknown) => String(value).replace(/\|/g, '\\|').replace(/\s+/g, ' ');
const table = (rows: Array<[string, unknown]>) =>
  ['| | |', '|---|---|', ...rows.map(([name, value]) => `| ${name} | ${cell(value)} |`)].join('\n');

/**
 * The batch's one-line summary. Static metadata is fixed when the workflow starts and
 * continue-as-new does not carry it (SDK 1.24): only the client that starts the batch can
 * set it (`workflow.start(..., { staticSummary, staticDetails })`), and counts never go here.
 */
export function batchStaticSummary(input: BatchInput): string {
  return `vstream batch: ${input.urlsFile} → ${input.outDir}`;
}

/** The batch's Markdown details: URL list, folders and settings (see batchStaticSummary). */
export function batchStaticDetails(input: BatchInput): string {
  const settings = input.settings ?? {};
  const rows: Array<[string, unknown]> = [
    ['URL list', input.urlsFile],
    ['clip files', input.clipDir],
    ['output folder', input.outDir],
    ['work folder', input.workDir],
    ['workers', input.workers ?? 'default'],
    ['download mode', input.downloadMode ?? 'full'],
  ];
  if (settings.width && settings.height) rows.push(['size', `${settings.width}x${settings.height}`]);
  if (settings.fps) rows.push(['fps', settings.fps]);
  if (input.format) rows.push(['format', input.format]);
  if (input.retryFailed) rows.push(['retry failed', 'yes']);
  rows.push(['search attributes', input.searchAttributes ? 'yes' : 'no (not registered on the server)']);
  return `**vstream batch**\n\n${table(rows)}`;
}

/** The clip file a video's ranges are read from (layout.ts's clipListPath, without node:path). */
export function clipFileOf(clipDir: string, videoId: string): string {
  return `${clipDir.replace(/\/+$/, '')}/${videoId}.txt`;
}

export function videoStaticSummary(input: VideoInput): string {
  return `video ${input.video.videoId} (line ${input.video.line})`;
}

/** A video's Markdown details: what it is and where its clips come from (the clip count is known only once verified). */
export function videoStaticDetails(input: VideoInput): string {
  const { video } = input;
  return `**video ${video.videoId}**\n\n${table([
    ['URL', video.url],
    ['URL list line', video.line],
    ['clip file', clipFileOf(input.clipDir, video.videoId)],
    ['output folder', input.outDir],
    ['batch', input.batchId],
  ])}`;
}

export function downloadSummary(videoId: string, mode: string | undefined, clips: number): string {
  return mode && mode !== 'full'
    ? `download ${videoId} (${mode}, ${plural(clips, 'clip')})`
    : `download ${videoId} (full)`;
}

export function encodeSummary(clips: number, queue: string): string {
  return `encode ${plural(clips, 'clip')} on ${queue}`;
}

export function verifySummary(videoId: string): string {
  return `verify ${videoId}`;
}

/** The batch's current details: live counts and a pause, rewritten as videos finish. */
export function batchCurrentDetails(progress: BatchProgress, now: number): string {
  const { counts } = progress;
  const lines = [
    `**${progress.phase}**: ${progress.done} of ${plural(progress.total, 'video')} done, ` +
      `${progress.inFlight.length} in flight, ${plural(progress.clips, 'clip')} (run ${progress.runs})`,
    '',
    table([
      ['succeeded', counts.succeeded],
      ['partial', counts.partial],
      ['skipped', counts.skipped],
      ['failed', counts.failed],
      ['cancelled', counts.cancelled],
    ]),
  ];
  const { paused, abandoned } = progress;
  if (abandoned) lines.push('', `Downloads given up: ${abandoned.errorType}: ${abandoned.message}`);
  else if (paused && paused.until > now)
    lines.push(
      '',
      `Downloads paused until ${new Date(paused.until).toISOString()} (${paused.errorType}, pause ${paused.pause} of ${paused.maxPauses})`,
    );
  return lines.join('\n');
}

/** The batch's final VstreamStatus: failed when no video came through, partial when some did not. */
export function batchStatus(counts: StatusCounts, cancelled: boolean): VstreamStatusValue {
  if (cancelled) return 'cancelled';
  const good = counts.succeeded + counts.skipped;
  const bad = counts.failed + counts.partial + counts.cancelled;
  if (bad === 0) return 'succeeded';
  return good === 0 && counts.partial === 0 ? 'failed' : 'partial';
}
