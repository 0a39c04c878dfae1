import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { GROWING_SOURCE_DEFAULTS } from '../config.js';
import { classifyFfmpegFailure } from '../core/errors.js';
import { PLAN_DEFAULTS, planSourcePasses, type EncodePass } from '../core/encode-plan.js';
import { buildClipEncodeArgs, buildPassEncodeArgs } from '../core/ffmpeg-args.js';
import { passMayReadGrowing } from '../core/growing-source.js';
import * as layout from '../core/layout.js';
import type { ClipOutput, ClipSpec, EncodeSettings, LineError, SourceInfo, VideoEntry } from '../core/types.js';
import { secondsSince } from '../core/log-events.js';
import { plural } from '../core/report.js';
import { assertVideoId } from '../core/video-id.js';
import { checkClipFile, validClipOutput } from '../tools/clip-check.js';
import type { EarlyEncode, EarlyEncodes, GrowingFile, SourceRead } from '../tools/early-encodes.js';
import { describeEncoder } from '../tools/encoder.js';
import { attemptToken, isNotFound } from '../tools/fs.js';
import { PassQueue } from '../tools/pass-queue.js';
import { runTool } from '../tools/process.js';
import { encodeReservationKey, type EncodeQueues } from '../tools/sessions.js';
import type { EncoderDeps } from './deps.js';
import { eventLogger, type EventLogger } from './events.js';
import { startHeartbeat } from './heartbeat.js';

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
  /** This attempt's wall seconds, for the report's timings (0.5). */
  encodeSeconds?: number;
}

/** What encodeClips heartbeats: enough for a retry to skip the clips already made. */
export interface EncodeProgress {
  phase: 'encode';
  clips: number;
  produced: ClipOutput[];
  unproducible: number;
  clip: number;
  frame: number;
  /** ffmpeg's frames per second of the pass under way, for display. */
  fps?: number;
}

/** An encode started while its source downloads, on one of the host's encode queues. */
export type VideoEarlyEncode = EarlyEncode<EncodeClipsInput, EncodeClipsOutput, EncodeProgress>;
/** The host's early encodes, shared by its downloads (which start them) and its encode activities (which take them). */
export type VideoEarlyEncodes = EarlyEncodes<EncodeClipsInput, EncodeClipsOutput, EncodeProgress>;

/** The encode queue an encode worker serves, where each attempt counts itself while it runs. */
export interface EncodeQueueSlot {
  name: string;
  queues: EncodeQueues;
}

/** A clip an earlier attempt reported as made, still on disk with the same size. */
async function fromEarlierAttempt(earlier: ClipOutput[], finalPath: string): Promise<ClipOutput | null> {
  const name = basename(finalPath);
  const made = earlier.find((c) => c.file === name);
  if (!made) return null;
  const info = await stat(finalPath).catch(() => null);
  return info?.size === made.bytes ? made : null;
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

type PassOutput = ClipSpec & { finalPath: string; outputPath: string };

/**
 * One attempt of encodeClips: what it has made and refused, and the temporary files it
 * has under way (removed at the end, whatever happens). A pass's checks and renames
 * overlap the next pass's encode.
 */
class EncodeAttempt {
  readonly produced: ClipOutput[] = [];
  readonly unproducible: LineError[] = [];
  current: { clip: number; frame: number; fps?: number } = { clip: 0, frame: 0 };
  private readonly token = attemptToken();
  private readonly temps = new Set<string>();
  private finalizing: Promise<unknown> = Promise.resolve();
  private readonly events: EventLogger;
  private passes = 0;

  constructor(
    private readonly deps: EncoderDeps,
    private readonly input: EncodeClipsInput,
    private readonly signal: AbortSignal,
    private readonly attempt: number,
    /** The source while it still downloads (an early encode); absent, the downloaded file. */
    private readonly growing?: GrowingFile,
  ) {
    this.events = eventLogger(deps.logger, input);
  }

  progress(): EncodeProgress {
    const { produced, unproducible, current } = this;
    return { phase: 'encode', clips: this.input.clips.length, produced, unproducible: unproducible.length, ...current };
  }

  notProduced(clip: ClipSpec, reason: string): void {
    this.unproducible.push({ line: clip.line, text: `${clip.startFrame} ${clip.endFrame}`, reason });
    const { line } = clip;
    this.events.event('clip.unproducible', { line, reason }, `clip of line ${line} not made: ${reason}`);
  }

  /** Clips already made (by an earlier attempt, or valid on disk) are kept; the rest still to make. */
  async keepExisting(earlier: ClipOutput[]): Promise<ClipSpec[]> {
    const { input } = this;
    const todo: ClipSpec[] = [];
    for (const clip of input.clips) {
      const finalPath = this.finalPath(clip);
      const existing =
        (await fromEarlierAttempt(earlier, finalPath)) ?? (await validClipOutput(finalPath, clip, input.settings));
      if (existing) this.produced.push(existing);
      else todo.push(clip);
    }
    return todo;
  }

  async run(passes: PassQueue): Promise<void> {
    for (let pass = passes.next(); pass; pass = passes.next()) {
      this.current = { clip: this.input.clips.indexOf(pass.clips[0] as ClipSpec), frame: 0 };
      const outputs = pass.clips.map((clip) => {
        const finalPath = this.finalPath(clip);
        const outputPath = layout.tempClipPath(finalPath, this.token);
        this.track(outputPath);
        return { ...clip, finalPath, outputPath };
      });
      const started = this.passStarted(outputs);
      const run = await this.encode(pass, outputs);
      this.passEnded(started, run.ok);
      await this.finalizing;
      if (run.canceled) throw new CancelledFailure('encode cancelled');
      if (run.ok) {
        this.finalizing = Promise.all(outputs.map((o) => this.finalize(o)));
        continue;
      }
      const failure = classifyFfmpegFailure(run.stderrTail, run.exitCode, run.signal);
      if (failure.retryable) throw ApplicationFailure.create({ type: failure.type, message: failure.message });
      await Promise.all(outputs.map((o) => this.discard(o.outputPath)));
      // A shared pass failed: cut its clips one by one, so one bad clip costs only itself.
      if (outputs.length > 1) passes.splitToFront(pass);
      else this.notProduced(pass.clips[0] as ClipSpec, `ffmpeg failed: ${failure.message}`);
    }
    await this.finalizing;
  }

  /** Waits for the last checks, then removes every temporary file still there. */
  async cleanUp(): Promise<void> {
    await this.finalizing.catch(() => undefined);
    await Promise.all([...this.temps].map((path) => this.discard(path)));
  }

  /** The encode.start event; what encode.end needs. */
  private passStarted(outputs: PassOutput[]) {
    const { attempt } = this;
    const fields = {
      attempt,
      pass: ++this.passes,
      clips: outputs.length,
      encoder: describeEncoder(this.deps.encoder),
      frames: outputs.reduce((sum, o) => sum + o.endFrame - o.startFrame, 0),
    };
    const { pass, clips, frames } = fields;
    this.events.event('encode.start', fields, `encode pass ${pass} starts: ${plural(clips, 'clip')}, ${frames} frames`);
    return { fields, startedAt: Date.now() };
  }

  private passEnded({ fields, startedAt }: ReturnType<EncodeAttempt['passStarted']>, ok: boolean): void {
    const seconds = secondsSince(startedAt, Date.now());
    const fps = seconds > 0 ? Math.round((fields.frames / seconds) * 10) / 10 : 0;
    const how = ok ? `${fields.frames} frames in ${seconds} s (${fps} fps)` : `failed after ${seconds} s`;
    this.events.event('encode.end', { ...fields, seconds, fps, ok }, `encode pass ${fields.pass} ended: ${how}`);
    if (ok) this.deps.metrics?.encodePassDone(this.deps.encoder, (Date.now() - startedAt) / 1000, fields.frames);
  }

  private finalPath(clip: ClipSpec): string {
    return layout.clipPath(this.input.outDir, assertVideoId(this.input.video.videoId), clip);
  }

  /** The finished source, or the growing one for a pass that may read it (else after its download). */
  private async sourceRead(pass: EncodePass): Promise<SourceRead> {
    if (!this.growing) return { path: pass.path, growing: false };
    const { fps } = this.input.settings;
    const { durationSeconds } = this.input.source;
    const margin = GROWING_SOURCE_DEFAULTS.endMarginSeconds;
    const read = await this.growing.readFor(passMayReadGrowing(pass.clips, fps, durationSeconds, margin));
    if (!read) throw new CancelledFailure('the download of the source stopped');
    return read;
  }

  private async encode(pass: EncodePass, outputs: PassOutput[]) {
    const { deps, signal } = this;
    const { settings } = this.input;
    const read = await this.sourceRead(pass);
    const growing = read.growing ? { readTimeoutSeconds: GROWING_SOURCE_DEFAULTS.readTimeoutSeconds } : undefined;
    const source = {
      sourcePath: read.path,
      sourceStartSeconds: pass.fileStartSeconds,
      settings,
      encoder: deps.encoder,
      ...(growing ? { growing } : {}),
    };
    const only = outputs[0] as PassOutput;
    const args =
      outputs.length === 1
        ? buildClipEncodeArgs({ ...source, outputPath: only.outputPath, clip: only })
        : buildPassEncodeArgs({ ...source, clips: outputs });
    // An ffmpeg writing k clips holds k NVENC sessions of its GPU.
    const release = deps.sessions ? await deps.sessions.acquire(outputs.length, signal) : () => undefined;
    try {
      return await runTool(deps.tools.ffmpeg, args, {
        cancelSignal: signal,
        onStdoutLine: (line) => {
          if (line.startsWith('frame=')) this.current = { ...this.current, frame: Number(line.slice(6)) || 0 };
          if (line.startsWith('fps=')) this.current = { ...this.current, fps: Number(line.slice(4)) || 0 };
        },
      });
    } finally {
      release();
    }
  }

  /** Checks a finished temporary file and renames it into place, or reports the clip. */
  private async finalize(output: PassOutput): Promise<void> {
    const { settings } = this.input;
    const frames = output.endFrame - output.startFrame;
    const want = { frames, width: settings.width, height: settings.height };
    const check = await checkClipFile(output.outputPath, want);
    if (check?.ok) {
      await rename(output.outputPath, output.finalPath);
      const { startFrame, endFrame } = output;
      const [file, bytes, encoder] = [basename(output.finalPath), check.bytes, describeEncoder(this.deps.encoder)];
      this.produced.push({ file, startFrame, endFrame, frames, bytes, encoder });
      this.untrack(output.outputPath);
      const path = output.finalPath;
      this.events.event('clip.written', { path, frames, bytes }, `clip written: ${file} (${frames} frames)`);
      this.deps.metrics?.clipWritten(this.deps.encoder);
    } else {
      this.notProduced(output, check?.reason ?? 'encoded file is unreadable');
      await this.discard(output.outputPath);
    }
  }

  private track(path: string): void {
    this.temps.add(path);
    this.deps.scratch?.add(path);
  }

  private untrack(path: string): void {
    this.temps.delete(path);
    this.deps.scratch?.delete(path);
  }

  private async discard(path: string): Promise<void> {
    await rm(path, { force: true });
    this.untrack(path);
  }
}

/** Makes the clips of `input` not yet on disk (or made by an earlier attempt): the work of one attempt. */
async function encodeAll(deps: EncoderDeps, input: EncodeClipsInput, attempt: EncodeAttempt, earlier: ClipOutput[]) {
  const folder = layout.videoOutDir(input.outDir, assertVideoId(input.video.videoId));
  await mkdir(folder, { recursive: true });
  await removeStaleTemps(folder);
  const todo = await attempt.keepExisting(earlier);
  const planOptions = { ...PLAN_DEFAULTS[deps.encoder.kind] };
  if (deps.sessions) planOptions.maxClipsPerPass = Math.min(planOptions.maxClipsPerPass, deps.sessions.capacity);
  const plan = planSourcePasses(todo, input.source, input.settings.fps, planOptions);
  for (const { clip, reason } of plan.refused) attempt.notProduced(clip, reason);
  await attempt.run(new PassQueue(plan.passes));
}

const jobOf = (input: EncodeClipsInput) =>
  JSON.stringify([input.video.videoId, input.clips, input.outDir, input.settings]);

/**
 * Starts a video's encode on `queue` of this host while its source downloads: it counts
 * as a running encode of that queue until it ends, and reads the growing file.
 */
export function createEarlyEncodeStarter(
  encoders: ReadonlyMap<string, EncoderDeps>,
  queues: EncodeQueues,
): (queue: string, input: EncodeClipsInput, file: GrowingFile) => VideoEarlyEncode {
  return (queue, input, file) => {
    const deps = encoders.get(queue);
    if (!deps) throw new Error(`no encoder on queue ${queue}`);
    const stopper = new AbortController();
    const attempt = new EncodeAttempt(deps, input, stopper.signal, 1, file);
    const release = queues.start(queue, encodeReservationKey(input.source.path));
    const startedAt = Date.now();
    const done = (async (): Promise<EncodeClipsOutput> => {
      try {
        await encodeAll(deps, input, attempt, []);
      } finally {
        release();
        await attempt.cleanUp();
        await file.close();
      }
      const { produced, unproducible } = attempt;
      const encodeSeconds = secondsSince(startedAt, Date.now());
      return { produced, unproducible, encoder: describeEncoder(deps.encoder), encodeSeconds };
    })();
    // Its outcome is read by the encode activity, or by nobody (a failed download stopped it).
    done.catch(() => undefined);
    return { queue, input, file, done, progress: () => attempt.progress(), stop: () => stopper.abort() };
  };
}

/**
 * The encode started while the source downloaded, if it is this job's on this queue; it is
 * followed to its end, and its result kept when every clip was made. Null: encode here.
 */
async function finishEarlyEncode(
  deps: EncoderDeps,
  input: EncodeClipsInput,
  queue: string | undefined,
): Promise<EncodeClipsOutput | null> {
  const early = deps.earlyEncodes?.take(encodeReservationKey(input.source.path));
  if (!early) return null;
  // The download handed it over only if the finished file probed as the growing one did.
  if (early.queue !== queue || jobOf(early.input) !== jobOf(input)) {
    early.stop();
    await early.done.catch(() => undefined);
    return null;
  }
  const { cancellationSignal } = Context.current();
  const stop = () => early.stop();
  cancellationSignal.addEventListener('abort', stop, { once: true });
  const stopHeartbeat = startHeartbeat(() => early.progress(), deps.heartbeatIntervalMs);
  try {
    const output = await early.done;
    // Anything short of every clip is looked at again here (the clips it made are kept).
    return output.unproducible.length === 0 ? output : null;
  } catch {
    if (cancellationSignal.aborted) throw new CancelledFailure('encode cancelled');
    return null;
  } finally {
    stopHeartbeat();
    cancellationSignal.removeEventListener('abort', stop);
  }
}

/**
 * encodeClips for a worker. On an encode queue (`slot`), each attempt counts as a running
 * encode of that queue from its start to its own end: retries and abandoned videos leave
 * the host's load counts honest (see EncodeQueues). An encode its download started early
 * (createEarlyEncodeStarter) counts itself; the attempt takes it over.
 */
export function createEncodeClips(deps: EncoderDeps, slot?: EncodeQueueSlot) {
  /**
   * Encodes each clip to a temporary name unique to this attempt, checks it has
   * exactly the frames and size asked for, then renames it into place. Clips whose
   * final file is already valid are kept; clips the source cannot give are reported.
   */
  return async function encodeClips(input: EncodeClipsInput): Promise<EncodeClipsOutput> {
    const early = await finishEarlyEncode(deps, input, slot?.name);
    if (early) return early;
    const { source } = input;
    const startedAt = Date.now();
    const release = slot ? slot.queues.start(slot.name, encodeReservationKey(source.path)) : () => undefined;
    const context = Context.current();
    const attempt = new EncodeAttempt(deps, input, context.cancellationSignal, context.info.attempt);
    let stopHeartbeat: (() => void) | undefined;
    try {
      // A retry picks up the clips an earlier attempt finished, from its last heartbeat.
      const earlier = (context.info.heartbeatDetails as EncodeProgress | undefined)?.produced ?? [];
      stopHeartbeat = startHeartbeat(() => attempt.progress(), deps.heartbeatIntervalMs);
      await encodeAll(deps, input, attempt, earlier);
    } finally {
      stopHeartbeat?.();
      release();
      await attempt.cleanUp();
    }
    const { produced, unproducible } = attempt;
    const encodeSeconds = secondsSince(startedAt, Date.now());
    return { produced, unproducible, encoder: describeEncoder(deps.encoder), encodeSeconds };
  };
}
