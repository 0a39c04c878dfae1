// Sample sources made by ffmpeg. "index" sources carry their own frame number in
// three flat luma bands (N mod 16, N/16 mod 16, N/256 mod 16), which survive
// scaling and compression, so a clip's frames can be checked, not only counted.
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface SampleSpec {
  name: string;
  width: number;
  height: number;
  fps: number;
  seconds: number;
  /** index: frame-numbered bands; noise: detailed moving picture with a realistic bitrate. */
  pattern: 'index' | 'noise';
  /** Keyframe interval in frames (default 2 s). */
  gop?: number;
  /** mp4 with H.264 (default) or WebM with VP9 (no edit lists: a test of exact cuts). */
  container?: 'mp4' | 'webm';
}

const BAND_LEVEL_STEP = 14;
const BAND_BASE = 16;
const PROBE_W = 48;
const PROBE_H = 27;

function indexFilter(spec: SampleSpec): string {
  const level = (expr: string) => `${BAND_BASE}+${BAND_LEVEL_STEP}*mod(${expr},16)`;
  const lum = `if(lt(X,W/3),${level('N')},if(lt(X,2*W/3),${level('floor(N/16)')},${level('floor(N/256)')}))`;
  return `geq=lum='${lum}':cb=128:cr=128,scale=${spec.width}:${spec.height}:flags=neighbor,format=yuv420p`;
}

/** Writes `<dir>/<name>.mp4` (H.264) or `.webm` (VP9) and returns its path. */
export async function generateSample(ffmpeg: string, dir: string, spec: SampleSpec): Promise<string> {
  await mkdir(dir, { recursive: true });
  const webm = spec.container === 'webm';
  const path = join(dir, `${spec.name}.${webm ? 'webm' : 'mp4'}`);
  const gop = String(spec.gop ?? spec.fps * 2);
  const input =
    spec.pattern === 'index'
      ? [
          '-f',
          'lavfi',
          '-i',
          `color=black:s=${PROBE_W}x${PROBE_H}:r=${spec.fps}:d=${spec.seconds},format=gray`,
          '-vf',
          indexFilter(spec),
        ]
      : [
          '-f',
          'lavfi',
          '-i',
          `testsrc2=s=${spec.width}x${spec.height}:r=${spec.fps}:d=${spec.seconds}`,
          '-vf',
          'noise=alls=6:allf=t,format=yuv420p',
        ];
  // noise: about what YouTube serves for 1080p H.264 (6 Mbit/s), so downloads take real time.
  const quality =
    spec.pattern === 'index'
      ? ['-preset', 'ultrafast']
      : ['-preset', 'veryfast', '-b:v', '6M', '-maxrate', '6M', '-bufsize', '12M'];
  const codec = webm
    ? [
        '-c:v',
        'libvpx-vp9',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
        '-row-mt',
        '1',
        '-b:v',
        spec.pattern === 'index' ? '1M' : '6M',
      ]
    : ['-c:v', 'libx264', ...quality, '-movflags', '+faststart'];
  // Written beside, then renamed: a generation cut short (Ctrl-C) never leaves a short source to be reused.
  const partial = `${path}.partial`;
  const format = ['-f', webm ? 'webm' : 'mp4'];
  await execa(ffmpeg, [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    ...input,
    ...codec,
    '-g',
    gop,
    ...format,
    partial,
  ]);
  await rename(partial, path);
  return path;
}

const FRAME_BYTES = PROBE_W * PROBE_H;

/** The frame number an index source drew into one gray PROBE_W x PROBE_H frame. */
function decodeIndex(pixels: Uint8Array): number {
  const band = (i: number) => {
    let sum = 0;
    let count = 0;
    for (let y = 8; y < 19; y++) {
      for (let x = i * 16 + 4; x < i * 16 + 12; x++) {
        sum += pixels[y * PROBE_W + x] ?? 0;
        count++;
      }
    }
    return Math.max(0, Math.round((sum / count - BAND_BASE) / BAND_LEVEL_STEP));
  };
  return band(0) + 16 * band(1) + 256 * band(2);
}

async function grayFrames(ffmpeg: string, path: string, select: string[], frames: string[]): Promise<Uint8Array> {
  const { stdout } = await execa(
    ffmpeg,
    [
      '-nostdin',
      '-v',
      'error',
      '-i',
      path,
      '-vf',
      [...select, `scale=${PROBE_W}:${PROBE_H}:flags=area,format=gray`].join(','),
      ...frames,
      '-f',
      'rawvideo',
      '-',
    ],
    { encoding: 'buffer', stripFinalNewline: false },
  );
  return stdout as Uint8Array;
}

/** Reads the frame number an index source drew into frame `n` (0-based) of a video file. */
export async function readFrameIndex(ffmpeg: string, path: string, n: number): Promise<number> {
  const pixels = await grayFrames(ffmpeg, path, [`select=eq(n\\,${n})`], ['-frames:v', '1']);
  if (pixels.length < FRAME_BYTES) throw new Error(`${path} has no frame ${n}`);
  return decodeIndex(pixels);
}

/** The frame numbers drawn into every frame of a video file, in one decode. */
export async function readFrameIndices(ffmpeg: string, path: string): Promise<number[]> {
  const pixels = await grayFrames(ffmpeg, path, [], []);
  const indices: number[] = [];
  for (let offset = 0; offset + FRAME_BYTES <= pixels.length; offset += FRAME_BYTES)
    indices.push(decodeIndex(pixels.subarray(offset, offset + FRAME_BYTES)));
  return indices;
}

/** The source frame that output frame `k` should show: the one at k / outFps seconds. */
export function expectedSourceFrame(outputFrame: number, outFps: number, sourceFps: number): number {
  return Math.round((outputFrame / outFps) * sourceFps);
}
