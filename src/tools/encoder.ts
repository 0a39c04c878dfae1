import { buildNvencProbeArgs } from '../core/ffmpeg-args.js';
import type { EncoderChoice, EncoderConfig } from '../core/types.js';
import { captureTool } from './process.js';

export class EncoderUnavailableError extends Error {}

export function describeEncoder(encoder: EncoderConfig): string {
  return encoder.kind === 'nvenc' ? `hevc_nvenc (GPU ${encoder.deviceId})` : `libx265 (preset ${encoder.preset})`;
}

/** Runs a real one-frame NVENC encode on the device: null when it works, else why not. */
export async function nvencProblem(ffmpeg: string, deviceId: number): Promise<string | null> {
  const run = await captureTool(ffmpeg, buildNvencProbeArgs(deviceId), { timeoutMs: 30_000 });
  if (run.ok) return null;
  return run.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `ffmpeg exited with code ${run.exitCode}`;
}

async function hasEncoder(ffmpeg: string, name: string): Promise<boolean> {
  const run = await captureTool(ffmpeg, ['-hide_banner', '-encoders'], { timeoutMs: 30_000 });
  return run.ok && run.stdout.split('\n').some((line) => line.trim().split(/\s+/)[1] === name);
}

export interface EncoderSelection {
  encoder: EncoderConfig;
  /** Set when auto fell back to the CPU encoder. */
  warning?: string;
}

/**
 * nvenc and x265 are checked and refused when unusable; auto takes NVENC only when
 * a real encode works on the device, else libx265 with a warning.
 */
export async function selectEncoder(
  choice: EncoderChoice,
  options: { ffmpeg: string; deviceId: number; x265Preset: string },
): Promise<EncoderSelection> {
  const x265: EncoderConfig = { kind: 'x265', preset: options.x265Preset };
  if (choice !== 'x265') {
    const problem = await nvencProblem(options.ffmpeg, options.deviceId);
    if (!problem) return { encoder: { kind: 'nvenc', deviceId: options.deviceId } };
    if (choice === 'nvenc') throw new EncoderUnavailableError(`NVENC does not work on GPU ${options.deviceId}: ${problem}`);
    if (!(await hasEncoder(options.ffmpeg, 'libx265'))) {
      throw new EncoderUnavailableError(`neither NVENC (GPU ${options.deviceId}: ${problem}) nor libx265 is available in ${options.ffmpeg}`);
    }
    return {
      encoder: x265,
      warning: `NVENC is not usable on GPU ${options.deviceId} (${problem}); encoding on the CPU with ${describeEncoder(x265)}`,
    };
  }
  if (!(await hasEncoder(options.ffmpeg, 'libx265'))) throw new EncoderUnavailableError(`libx265 is not available in ${options.ffmpeg}`);
  return { encoder: x265 };
}
