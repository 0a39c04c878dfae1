import { appendFile, chmod, copyFile, mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { parseClipFile } from '../core/clip-file.js';
import { describeSettingsDifference } from '../core/encode-settings.js';
import { ErrorType, SHARED_BACKOFF_TYPES, classifyFfmpegFailure, classifyYtDlpFailure } from '../core/errors.js';
import { PLAN_DEFAULTS, planEncodes } from '../core/encode-plan.js';
import { buildClipEncodeArgs, buildPassEncodeArgs } from '../core/ffmpeg-args.js';
import { settingsHash, sha256Hex } from '../core/hashing.js';
import * as layout from '../core/layout.js';
import type { ClipOutput, ClipSpec, DownloadedSection, EncodeSettings, LineError, SourceInfo, VideoEntry, VideoResult, VideoStatus } from '../core/types.js';
import {
  chooseDownloadMode,
  clipsStartingBeforeTheirSection,
  planSections,
  sectionCoverage,
  sectionFor,
  sectionStartingAt,
  sectionsShareOfSource,
  type DownloadMode,
  type SectionRange,
} from '../core/sections.js';
import { assertVideoId } from '../core/video-id.js';
import {
  buildDownloadArgs,
  buildMetadataArgs,
  expectedSizeFromInfo,
  parseDownloadProgress,
  redactSecrets,
  parseSourceFileName,
  type DownloadOptions,
  type DownloadProgress,
  type SourceFileName,
} from '../core/ytdlp-args.js';
import { describeEncoder } from '../tools/encoder.js';
import { attemptToken, isNotFound, readJsonIfExists, writeJsonAtomic } from '../tools/fs.js';
import { probeClip, probeSource, type SourceProbe } from '../tools/probe.js';
import { captureTool, runTool } from '../tools/process.js';
import type { TempBudget } from '../tools/temp-budget.js';
import type { ActivityDeps } from './deps.js';

export interface VideoManifest {
  videoId: string;
  url: string;
  status: Extract<VideoStatus, 'succeeded' | 'partial'>;
  reason: string | null;
  settingsHash: string;
  settings: EncodeSettings;
  clipFileSha256: string;
  encoder: string;
  finishedAt: string;
  clips: ClipOutput[];
  clipErrors: LineError[];
}

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

export interface DownloadInput {
  batchId: string;
  video: VideoEntry;
  workDir: string;
  /** yt-dlp format selection from the batch (default: DEFAULT_FORMAT's chain). */
  format?: string;
  /** full, sections (only the clips' time ranges) or auto. */
  downloadMode?: DownloadMode;
  /** The clips to make and the output fps, for sections. */
  clips?: ClipSpec[];
  fps?: number;
}

export interface EncodeClipsInput {
  video: VideoEntry;
  source: SourceInfo;
  clips: ClipSpec[];
  outDir: string;
  settings: EncodeSettings;
}

export interface EncodeClipsOutput {
  produced: ClipOutput[];
  unproducible: LineError[];
  encoder: string;
}

export interface DeleteSourceInput {
  batchId: string;
  videoId: string;
  workDir: string;
}

export interface FinishVideoInput extends RecordVideoInput {
  workDir: string;
}

export interface RecordVideoInput {
  batchId: string;
  outDir: string;
  result: VideoResult;
  /** Present when clips were made: the manifest is written, last, for succeeded and partial videos. */
  manifest: { settings: EncodeSettings; clipFileSha256: string; encoder: string } | null;
}

const clipLineText = (clip: ClipSpec) => `${clip.startFrame} ${clip.endFrame}`;

/** Keeps an activity's heartbeat going while its process runs, with the latest progress. */
function startHeartbeat(details: () => unknown, configuredMs: number | undefined): () => void {
  const context = Context.current();
  const timeoutMs = context.info.heartbeatTimeoutMs ?? 30_000;
  const intervalMs = configuredMs ?? Math.max(200, Math.min(5_000, timeoutMs / 3));
  const beat = () => context.heartbeat(details());
  beat();
  const timer = setInterval(beat, intervalMs);
  return () => clearInterval(timer);
}

/** What encodeClips heartbeats: enough for a retry to skip the clips already made. */
export interface EncodeProgress {
  phase: 'encode';
  clips: number;
  produced: ClipOutput[];
  unproducible: number;
  clip: number;
  frame: number;
}

/** A clip an earlier attempt reported as made, still on disk with the same size. */
async function fromEarlierAttempt(earlier: ClipOutput[], finalPath: string): Promise<ClipOutput | null> {
  const name = basename(finalPath);
  const made = earlier.find((c) => c.file === name);
  if (!made) return null;
  const info = await stat(finalPath).catch(() => null);
  return info?.size === made.bytes ? made : null;
}

/** A final clip file is trusted when it has exactly the frames and size asked for. */
async function validClipOutput(
  deps: ActivityDeps,
  path: string,
  clip: ClipSpec,
  settings: EncodeSettings,
): Promise<ClipOutput | null> {
  let bytes: number;
  try {
    bytes = (await stat(path)).size;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
  const probe = await probeClip(deps.tools.ffprobe, path);
  const frames = clip.endFrame - clip.startFrame;
  if (!probe || probe.frames !== frames || probe.width !== settings.width || probe.height !== settings.height) return null;
  return { file: basename(path), startFrame: clip.startFrame, endFrame: clip.endFrame, frames, bytes };
}

async function removeStaleTemps(folder: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  await Promise.all(names.filter(layout.isTempFileName).map((name) => rm(join(folder, name), { force: true })));
}

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

async function deleteSourceFolder(input: DeleteSourceInput, hostWorkDir: string | undefined): Promise<void> {
  const dir = layout.sourceDir(hostWorkDir ?? input.workDir, input.batchId, assertVideoId(input.videoId));
  await rm(dir, { recursive: true, force: true });
  await rmdir(dirname(dir)).catch(() => undefined);
}

/** Manifest (succeeded and partial videos, last), result file, and a line of report.jsonl. */
async function recordResult(input: RecordVideoInput): Promise<void> {
  const { result, manifest } = input;
  if (manifest && (result.status === 'succeeded' || result.status === 'partial')) {
    const content: VideoManifest = {
      videoId: result.videoId,
      url: result.url,
      status: result.status,
      reason: result.reason,
      settingsHash: settingsHash(manifest.settings),
      settings: manifest.settings,
      clipFileSha256: manifest.clipFileSha256,
      encoder: manifest.encoder,
      finishedAt: new Date().toISOString(),
      clips: result.clips,
      clipErrors: result.clipErrors,
    };
    await writeJsonAtomic(layout.manifestPath(input.outDir, result.videoId), content);
  }
  await writeJsonAtomic(layout.resultPath(input.outDir, input.batchId, result.videoId), result);
  // One write with O_APPEND: lines from concurrent activities do not interleave.
  await appendFile(layout.reportLinesPath(input.outDir), `${JSON.stringify(result)}\n`);
}

/** Tool output with the worker's secrets (proxy password, cookie values) replaced. */
function redactLines(deps: ActivityDeps, lines: string[]): string[] {
  const secrets = deps.downloads?.secrets ?? [];
  return secrets.length === 0 ? lines : lines.map((line) => redactSecrets(line, secrets));
}

/** This download's yt-dlp settings, with a private copy of the cookies in its own folder. */
async function downloadOptions(deps: ActivityDeps, dir: string): Promise<DownloadOptions> {
  const settings = deps.downloads;
  if (!settings) return {};
  if (!settings.cookiesSource) return settings.options;
  const cookiesFile = join(dir, 'cookies.txt');
  await copyFile(settings.cookiesSource, cookiesFile);
  await chmod(cookiesFile, 0o600);
  return { ...settings.options, cookiesFile };
}

/** Content-Length of a direct link, or null. */
async function contentLength(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<number | null> {
  const response = await fetch(url, { method: 'HEAD', headers, signal, redirect: 'follow' }).catch(() => null);
  const length = Number(response?.headers.get('content-length'));
  return response?.ok && length > 0 ? length : null;
}

const GB = 1024 ** 3;

/** yt-dlp's metadata of the format to download, saved for the download to reuse. */
async function fetchMetadata(
  deps: ActivityDeps,
  job: DownloadInput & { dir: string; signal: AbortSignal; options: DownloadOptions },
): Promise<{ infoJsonPath: string; info: Record<string, unknown> }> {
  const meta = await captureTool(deps.tools.ytDlp, buildMetadataArgs({ url: job.video.url, format: job.format, options: job.options }), {
    cancelSignal: job.signal,
    timeoutMs: 300_000,
  });
  if (job.signal.aborted) throw new CancelledFailure('download cancelled');
  if (!meta.ok) {
    const failure = classifyYtDlpFailure(redactLines(deps, meta.stderr.split('\n')), meta.exitCode);
    const nonRetryable = !failure.retryable || SHARED_BACKOFF_TYPES.includes(failure.type);
    throw ApplicationFailure.create({ type: failure.type, message: failure.message, nonRetryable });
  }
  const infoJsonPath = join(job.dir, 'info.json');
  await writeFile(infoJsonPath, meta.stdout);
  return { infoJsonPath, info: JSON.parse(meta.stdout) as Record<string, unknown> };
}

/**
 * Refuses a source larger than the whole temp-disk budget, and waits until it fits
 * beside the sources on disk and the downloads under way.
 */
async function admitWithinBudget(
  budget: TempBudget,
  job: { info: Record<string, unknown>; share: number; dir: string; workDir: string; budgetKey: string; signal: AbortSignal },
  onWait: (waiting: { usedBytes: number; neededBytes: number }) => void,
): Promise<void> {
  const expected = expectedSizeFromInfo(job.info);
  const whole = expected.bytes ?? (expected.directUrl ? await contentLength(expected.directUrl, expected.headers, job.signal) : null) ?? 0;
  const bytes = Math.ceil(whole * job.share);
  if (bytes > budget.limitBytes) {
    throw ApplicationFailure.create({
      type: ErrorType.SourceTooLarge,
      message: `the source is ${(bytes / GB).toFixed(3)} GB, more than the whole temporary-disk budget of ${(budget.limitBytes / GB).toFixed(3)} GB (--max-temp-gb)`,
      nonRetryable: true,
    });
  }
  await budget.admit(job.budgetKey, { dir: job.dir, workDir: job.workDir, expected: bytes }, {
    signal: job.signal,
    onWait: (usedBytes) => onWait({ usedBytes, neededBytes: bytes }),
  });
}

/** Whether a source file belongs to this download: the whole video, or one of the planned sections. */
function isPlannedSource(file: SourceFileName | null, sections: SectionRange[] | null): boolean {
  if (!file) return false;
  if (!sections) return file.sectionStart === null;
  // ffmpeg fetches sections in one go: an unfinished one is started over.
  return !file.partial && file.sectionStart !== null && sectionStartingAt(sections, file.sectionStart) !== undefined;
}

/** Removes source files an earlier attempt left that this one will not use (another mode, other clips). */
async function removeUnplannedSources(dir: string, sections: SectionRange[] | null): Promise<void> {
  const names = await readdir(dir);
  const unplanned = names.filter((n) => {
    const file = parseSourceFileName(n);
    return file !== null && !isPlannedSource(file, sections);
  });
  await Promise.all(unplanned.map((n) => rm(join(dir, n), { force: true })));
}

/** The downloaded file(s) of a video, probed: the whole source or its sections. */
async function downloadedSource(deps: ActivityDeps, dir: string, sections: SectionRange[] | null, durationSeconds: number | null): Promise<Omit<SourceInfo, 'encodeQueue'>> {
  const names = (await readdir(dir))
    .filter((n) => {
      const file = parseSourceFileName(n);
      return isPlannedSource(file, sections) && !file?.partial;
    })
    .sort();
  if (names.length === 0) throw ApplicationFailure.create({ type: ErrorType.Unknown, message: `yt-dlp succeeded but left no file in ${dir}` });
  const probed: Array<{ name: string; path: string; bytes: number; probe: SourceProbe }> = [];
  for (const name of names) {
    const path = join(dir, name);
    const probe = await probeSource(deps.tools.ffprobe, path);
    if (typeof probe === 'string') {
      throw ApplicationFailure.create({ type: ErrorType.SourceUnreadable, message: `downloaded file ${name} is not a usable video: ${probe}`, nonRetryable: true });
    }
    probed.push({ name, path, bytes: (await stat(path)).size, probe });
  }
  const first = probed[0] as (typeof probed)[number];
  const base = { path: first.path, width: first.probe.width, height: first.probe.height, fps: first.probe.fps };
  if (!sections) return { ...base, bytes: first.bytes, durationSeconds: first.probe.durationSeconds };
  const downloaded: DownloadedSection[] = probed.map((p) => {
    const range = sectionStartingAt(sections, parseSourceFileName(p.name)?.sectionStart ?? -1) as SectionRange;
    return { path: p.path, start: range.start, end: range.end, fileStartSeconds: p.probe.startSeconds, bytes: p.bytes };
  });
  return {
    ...base,
    bytes: downloaded.reduce((sum, s) => sum + s.bytes, 0),
    // Unknown without the metadata: clips past the end are found by their frame counts.
    durationSeconds,
    sections: downloaded,
  };
}

export function createVideoActivities(deps: ActivityDeps) {
  return {
    /**
     * Runs before any download: reads the clip file, trusts a matching manifest,
     * and lists which clips still need encoding. Returns this host's queue for the rest.
     */
    async verifyClip(input: VerifyClipInput): Promise<VerifyOutcome> {
      const videoId = assertVideoId(input.video.videoId);
      const clipFile = layout.clipListPath(input.clipDir, videoId);
      let text: string;
      try {
        text = await readFile(clipFile, 'utf8');
      } catch (err) {
        if (isNotFound(err)) return { kind: 'skipped', reason: `no clip file ${clipFile}`, clipErrors: [] };
        throw ApplicationFailure.create({
          type: ErrorType.InvalidInput,
          message: `clip file ${clipFile} is unreadable: ${(err as Error).message}`,
          nonRetryable: (err as NodeJS.ErrnoException).code === 'EACCES' || (err as NodeJS.ErrnoException).code === 'EISDIR',
        });
      }
      const parsed = parseClipFile(text);
      if (parsed.clips.length === 0) {
        const detail = parsed.errors.length > 0 ? ` (${parsed.errors.length} malformed)` : ' (the file is empty)';
        return { kind: 'skipped', reason: `clip file ${clipFile} has no usable line${detail}`, clipErrors: parsed.errors };
      }

      const clipFileSha256 = sha256Hex(text);
      const manifest = await readJsonIfExists<VideoManifest>(layout.manifestPath(input.outDir, videoId));
      if (manifest) {
        if (manifest.settingsHash !== settingsHash(input.settings)) {
          const differences = describeSettingsDifference(input.settings, manifest.settings);
          throw ApplicationFailure.create({
            type: ErrorType.SettingsMismatch,
            message: `${layout.manifestPath(input.outDir, videoId)} was made with other encode settings: ${differences.join(', ')}`,
            nonRetryable: true,
          });
        }
        const trusted = await trustedManifest(manifest, input, clipFileSha256);
        if (trusted) return { kind: 'done', result: trusted };
      }

      const existing: ClipOutput[] = [];
      const pending: ClipSpec[] = [];
      for (const clip of parsed.clips) {
        const output = await validClipOutput(deps, layout.clipPath(input.outDir, videoId, clip), clip, input.settings);
        if (output) existing.push(output);
        else pending.push(clip);
      }
      return { kind: 'work', hostQueue: deps.hostQueue, clipErrors: parsed.errors, existing, pending, clipFileSha256 };
    },

    /** Downloads the source with yt-dlp into the work dir; heartbeats bytes. */
    async download(input: DownloadInput): Promise<SourceInfo> {
      const { video } = input;
      const workDir = deps.workDir ?? input.workDir;
      const dir = layout.sourceDir(workDir, input.batchId, assertVideoId(video.videoId));
      await mkdir(dir, { recursive: true });
      const signal = Context.current().cancellationSignal;
      const budgetKey = `${input.batchId}/${video.videoId}`;
      let progress: DownloadProgress | null = null;
      let waitingForDisk: { usedBytes: number; neededBytes: number } | null = null;
      const stopHeartbeat = startHeartbeat(() => ({ phase: 'download', ...progress, waitingForDisk }), deps.heartbeatIntervalMs);
      const options = await downloadOptions(deps, dir);
      const mode = input.downloadMode ?? 'full';
      try {
        // The metadata first when it decides something: the size (temp budget), the sections.
        const metadata = deps.tempBudget || mode !== 'full' ? await fetchMetadata(deps, { ...input, dir, signal, options }) : null;
        const duration = Number(metadata?.info.duration);
        const durationSeconds = duration > 0 ? duration : null;
        const admit = async (sections: SectionRange[] | null) => {
          if (!deps.tempBudget || !metadata) return;
          const share = sections ? sectionsShareOfSource(sections, durationSeconds) : 1;
          await admitWithinBudget(deps.tempBudget, { info: metadata.info, share, dir, workDir, budgetKey, signal }, (w) => (waitingForDisk = w));
          waitingForDisk = null;
        };
        const fetch = async (sections: SectionRange[] | null) => {
          await removeUnplannedSources(dir, sections);
          await admit(sections);
          const args = buildDownloadArgs({ url: video.url, targetDir: dir, infoJsonPath: metadata?.infoJsonPath, format: input.format, options, sections: sections ?? undefined });
          const run = await runTool(deps.tools.ytDlp, args, {
            cancelSignal: signal,
            onStdoutLine: (line) => {
              progress = parseDownloadProgress(line) ?? progress;
            },
          });
          if (run.canceled) throw new CancelledFailure('download cancelled');
          if (!run.ok) {
            const failure = classifyYtDlpFailure(redactLines(deps, run.stderrTail), run.exitCode);
            deps.logger.warn({ videoId: video.videoId, errorType: failure.type, retryable: failure.retryable }, failure.message);
            // A full disk: free what this download wrote before it is tried again.
            if (failure.type === ErrorType.DiskFull) await rm(dir, { recursive: true, force: true });
            // Rate limits and bot checks are retried by the batch, after a pause of every download.
            const nonRetryable = !failure.retryable || SHARED_BACKOFF_TYPES.includes(failure.type);
            throw ApplicationFailure.create({ type: failure.type, message: failure.message, nonRetryable });
          }
          return downloadedSource(deps, dir, sections, durationSeconds);
        };

        const clips = input.clips ?? [];
        const fps = input.fps ?? 0;
        const planned = mode !== 'full' && clips.length > 0 && fps > 0 ? planSections(clips, fps, durationSeconds) : null;
        const sections = planned && chooseDownloadMode(mode, sectionCoverage(planned, durationSeconds)) === 'sections' ? planned : null;
        let source = await fetch(sections);
        const late = source.sections ? clipsStartingBeforeTheirSection(source.sections, clips, fps) : [];
        if (late.length > 0) {
          deps.logger.warn(
            { videoId: video.videoId, clips: late.length },
            'a downloaded section starts after its clip (does the server ignore Range requests?): downloading the whole video instead',
          );
          source = await fetch(null);
        }
        // The encode goes to the least loaded GPU (or the CPU queue) of this host.
        return { ...source, encodeQueue: deps.encodeQueues?.pick() };
      } finally {
        stopHeartbeat();
        deps.tempBudget?.finished(budgetKey);
      }
    },

    /**
     * Encodes each clip to a temporary name unique to this attempt, checks it has
     * exactly the frames and size asked for, then renames it into place. Clips whose
     * final file is already valid are kept; clips the source cannot give are reported.
     */
    async encodeClips(input: EncodeClipsInput): Promise<EncodeClipsOutput> {
      const { video, settings, source } = input;
      const videoId = assertVideoId(video.videoId);
      const folder = layout.videoOutDir(input.outDir, videoId);
      await mkdir(folder, { recursive: true });
      await removeStaleTemps(folder);

      const produced: ClipOutput[] = [];
      const unproducible: LineError[] = [];
      const token = attemptToken();
      const temps = new Set<string>();
      const trackTemp = (path: string) => {
        temps.add(path);
        deps.scratch?.add(path);
      };
      const untrackTemp = (path: string) => {
        temps.delete(path);
        deps.scratch?.delete(path);
      };
      let current: { clip: number; frame: number } = { clip: 0, frame: 0 };
      // A retry picks up the clips an earlier attempt finished, from its last heartbeat.
      const earlier = (Context.current().info.heartbeatDetails as EncodeProgress | undefined)?.produced ?? [];
      const stopHeartbeat = startHeartbeat(
        (): EncodeProgress => ({ phase: 'encode', clips: input.clips.length, produced, unproducible: unproducible.length, ...current }),
        deps.heartbeatIntervalMs,
      );
      const notProduced = (clip: ClipSpec, reason: string) => unproducible.push({ line: clip.line, text: clipLineText(clip), reason });

      /** Checks a finished temporary file and renames it into place, or reports the clip. */
      const finalize = async (clip: ClipSpec, tempPath: string, finalPath: string): Promise<void> => {
        const frames = clip.endFrame - clip.startFrame;
        const probe = await probeClip(deps.tools.ffprobe, tempPath);
        if (!probe || probe.frames !== frames || probe.width !== settings.width || probe.height !== settings.height) {
          notProduced(
            clip,
            probe
              ? `encoded ${probe.frames} of ${frames} frames at ${probe.width}x${probe.height}: the source ends before the clip does`
              : 'encoded file is unreadable',
          );
          await rm(tempPath, { force: true });
        } else {
          const bytes = (await stat(tempPath)).size;
          await rename(tempPath, finalPath);
          produced.push({ file: basename(finalPath), startFrame: clip.startFrame, endFrame: clip.endFrame, frames, bytes, encoder: describeEncoder(deps.encoder) });
        }
        untrackTemp(tempPath);
      };

      // Clips still to make, planned into passes; a pass's checks and renames overlap the next pass.
      const todo: ClipSpec[] = [];
      for (const clip of input.clips) {
        const finalPath = layout.clipPath(input.outDir, videoId, clip);
        const existing = (await fromEarlierAttempt(earlier, finalPath)) ?? (await validClipOutput(deps, finalPath, clip, settings));
        if (existing) {
          produced.push(existing);
          continue;
        }
        const endSeconds = clip.endFrame / settings.fps;
        // Half an output frame of tolerance for container duration rounding.
        if (source.durationSeconds !== null && endSeconds > source.durationSeconds + 0.5 / settings.fps) {
          notProduced(clip, `clip ends at ${endSeconds.toFixed(3)} s but the source lasts ${source.durationSeconds.toFixed(3)} s`);
          continue;
        }
        todo.push(clip);
      }
      const planOptions = { ...PLAN_DEFAULTS[deps.encoder.kind] };
      if (deps.sessions) planOptions.maxClipsPerPass = Math.min(planOptions.maxClipsPerPass, deps.sessions.capacity);
      // Which file holds each clip: the whole source, or the section fetched for it.
      const holders = new Map<string, { path: string; fileStartSeconds: number; clips: ClipSpec[] }>();
      for (const clip of todo) {
        const holder = source.sections ? sectionFor(source.sections, clip, settings.fps) : { path: source.path, fileStartSeconds: 0 };
        if (!holder) {
          notProduced(clip, 'the clip is outside the downloaded sections');
          continue;
        }
        const group = holders.get(holder.path) ?? { path: holder.path, fileStartSeconds: holder.fileStartSeconds, clips: [] };
        group.clips.push(clip);
        holders.set(holder.path, group);
      }
      const passes = [...holders.values()].flatMap((h) =>
        planEncodes(h.clips, planOptions).passes.map((clips) => ({ clips, path: h.path, fileStartSeconds: h.fileStartSeconds })),
      );
      const signal = Context.current().cancellationSignal;
      let finalizing: Promise<unknown> = Promise.resolve();
      try {
        for (let p = 0; p < passes.length; p++) {
          const { clips: pass, path: sourcePath, fileStartSeconds: sourceStartSeconds } = passes[p] as (typeof passes)[number];
          current = { clip: input.clips.indexOf(pass[0] as ClipSpec), frame: 0 };
          const outputs = pass.map((clip) => {
            const finalPath = layout.clipPath(input.outDir, videoId, clip);
            const tempPath = layout.tempClipPath(finalPath, token);
            trackTemp(tempPath);
            return { ...clip, finalPath, outputPath: tempPath };
          });
          const args =
            outputs.length === 1
              ? buildClipEncodeArgs({ sourcePath, sourceStartSeconds, outputPath: (outputs[0] as { outputPath: string }).outputPath, clip: outputs[0] as ClipSpec, settings, encoder: deps.encoder })
              : buildPassEncodeArgs({ sourcePath, sourceStartSeconds, clips: outputs, settings, encoder: deps.encoder });
          // An ffmpeg writing k clips holds k NVENC sessions of its GPU.
          const release = deps.sessions ? await deps.sessions.acquire(outputs.length, signal) : () => undefined;
          let run;
          try {
            run = await runTool(deps.tools.ffmpeg, args, {
              cancelSignal: signal,
              onStdoutLine: (line) => {
                if (line.startsWith('frame=')) current = { ...current, frame: Number(line.slice(6)) || 0 };
              },
            });
          } finally {
            release();
          }
          await finalizing;
          if (run.canceled) throw new CancelledFailure('encode cancelled');
          if (!run.ok) {
            const failure = classifyFfmpegFailure(run.stderrTail, run.exitCode, run.signal);
            if (failure.retryable) throw ApplicationFailure.create({ type: failure.type, message: failure.message });
            await Promise.all(outputs.map(async (o) => rm(o.outputPath, { force: true }).then(() => untrackTemp(o.outputPath))));
            // A shared pass failed: cut its clips one by one, so one bad clip costs only itself.
            if (outputs.length > 1) passes.splice(p + 1, 0, ...pass.map((clip) => ({ clips: [clip], path: sourcePath, fileStartSeconds: sourceStartSeconds })));
            else notProduced(pass[0] as ClipSpec, `ffmpeg failed: ${failure.message}`);
            continue;
          }
          finalizing = Promise.all(outputs.map((o) => finalize(o, o.outputPath, o.finalPath)));
        }
        await finalizing;
      } finally {
        stopHeartbeat();
        if (deps.encodeQueue) deps.encodeQueues?.done(deps.encodeQueue);
        await finalizing.catch(() => undefined);
        await Promise.all(
          [...temps].map(async (path) => {
            await rm(path, { force: true });
            untrackTemp(path);
          }),
        );
      }
      return { produced, unproducible, encoder: describeEncoder(deps.encoder) };
    },

    /** Removes the video's source folder, and the batch's work folder once empty. */
    async deleteSource(input: DeleteSourceInput): Promise<void> {
      await deleteSourceFolder(input, deps.workDir);
    },

    /** Records the video's result for the report, and its manifest (written last) when clips were made. */
    async recordVideo(input: RecordVideoInput): Promise<void> {
      await recordResult(input);
    },

    /** The last step on the host: the source goes, then the result and the manifest are written. */
    async finishVideo(input: FinishVideoInput): Promise<void> {
      await deleteSourceFolder({ batchId: input.batchId, videoId: input.result.videoId, workDir: input.workDir }, deps.workDir);
      await recordResult(input);
    },
  };
}
