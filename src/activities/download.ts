import { chmod, copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import { GROWING_SOURCE_DEFAULTS } from '../config.js';
import { ErrorType, SHARED_BACKOFF_TYPES, classifyYtDlpFailure, type Classified } from '../core/errors.js';
import { downloadSecondsLeft, growingLayout, indexCoversMedia } from '../core/growing-source.js';
import * as layout from '../core/layout.js';
import {
  chooseDownloadMode,
  clipsStartingBeforeTheirSection,
  planSections,
  SECTION_DEFAULTS,
  sectionCoverage,
  sectionRuns,
  sectionStartingAt,
  sectionsShareOfSource,
  type DownloadMode,
  type SectionRange,
} from '../core/sections.js';
import type { ClipSpec, DownloadedSection, EncodeSettings, SourceInfo, VideoEntry } from '../core/types.js';
import { secondsSince } from '../core/log-events.js';
import { assertVideoId } from '../core/video-id.js';
import {
  buildDownloadArgs,
  buildMetadataArgs,
  combinedProgress,
  expectedSizeFromInfo,
  parseDownloadProgress,
  parseSourceFileName,
  redactSecrets,
  type DownloadOptions,
  type DownloadProgress,
} from '../core/ytdlp-args.js';
import { probeSource, type SourceProbe } from '../tools/probe.js';
import { GrowingFile, mp4BoxesFrom } from '../tools/early-encodes.js';
import type { ToolRun } from '../tools/process.js';
import { spawnedYtDlp, type YtDlpRunner } from '../tools/ytdlp-runner.js';
import { downloadsPausedUntilQuery } from '../workflows/definitions.js';
import { encodeReservationKey } from '../tools/sessions.js';
import { plannedSourceNames, removeUnplannedSources } from '../tools/source-files.js';
import type { TempBudget } from '../tools/temp-budget.js';
import type { HostDeps } from './deps.js';
import type { VideoEarlyEncode } from './encode.js';
import { eventLogger, type EventLogger } from './events.js';
import { startHeartbeat } from './heartbeat.js';

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
  /** The video's encode (0.5, PATCHES.encodeWhileDownloading): started early when an encoder is idle. */
  encode?: { clips: ClipSpec[]; outDir: string; settings: EncodeSettings };
}

const GB = 1024 ** 3;

/** One download attempt and what it has learned so far; the heartbeat reports its progress. */
interface DownloadJob {
  input: DownloadInput;
  dir: string;
  workDir: string;
  budgetKey: string;
  signal: AbortSignal;
  options: DownloadOptions;
  metadata: { infoJsonPath: string; info: Record<string, unknown> } | null;
  durationSeconds: number | null;
  progress: DownloadProgress | null;
  waitingForDisk: { usedBytes: number; neededBytes: number } | null;
  /** Downloaded, waiting for an encoder of this host to have room. */
  waitingForEncoder: boolean;
  /** The encoder reserved at the start (one was idle), and the encode started on it while downloading. */
  earlyQueue: string | null;
  early: VideoEarlyEncode | null;
  /** Where the MP4 index of the file the early encode reads ends. */
  earlyIndexEnd: number | null;
}

/** Tool output with the worker's secrets (proxy password, cookie values) replaced. */
function redactLines(deps: HostDeps, lines: string[]): string[] {
  const secrets = deps.downloads?.secrets ?? [];
  return secrets.length === 0 ? lines : lines.map((line) => redactSecrets(line, secrets));
}

/** Rate limits and bot checks are retried by the batch, after a pause of every download. */
function ytDlpFailure(failure: Classified): ApplicationFailure {
  const nonRetryable = !failure.retryable || SHARED_BACKOFF_TYPES.includes(failure.type);
  return ApplicationFailure.create({ type: failure.type, message: failure.message, nonRetryable });
}

/** This download's yt-dlp settings, with a private copy of the cookies in its own folder. */
async function downloadOptions(deps: HostDeps, dir: string): Promise<DownloadOptions> {
  const settings = deps.downloads;
  if (!settings) return {};
  if (!settings.cookiesSource) return settings.options;
  const cookiesFile = join(dir, 'cookies.txt');
  await copyFile(settings.cookiesSource, cookiesFile);
  await chmod(cookiesFile, 0o600);
  return { ...settings.options, cookiesFile };
}

/** Content-Length of a direct link, or null. */
async function contentLength(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<number | null> {
  const response = await fetch(url, { method: 'HEAD', headers, signal, redirect: 'follow' }).catch(() => null);
  const length = Number(response?.headers.get('content-length'));
  return response?.ok && length > 0 ? length : null;
}

const ytDlpOf = (deps: HostDeps): YtDlpRunner => deps.ytDlp ?? spawnedYtDlp(deps.tools.ytDlp);

/** yt-dlp's metadata of the format to download, saved for the download to reuse. */
async function fetchMetadata(deps: HostDeps, job: DownloadJob): Promise<NonNullable<DownloadJob['metadata']>> {
  const args = buildMetadataArgs({ url: job.input.video.url, format: job.input.format, options: job.options });
  const meta = await ytDlpOf(deps).capture(args, { cancelSignal: job.signal, timeoutMs: 300_000 });
  if (job.signal.aborted) throw new CancelledFailure('download cancelled');
  if (!meta.ok) throw ytDlpFailure(classifyYtDlpFailure(redactLines(deps, meta.stderr.split('\n')), meta.exitCode));
  const infoJsonPath = join(job.dir, 'info.json');
  await writeFile(infoJsonPath, meta.stdout);
  return { infoJsonPath, info: JSON.parse(meta.stdout) as Record<string, unknown> };
}

/**
 * Refuses a source larger than the whole temp-disk budget, and waits until it fits
 * beside the sources on disk and the downloads under way.
 */
async function admitWithinBudget(budget: TempBudget, job: DownloadJob, sections: SectionRange[] | null): Promise<void> {
  if (!job.metadata) return;
  const share = sections ? sectionsShareOfSource(sections, job.durationSeconds) : 1;
  const expected = expectedSizeFromInfo(job.metadata.info);
  const direct = expected.directUrl ? await contentLength(expected.directUrl, expected.headers, job.signal) : null;
  const bytes = Math.ceil((expected.bytes ?? direct ?? 0) * share);
  if (bytes > budget.limitBytes) {
    const [source, limit] = [(bytes / GB).toFixed(3), (budget.limitBytes / GB).toFixed(3)];
    throw ApplicationFailure.create({
      type: ErrorType.SourceTooLarge,
      message: `the source is ${source} GB, more than the whole temporary-disk budget of ${limit} GB (--max-temp-gb)`,
      nonRetryable: true,
    });
  }
  await budget.admit(
    job.budgetKey,
    { dir: job.dir, workDir: job.workDir, expected: bytes },
    {
      signal: job.signal,
      onWait: (usedBytes) => (job.waitingForDisk = { usedBytes, neededBytes: bytes }),
    },
  );
  job.waitingForDisk = null;
}

/** The downloaded file(s) of a video, probed: the whole source or its sections. */
async function downloadedSource(
  deps: HostDeps,
  dir: string,
  sections: SectionRange[] | null,
  durationSeconds: number | null,
): Promise<Omit<SourceInfo, 'encodeQueue'>> {
  const names = await plannedSourceNames(dir, sections);
  if (names.length === 0) {
    const message = `yt-dlp succeeded but left no file in ${dir}`;
    throw ApplicationFailure.create({ type: ErrorType.Unknown, message });
  }
  const probed: Array<{ name: string; path: string; bytes: number; probe: SourceProbe }> = [];
  for (const name of names) {
    const path = join(dir, name);
    const probe = await probeSource(deps.tools.ffprobe, path);
    if (typeof probe === 'string') {
      const message = `downloaded file ${name} is not a usable video: ${probe}`;
      throw ApplicationFailure.create({ type: ErrorType.SourceUnreadable, message, nonRetryable: true });
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

/**
 * The yt-dlp runs of a download (sectionRuns), at most SECTION_DEFAULTS.runsAtOnce at once;
 * the first that fails stops the others. Resolves to that failed run, or null.
 */
async function runYtDlp(deps: HostDeps, job: DownloadJob, runs: Array<SectionRange[] | null>): Promise<ToolRun | null> {
  const progress: Array<DownloadProgress | null> = runs.map(() => null);
  const stopOthers = new AbortController();
  const signal = AbortSignal.any([job.signal, stopOthers.signal]);
  const limit = pLimit(SECTION_DEFAULTS.runsAtOnce);
  const finished = await Promise.all(
    runs.map((sections, index) =>
      limit(async () => {
        if (signal.aborted) return null;
        const args = buildDownloadArgs({
          url: job.input.video.url,
          targetDir: job.dir,
          infoJsonPath: job.metadata?.infoJsonPath,
          format: job.input.format,
          options: job.options,
          sections: sections ?? undefined,
        });
        const run = await ytDlpOf(deps).run(args, {
          cancelSignal: signal,
          onStdoutLine: (line) => {
            const parsed = parseDownloadProgress(line);
            if (!parsed) return;
            progress[index] = parsed;
            job.progress = combinedProgress(progress);
          },
        });
        if (!run.ok && !run.canceled) stopOthers.abort();
        return run;
      }),
    ),
  );
  return finished.find((run) => run && !run.ok && !run.canceled) ?? null;
}

/** The file yt-dlp is writing in `dir` (a `.part` of the whole source), or null. */
async function partialSourcePath(dir: string): Promise<string | null> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const partial = names.find((name) => parseSourceFileName(name)?.partial && name.endsWith('.part'));
  return partial ? join(dir, partial) : null;
}

/**
 * While the whole source downloads, starts its encode as soon as the file's index is on
 * disk (growingLayout), the rest should arrive within GROWING_SOURCE_DEFAULTS.startWithinSeconds
 * (an encode waiting on a slow download would hold its encoder from sources already
 * downloaded), and an encoder of this host is idle with no finished download waiting
 * for one: the cores would otherwise wait for the last byte. Gives up on a file that
 * cannot be read as it grows (the index at its end, not an MP4); ends with the download.
 */
async function encodeWhileDownloading(deps: HostDeps, job: DownloadJob, downloading: AbortSignal): Promise<void> {
  const { encode } = job.input;
  const { earlyEncodes, startEarlyEncode } = deps;
  if (!encode || !earlyEncodes || !startEarlyEncode || process.platform !== 'linux' || job.early) return;
  // Opened once the partial file is there, and held: the encode reads it through this descriptor.
  let file: { path: string; growing: GrowingFile } | null = null;
  const giveUp = async () => {
    await file?.growing.close();
    if (job.earlyQueue) deps.encodeQueues.release(job.dir);
    job.earlyQueue = null;
  };
  let wanted: number = GROWING_SOURCE_DEFAULTS.headBytes;
  while (!downloading.aborted) {
    await delay(GROWING_SOURCE_DEFAULTS.pollMs);
    if (!file) {
      const path = await partialSourcePath(job.dir);
      const growing = path ? await GrowingFile.open(path).catch(() => null) : null;
      if (!path || !growing) continue;
      file = { path, growing };
    }
    const read = await file.growing.head(wanted);
    if (downloading.aborted) break;
    const shape = growingLayout(read.head, read.size);
    if (shape.kind === 'unreadable') return giveUp();
    if (shape.kind === 'need-more') {
      wanted = Math.max(wanted, shape.bytes);
      continue;
    }
    const left = downloadSecondsLeft(job.progress);
    if (left === null || left > GROWING_SOURCE_DEFAULTS.startWithinSeconds) continue;
    job.earlyQueue ??= deps.encodeQueues.pickIfIdle(job.dir);
    if (!job.earlyQueue) continue;
    const probe = await probeSource(deps.tools.ffprobe, file.growing.readPath, job.signal);
    if (typeof probe === 'string' || downloading.aborted) return giveUp();
    const { path } = file;
    const { width, height, fps, durationSeconds } = probe;
    const source = { path, width, height, fps, durationSeconds, bytes: read.size };
    job.early = startEarlyEncode(job.earlyQueue, { video: job.input.video, source, ...encode }, file.growing);
    job.earlyIndexEnd = shape.indexEnd;
    earlyEncodes.add(job.dir, job.early);
    const fields = { queue: job.earlyQueue, bytes: read.size };
    eventLogger(deps.logger, job.input).event('encode.early', fields, 'the encode starts while the source downloads');
    return;
  }
  await file?.growing.close();
}

/** The finished file is the one the early encode has been reading: same shape, rate and duration. */
function sameSource(early: SourceInfo, finished: Omit<SourceInfo, 'encodeQueue'>): boolean {
  return (
    !finished.sections &&
    early.width === finished.width &&
    early.height === finished.height &&
    early.fps === finished.fps &&
    early.durationSeconds === finished.durationSeconds
  );
}

/** Runs yt-dlp for the whole video (sections null) or the planned sections, and probes what it left. */
async function downloadFiles(
  deps: HostDeps,
  job: DownloadJob,
  sections: SectionRange[] | null,
): Promise<Omit<SourceInfo, 'encodeQueue'>> {
  const { dir } = job;
  await removeUnplannedSources(dir, sections);
  if (deps.tempBudget) await admitWithinBudget(deps.tempBudget, job, sections);
  const downloading = new AbortController();
  const watching = sections === null ? encodeWhileDownloading(deps, job, downloading.signal) : null;
  const failed = await runYtDlp(deps, job, sectionRuns(sections, Boolean(job.options.limitRate))).finally(() =>
    downloading.abort(),
  );
  await watching;
  if (job.signal.aborted) throw new CancelledFailure('download cancelled');
  if (failed) {
    // Logged once, as the attempt's activity.failed event (src/worker/failure-events.ts).
    const failure = classifyYtDlpFailure(redactLines(deps, failed.stderrTail), failed.exitCode);
    // A full disk: free what this download wrote before it is tried again.
    if (failure.type === ErrorType.DiskFull) await rm(dir, { recursive: true, force: true });
    throw ytDlpFailure(failure);
  }
  return (await earlySourceFinished(job, sections)) ?? downloadedSource(deps, dir, sections, job.durationSeconds);
}

/**
 * The early encode probed the file while it grew, its index complete: when the finished
 * file is that same file, a second ffprobe (about 0.1 CPU s) would only read the same index.
 */
async function earlySourceFinished(
  job: DownloadJob,
  sections: SectionRange[] | null,
): Promise<Omit<SourceInfo, 'encodeQueue'> | null> {
  if (sections || !job.early || job.earlyIndexEnd === null) return null;
  const names = await plannedSourceNames(job.dir, null);
  const path = names.length === 1 ? join(job.dir, names[0] as string) : null;
  if (!path || !(await job.early.file.isFileAt(path))) return null;
  const bytes = (await stat(path)).size;
  if (!indexCoversMedia(await mp4BoxesFrom(path, job.earlyIndexEnd), bytes - job.earlyIndexEnd)) return null;
  const { width, height, fps, durationSeconds } = job.early.input.source;
  return { path, width, height, fps, durationSeconds, bytes };
}

/** The sections to fetch, or null for the whole video. */
function chooseSections(input: DownloadInput, durationSeconds: number | null): SectionRange[] | null {
  const mode = input.downloadMode ?? 'full';
  const clips = input.clips ?? [];
  const fps = input.fps ?? 0;
  const planned = mode !== 'full' && clips.length > 0 && fps > 0 ? planSections(clips, fps, durationSeconds) : null;
  return planned && chooseDownloadMode(mode, sectionCoverage(planned, durationSeconds)) === 'sections' ? planned : null;
}

/** The download.end event: the mode the download used, which `auto` leaves to the sections' coverage. */
function logDownloaded(
  events: EventLogger,
  attempt: number,
  startedAt: number,
  source: Omit<SourceInfo, 'encodeQueue'>,
) {
  const mode = source.sections ? 'sections' : 'full';
  const seconds = secondsSince(startedAt, Date.now());
  const fields = { attempt, mode, bytes: source.bytes, seconds, sections: source.sections?.length ?? 0 } as const;
  events.event('download.end', fields, `downloaded ${source.bytes} bytes in ${seconds} s (${mode})`);
}

/** Until when (epoch ms) the batch holds this video's downloads; 0 when its workflow cannot say (an older one). */
async function downloadsPausedUntil(context: Context): Promise<number> {
  const execution = context.info.workflowExecution;
  if (!execution) return 0;
  try {
    return await context.client.workflow
      .getHandle(execution.workflowId, execution.runId)
      .query(downloadsPausedUntilQuery);
  } catch {
    return 0;
  }
}

/**
 * A retry of a failed download is scheduled by the server, past the workflow's hold: while
 * the batch pauses downloads (a rate limit, a bot check), it waits, heartbeating, as the
 * video's next download would.
 */
async function waitOutBatchPause(
  deps: HostDeps,
  job: DownloadJob,
  events: ReturnType<typeof eventLogger>,
  attempt: number,
): Promise<void> {
  const context = Context.current();
  const heldFrom = Date.now();
  for (let until = await downloadsPausedUntil(context); until > Date.now();) {
    const stopHeartbeat = startHeartbeat(() => ({ phase: 'download', pausedUntil: until }), deps.heartbeatIntervalMs);
    try {
      await delay(until - Date.now(), undefined, { signal: job.signal }).catch(() => undefined);
    } finally {
      stopHeartbeat();
    }
    if (job.signal.aborted) throw new CancelledFailure('download cancelled');
    until = await downloadsPausedUntil(context);
  }
  if (Date.now() > heldFrom + 100) {
    const heldSeconds = secondsSince(heldFrom, Date.now());
    events.event(
      'pause.held',
      { attempt, heldSeconds },
      `retry ${attempt} waited out the batch's pause (${heldSeconds} s)`,
    );
  }
}

export function createDownloadActivities(deps: HostDeps) {
  return {
    /** Downloads the source with yt-dlp into the work dir; heartbeats bytes. */
    async download(input: DownloadInput): Promise<SourceInfo> {
      const { video } = input;
      const workDir = deps.workDir ?? input.workDir;
      const dir = layout.sourceDir(workDir, input.batchId, assertVideoId(video.videoId));
      await mkdir(dir, { recursive: true });
      const job: DownloadJob = {
        input,
        dir,
        workDir,
        budgetKey: `${input.batchId}/${video.videoId}`,
        signal: Context.current().cancellationSignal,
        options: {},
        metadata: null,
        durationSeconds: null,
        progress: null,
        waitingForDisk: null,
        waitingForEncoder: false,
        earlyQueue: null,
        early: null,
        earlyIndexEnd: null,
      };
      const events = eventLogger(deps.logger, input);
      const { attempt } = Context.current().info;
      if (attempt > 1) await waitOutBatchPause(deps, job, events, attempt);
      const startedAt = Date.now();
      const asked = input.downloadMode ?? 'full';
      events.event('download.start', { attempt, mode: asked }, `download starts (attempt ${attempt}, ${asked})`);
      const heartbeat = () => ({
        phase: 'download',
        ...job.progress,
        waitingForDisk: job.waitingForDisk,
        waitingForEncoder: job.waitingForEncoder,
      });
      const stopHeartbeat = startHeartbeat(heartbeat, deps.heartbeatIntervalMs);
      let handedOver = false;
      try {
        job.options = await downloadOptions(deps, dir);
        // The metadata first when it decides something: the size (temp budget), the sections.
        if (deps.tempBudget || (input.downloadMode ?? 'full') !== 'full') job.metadata = await fetchMetadata(deps, job);
        const duration = Number(job.metadata?.info.duration);
        job.durationSeconds = duration > 0 ? duration : null;
        let source = await downloadFiles(deps, job, chooseSections(input, job.durationSeconds));
        const clips = input.clips ?? [];
        const late = source.sections ? clipsStartingBeforeTheirSection(source.sections, clips, input.fps ?? 0) : [];
        if (late.length > 0) {
          deps.logger.warn(
            { ...events.ids, clips: late.length },
            'a downloaded section starts after its clip (does the server ignore Range requests?): ' +
              'downloading the whole video instead',
          );
          source = await downloadFiles(deps, job, null);
        }
        logDownloaded(events, attempt, startedAt, source);
        const downloadSeconds = secondsSince(startedAt, Date.now());
        deps.metrics?.downloaded(source.bytes, downloadSeconds);
        if (job.early && !sameSource(job.early.input.source, source)) {
          deps.logger.warn(
            { ...events.ids },
            'the finished source is not the file the early encode read: encoding again',
          );
          deps.earlyEncodes?.stop(job.dir);
          job.early = null;
        }
        if (job.early) deps.earlyEncodes?.handedOver(job.dir, source.path);
        // The encode goes to the least loaded GPU (or the CPU queue) of this host, reserved for
        // this video once one has room: a download that ran ahead waits here for the encoders.
        const waitFrom = Date.now();
        const encodeQueue =
          job.early?.queue ??
          (await deps.encodeQueues.pickWhenFree(encodeReservationKey(source.path), {
            signal: job.signal,
            onWait: () => (job.waitingForEncoder = true),
          }));
        handedOver = true;
        if (job.waitingForEncoder) {
          const seconds = secondsSince(waitFrom, Date.now());
          events.event('encoder.waited', { seconds }, `waited ${seconds} s for an encoder`);
        }
        return {
          ...source,
          encodeQueue,
          // For the report's timings (the workflow passes them on).
          downloadStartedAt: new Date(startedAt).toISOString(),
          downloadSeconds,
        };
      } finally {
        stopHeartbeat();
        if (!handedOver) {
          // A failed or cancelled download stops its early encode and frees the encoder it reserved.
          deps.earlyEncodes?.stop(job.dir);
          if (job.earlyQueue) deps.encodeQueues.release(job.dir);
        }
        deps.tempBudget?.finished(job.budgetKey);
        deps.metrics?.workDirChanged(workDir);
      }
    },
  };
}
