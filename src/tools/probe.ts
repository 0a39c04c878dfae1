import { buildClipProbeArgs, buildSourceProbeArgs, parseFrameRate } from '../core/ffmpeg-args.js';
import { captureTool } from './process.js';

export interface SourceProbe {
  codec: string;
  width: number;
  height: number;
  fps: number;
  durationSeconds: number;
  /** First timestamp: 0 for a whole video, the section's keyframe for a section kept with -copyts. */
  startSeconds: number;
}

interface FfprobeJson {
  streams?: Array<Record<string, string | number | undefined>>;
  format?: Record<string, string | number | undefined>;
}

function parseJson(text: string): FfprobeJson | null {
  try {
    return JSON.parse(text) as FfprobeJson;
  } catch {
    return null;
  }
}

/** The first video stream's shape, rate and duration; an error string when there is none. */
export async function probeSource(
  ffprobe: string,
  path: string,
  cancelSignal?: AbortSignal,
): Promise<SourceProbe | string> {
  const run = await captureTool(ffprobe, buildSourceProbeArgs(path), { cancelSignal, timeoutMs: 120_000 });
  const json = run.ok ? parseJson(run.stdout) : null;
  const stream = json?.streams?.[0];
  if (!json || !stream) return run.stderr.trim().split('\n').at(-1) || 'no video stream found';
  const fps = parseFrameRate(String(stream.avg_frame_rate ?? '')) ?? parseFrameRate(String(stream.r_frame_rate ?? ''));
  const duration = Number(stream.duration ?? json.format?.duration);
  const width = Number(stream.width);
  const height = Number(stream.height);
  if (!fps || !Number.isFinite(duration) || !(width > 0) || !(height > 0)) {
    return `unusable video stream (fps ${fps ?? 'unknown'}, duration ${stream.duration ?? json.format?.duration ?? 'unknown'})`;
  }
  const start = Number(json.format?.start_time ?? stream.start_time ?? 0);
  return {
    codec: String(stream.codec_name ?? 'unknown'),
    width,
    height,
    fps,
    durationSeconds: duration,
    startSeconds: Number.isFinite(start) ? start : 0,
  };
}

export interface ClipProbe {
  frames: number;
  width: number;
  height: number;
}

/** Packets (one per frame in a raw HEVC stream) and picture size; null when unreadable. */
export async function probeClip(ffprobe: string, path: string, cancelSignal?: AbortSignal): Promise<ClipProbe | null> {
  const run = await captureTool(ffprobe, buildClipProbeArgs(path), { cancelSignal, timeoutMs: 120_000 });
  const stream = run.ok ? parseJson(run.stdout)?.streams?.[0] : undefined;
  if (!stream) return null;
  return { frames: Number(stream.nb_read_packets ?? 0), width: Number(stream.width), height: Number(stream.height) };
}
