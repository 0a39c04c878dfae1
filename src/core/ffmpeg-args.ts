import type { ClipSpec, EncodeSettings, EncoderConfig } from './types.js';

/** Options every ffmpeg run of ours starts with: no stdin, errors only, machine-readable progress. */
const FFMPEG_COMMON = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', '-y'];
const BT709 = ['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709'];

/**
 * Added to every input timestamp. WebM (Matroska) stores timestamps in milliseconds,
 * so a frame's stored time can be up to 0.5 ms before its true time: a seek could
 * drop the clip's first frame, and the fps filter would round a 60 fps frame that
 * lies halfway between two 30 fps ticks down instead of up (exact timestamps, as in
 * MP4, round it up). Shifting by 1 ms makes both agree. Far below any frame interval.
 */
export const TIMESTAMP_NUDGE_SECONDS = '0.001';

function formatMicros(micros: number): string {
  return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

/**
 * Seek point of a clip in seconds, rounded down to ffmpeg's microsecond time base,
 * relative to the file's first timestamp (a section keeps the source's timestamps).
 */
export function clipSeekSeconds(startFrame: number, fps: number, fileStartSeconds = 0): string {
  return formatMicros(
    Math.max(0, Math.floor((startFrame * 1_000_000) / fps) - Math.round(fileStartSeconds * 1_000_000)),
  );
}

/**
 * A source still being written: ffmpeg waits at its end for more bytes (the file
 * protocol's `follow`) and gives up after `readTimeoutSeconds` without any (a stalled
 * download), which ends the input as if the file ended there.
 */
export interface GrowingRead {
  readTimeoutSeconds: number;
}

export interface ClipEncodeJob {
  sourcePath: string;
  /** A downloaded section's first timestamp in source seconds (0 for a whole video). */
  sourceStartSeconds?: number;
  /** The source is still downloading. */
  growing?: GrowingRead;
  outputPath: string;
  clip: Pick<ClipSpec, 'startFrame' | 'endFrame'>;
  settings: EncodeSettings;
  encoder: EncoderConfig;
}

/** The original's NVENC rate control, and libx265's ABR reading of it: target and peak at maxrate, VBV buffer. */
function bitrateArgs(settings: EncodeSettings): string[] {
  return [
    '-b:v',
    `${settings.maxrateKbps}k`,
    '-maxrate',
    `${settings.maxrateKbps}k`,
    '-bufsize',
    `${settings.bufsizeKbits}k`,
    '-g',
    String(settings.gop),
  ];
}

/**
 * libx265: with `crf`, constant quality capped by VBV (x265 turns VBV on in CRF mode only
 * when both vbv-maxrate, kbit/s, and vbv-bufsize, kbit, are set), so easy content costs
 * fewer bits and less CPU; without, ABR at maxrate, as every folder made before `crf`.
 */
function x265Args(preset: string, settings: EncodeSettings): string[] {
  const codec = ['-c:v', 'libx265', '-preset', preset];
  if (settings.crf === undefined) return [...codec, ...bitrateArgs(settings), '-x265-params', 'log-level=error'];
  const vbv = `vbv-maxrate=${settings.maxrateKbps}:vbv-bufsize=${settings.bufsizeKbits}`;
  return [...codec, '-crf', String(settings.crf), '-g', String(settings.gop), '-x265-params', `${vbv}:log-level=error`];
}

/** Decoding, on the GPU for NVENC (frames stay in CUDA memory), from `seek` on. */
export function clipInputArgs(
  encoder: EncoderConfig,
  seekFrame: number,
  fps: number,
  sourcePath: string,
  durationSeconds?: string,
  sourceStartSeconds = 0,
  growing?: GrowingRead,
): string[] {
  const hw =
    encoder.kind === 'nvenc'
      ? ['-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda', '-hwaccel_device', String(encoder.deviceId)]
      : [];
  const seek =
    seekFrame > 0 || sourceStartSeconds > 0 ? ['-ss', clipSeekSeconds(seekFrame, fps, sourceStartSeconds)] : [];
  const duration = durationSeconds ? ['-t', durationSeconds] : [];
  const follow = growing ? ['-follow', '1', '-rw_timeout', String(growing.readTimeoutSeconds * 1_000_000)] : [];
  return [...hw, '-itsoffset', TIMESTAMP_NUDGE_SECONDS, ...seek, ...duration, ...follow, '-i', sourcePath];
}

/** Scaling to exactly width x height, aspect not kept (as the original), square pixels. */
function scaleFilter(encoder: EncoderConfig, settings: EncodeSettings): string {
  return encoder.kind === 'nvenc'
    ? `scale_cuda=${settings.width}:${settings.height}:interp_algo=lanczos:format=nv12,setsar=1`
    : `scale=${settings.width}:${settings.height}:flags=lanczos,setsar=1,format=yuv420p`;
}

/**
 * The encoder with the original's settings (NVENC) or their libx265 reading. NVENC keeps
 * the original's VBR whatever `crf` says: `crf` is the CPU encoder's reading of "at most
 * maxrate", and the GPU path stays the original's.
 */
function encoderArgs(encoder: EncoderConfig, settings: EncodeSettings): string[] {
  // -gpu would be ignored for CUDA frames: the device comes from -hwaccel_device.
  return encoder.kind === 'nvenc'
    ? [
        '-c:v',
        'hevc_nvenc',
        '-preset',
        'p7',
        '-tune',
        'hq',
        '-rc',
        'vbr',
        ...bitrateArgs(settings),
        '-spatial_aq',
        '1',
        '-temporal_aq',
        '1',
      ]
    : x265Args(encoder.preset, settings);
}

const outputArgs = (frames: number, path: string) => ['-frames:v', String(frames), ...BT709, '-f', 'hevc', path];

/**
 * One clip, cut frame-exactly: seek before the input (accurate with re-encoding),
 * convert to the output rate first so frame k of the clip is the source frame shown
 * at (start + k) / fps, then scale to exactly width x height (aspect not kept, as the
 * original) and stop after end - start frames. Output is raw HEVC Annex B, video only.
 */
export function buildClipEncodeArgs(job: ClipEncodeJob): string[] {
  const { settings, encoder, clip } = job;
  return [
    ...FFMPEG_COMMON,
    ...clipInputArgs(
      encoder,
      clip.startFrame,
      settings.fps,
      job.sourcePath,
      undefined,
      job.sourceStartSeconds,
      job.growing,
    ),
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    `fps=${settings.fps},${scaleFilter(encoder, settings)}`,
    ...encoderArgs(encoder, settings),
    ...outputArgs(clip.endFrame - clip.startFrame, job.outputPath),
  ];
}

export interface PassEncodeJob {
  sourcePath: string;
  sourceStartSeconds?: number;
  growing?: GrowingRead;
  clips: Array<{ startFrame: number; endFrame: number; outputPath: string }>;
  settings: EncodeSettings;
  encoder: EncoderConfig;
}

/**
 * Several clips from one decode pass: seek once to the first clip, convert to the
 * output rate, split, and cut each branch with trim by frame index (frame k of the
 * pass is the source frame at (first start + k) / fps), so every clip is as exact as
 * when cut alone. Decoding stops a second after the last clip ends.
 */
export function buildPassEncodeArgs(job: PassEncodeJob): string[] {
  const { settings, encoder, clips } = job;
  if (clips.length === 0) throw new Error('a pass needs at least one clip');
  const first = Math.min(...clips.map((c) => c.startFrame));
  const last = Math.max(...clips.map((c) => c.endFrame));
  const span = formatMicros(Math.ceil(((last - first + settings.fps) * 1_000_000) / settings.fps));
  const branches = clips.map((_, i) => `[b${i}]`).join('');
  const graph = [
    `[0:v:0]fps=${settings.fps},split=${clips.length}${branches}`,
    ...clips.map(
      (c, i) =>
        `[b${i}]trim=start_frame=${c.startFrame - first}:end_frame=${c.endFrame - first},setpts=PTS-STARTPTS,${scaleFilter(encoder, settings)}[o${i}]`,
    ),
  ].join(';');
  return [
    ...FFMPEG_COMMON,
    ...clipInputArgs(encoder, first, settings.fps, job.sourcePath, span, job.sourceStartSeconds, job.growing),
    '-filter_complex',
    graph,
    ...clips.flatMap((c, i) => [
      '-map',
      `[o${i}]`,
      ...encoderArgs(encoder, settings),
      ...outputArgs(c.endFrame - c.startFrame, c.outputPath),
    ]),
  ];
}

/** A real one-frame NVENC encode through a CUDA device: what `--encoder auto` trusts. */
export function buildNvencProbeArgs(deviceId: number): string[] {
  return [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    '-init_hw_device',
    `cuda=vs:${deviceId}`,
    '-filter_hw_device',
    'vs',
    '-f',
    'lavfi',
    '-i',
    'color=black:s=256x144:r=30:d=0.1',
    '-vf',
    'format=nv12,hwupload',
    '-frames:v',
    '1',
    '-c:v',
    'hevc_nvenc',
    '-f',
    'null',
    '-',
  ];
}

export function buildSourceProbeArgs(path: string): string[] {
  return [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name,width,height,avg_frame_rate,r_frame_rate,duration,start_time:format=duration,start_time',
    '-of',
    'json',
    path,
  ];
}

/** A raw .hevc has no duration: count its packets (one per frame) instead. */
export function buildClipProbeArgs(path: string): string[] {
  return [
    '-v',
    'error',
    '-count_packets',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_packets,width,height',
    '-of',
    'json',
    path,
  ];
}

/** "30000/1001" → 29.97; undefined when unknown. */
export function parseFrameRate(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const [num, den = '1'] = text.split('/');
  const value = Number(num) / Number(den);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
