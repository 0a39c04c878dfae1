// Writes bench/gpu/plan.json: the ffmpeg commands the GPU bench (bench/gpu/run.py) runs
// on a device machine, which has Python but no Node. Each encode is vstream's own
// argument array, from the builders in src/core/ffmpeg-args.ts, with placeholders for
// the paths run.py chooses there.
//
//   npm run build && node dist/bench/gpu/plan.js [--out bench/gpu/plan.json]
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { DEFAULT_ENCODE_SETTINGS, RUN_DEFAULTS } from '../../src/config.js';
import { buildClipEncodeArgs, buildNvencProbeArgs } from '../../src/core/ffmpeg-args.js';
import type { EncodeSettings, EncoderConfig } from '../../src/core/types.js';
import { PROJECT_ROOT } from '../../src/tools/project.js';

/** run.py replaces an argument equal to one of these with the path it stands for. */
export const PLACEHOLDERS = {
  source: '@SOURCE@',
  output: '@OUTPUT@',
  clip: '@CLIP@',
  reference: '@REFERENCE@',
} as const;

export const GPU_BENCH_DEFAULTS = {
  /** A 1080p30 H.264 source (what NVDEC decodes), long enough for a steady fps figure. */
  source: { width: 1920, height: 1080, fps: 30, seconds: 20 },
  /** Starts past frame 0, so the clip's seek is part of what is measured. */
  clip: { startFrame: 30, endFrame: 570 },
  nvencSessions: [1, 2, 4, 8],
  /**
   * Average PSNR of the CUDA-path clip against the CPU-path clip. Both encode the same
   * frames with the same x265 settings and differ only in the scaler (scale_cuda's
   * Lanczos on NV12, swscale's on YUV420P). Measured on this source with libx265:
   * bicubic against Lanczos 43.0 dB; one frame apart 26.5; a TV/PC range mix-up 28.0.
   */
  psnrThresholdDb: 35,
} as const;

export interface GpuBenchOptions {
  source: { width: number; height: number; fps: number; seconds: number };
  clip: { startFrame: number; endFrame: number };
  nvencSessions: readonly number[];
  psnrThresholdDb: number;
  settings: EncodeSettings;
  deviceId: number;
  x265Preset: string;
}

export interface GpuBenchPlan extends Omit<GpuBenchOptions, 'nvencSessions'> {
  generatedBy: string;
  placeholders: typeof PLACEHOLDERS;
  nvencSessions: number[];
  /** Each an ffmpeg argument array (the program itself not included). */
  commands: {
    makeSource: string[];
    nvencProbe: string[];
    cudaProbe: string[];
    nvenc: string[];
    x265: string[];
    cudaX265: string[];
    psnr: string[];
  };
}

export function defaultGpuBenchOptions(): GpuBenchOptions {
  return {
    ...GPU_BENCH_DEFAULTS,
    nvencSessions: [...GPU_BENCH_DEFAULTS.nvencSessions],
    settings: { ...DEFAULT_ENCODE_SETTINGS },
    deviceId: RUN_DEFAULTS.deviceId,
    x265Preset: RUN_DEFAULTS.x265Preset,
  };
}

function valueAfter(args: string[], flag: string): string {
  const at = args.indexOf(flag);
  const value = at >= 0 ? args[at + 1] : undefined;
  if (value === undefined) throw new Error(`no ${flag} in ${args.join(' ')}`);
  return value;
}

/**
 * The hybrid vstream does not run yet: NVDEC decode and scale_cuda as in the NVENC
 * command, frames downloaded to system memory, then the CPU command's libx265. Made
 * from the two real commands, so it follows them when they change.
 */
export function cudaDecodeX265Args(nvenc: string[], x265: string[]): string[] {
  if (!nvenc.includes('-hwaccel')) throw new Error(`no -hwaccel in the NVENC command: ${nvenc.join(' ')}`);
  const nvencInput = nvenc.slice(nvenc.indexOf('-hwaccel'), nvenc.indexOf('-i') + 2);
  const x265Input = x265.slice(x265.indexOf('-itsoffset'), x265.indexOf('-i') + 2);
  const cudaFilter = valueAfter(nvenc, '-vf');
  // scale_cuda already wrote NV12; hwdownload keeps it, setsar stays last as in both commands.
  const filter = cudaFilter.replace(/,setsar=1$/, ',hwdownload,format=nv12,setsar=1');
  if (filter === cudaFilter) throw new Error(`unexpected NVENC filter: ${cudaFilter}`);
  const start = x265.indexOf('-itsoffset');
  const withInput = [...x265.slice(0, start), ...nvencInput, ...x265.slice(start + x265Input.length)];
  withInput[withInput.indexOf('-vf') + 1] = filter;
  return withInput;
}

export function buildGpuBenchPlan(options: GpuBenchOptions): GpuBenchPlan {
  const { settings, clip, source } = options;
  const job = { sourcePath: PLACEHOLDERS.source, outputPath: PLACEHOLDERS.output, clip, settings };
  const nvencEncoder: EncoderConfig = { kind: 'nvenc', deviceId: options.deviceId };
  const nvenc = buildClipEncodeArgs({ ...job, encoder: nvencEncoder });
  const x265 = buildClipEncodeArgs({ ...job, encoder: { kind: 'x265', preset: options.x265Preset } });
  const quiet = ['-nostdin', '-hide_banner', '-loglevel', 'error'];
  return {
    ...options,
    generatedBy: 'bench/gpu/plan.ts: npm run build && node dist/bench/gpu/plan.js',
    placeholders: PLACEHOLDERS,
    nvencSessions: [...options.nvencSessions],
    commands: {
      makeSource: [
        ...quiet,
        '-y',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=${source.width}x${source.height}:rate=${source.fps}:duration=${source.seconds}`,
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-pix_fmt',
        'yuv420p',
        '-g',
        String(2 * source.fps),
        '-movflags',
        '+faststart',
        PLACEHOLDERS.output,
      ],
      nvencProbe: buildNvencProbeArgs(options.deviceId),
      // A CUDA device, an upload, scale_cuda and a download: the GPU half of cudaX265 without NVDEC.
      cudaProbe: [
        ...quiet,
        '-init_hw_device',
        `cuda=vs:${options.deviceId}`,
        '-filter_hw_device',
        'vs',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=256x144:rate=30:duration=0.1',
        '-vf',
        'format=nv12,hwupload,scale_cuda=128:72:interp_algo=lanczos,hwdownload,format=nv12',
        '-frames:v',
        '1',
        '-f',
        'null',
        '-',
      ],
      nvenc,
      x265,
      cudaX265: cudaDecodeX265Args(nvenc, x265),
      // Info level: the psnr filter prints its summary there.
      psnr: [
        '-nostdin',
        '-hide_banner',
        '-i',
        PLACEHOLDERS.clip,
        '-i',
        PLACEHOLDERS.reference,
        '-lavfi',
        '[0:v][1:v]psnr',
        '-f',
        'null',
        '-',
      ],
    },
  };
}

export const PLAN_PATH = join(PROJECT_ROOT, 'bench', 'gpu', 'plan.json');

export function planJson(plan: GpuBenchPlan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: PLAN_PATH } } });
  const out = values.out as string;
  await writeFile(out, planJson(buildGpuBenchPlan(defaultGpuBenchOptions())));
  console.log(`wrote ${out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
