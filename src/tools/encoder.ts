import { buildNvencProbeArgs } from '../core/ffmpeg-args.js';
import { encoderProblemLine } from '../core/errors.js';
import type { EncodeTopology, EncoderChoice, EncoderConfig } from '../core/types.js';
import { captureTool } from './process.js';

export class EncoderUnavailableError extends Error {}

export function describeEncoder(encoder: EncoderConfig): string {
  return encoder.kind === 'nvenc' ? `hevc_nvenc (GPU ${encoder.deviceId})` : `libx265 (preset ${encoder.preset})`;
}

/** Runs a real one-frame NVENC encode on the device: null when it works, else why not. */
export async function nvencProblem(ffmpeg: string, deviceId: number): Promise<string | null> {
  const run = await captureTool(ffmpeg, buildNvencProbeArgs(deviceId), { timeoutMs: 30_000 });
  if (run.ok) return null;
  const lines = run.stderr.trim().split('\n').filter(Boolean);
  return encoderProblemLine(lines) ?? lines.at(-1) ?? `ffmpeg exited with code ${run.exitCode}`;
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
    if (choice === 'nvenc')
      throw new EncoderUnavailableError(`NVENC does not work on GPU ${options.deviceId}: ${problem}`);
    if (!(await hasEncoder(options.ffmpeg, 'libx265'))) {
      throw new EncoderUnavailableError(
        `neither NVENC (GPU ${options.deviceId}: ${problem}) nor libx265 is available in ${options.ffmpeg}`,
      );
    }
    return {
      encoder: x265,
      warning: `NVENC is not usable on GPU ${options.deviceId} (${problem}); encoding on the CPU with ${describeEncoder(x265)}`,
    };
  }
  if (!(await hasEncoder(options.ffmpeg, 'libx265')))
    throw new EncoderUnavailableError(`libx265 is not available in ${options.ffmpeg}`);
  return { encoder: x265 };
}

/** Why a host without an NVIDIA driver encodes on the CPU: the same words in `run`, `worker` and `doctor`. */
export const NO_GPU_LISTED = 'nvidia-smi lists none';

/** GPUs nvidia-smi lists (none without an NVIDIA driver). */
export async function listGpus(): Promise<number[]> {
  const run = await captureTool('nvidia-smi', ['--query-gpu=index', '--format=csv,noheader'], {
    timeoutMs: 15_000,
  }).catch(() => null);
  if (!run?.ok) return [];
  return run.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\d+$/.test(line))
    .map(Number);
}

export interface TopologySelection {
  topology: EncodeTopology;
  warnings: string[];
}

/**
 * Which encode queues a host serves. x265: the CPU. nvenc: every GPU given must pass a
 * real NVENC encode. auto: the GPUs that pass; none (or no GPU): the CPU, with a warning.
 */
export async function selectTopology(
  choice: EncoderChoice,
  options: { ffmpeg: string; gpus: number[]; sessionsPerGpu: number; cpuSlots: number; x265Preset: string },
): Promise<TopologySelection> {
  const cpu: EncodeTopology = { kind: 'cpu', slots: options.cpuSlots, preset: options.x265Preset };
  const cpuCheck = async () => {
    if (!(await hasEncoder(options.ffmpeg, 'libx265')))
      throw new EncoderUnavailableError(`libx265 is not available in ${options.ffmpeg}`);
  };
  if (choice === 'x265') {
    await cpuCheck();
    return { topology: cpu, warnings: [] };
  }
  const problems = new Map<number, string>();
  for (const gpu of options.gpus) {
    const problem = await nvencProblem(options.ffmpeg, gpu);
    if (problem) problems.set(gpu, problem);
  }
  const usable = options.gpus.filter((gpu) => !problems.has(gpu));
  const why = [...problems].map(([gpu, problem]) => `GPU ${gpu}: ${problem}`).join('; ');
  if (choice === 'nvenc') {
    if (options.gpus.length === 0)
      throw new EncoderUnavailableError('NVENC asked for, but no GPU is given or listed by nvidia-smi');
    if (problems.size > 0) throw new EncoderUnavailableError(`NVENC does not work on ${why}`);
    return { topology: { kind: 'gpu', devices: usable, sessionsPerGpu: options.sessionsPerGpu }, warnings: [] };
  }
  if (usable.length > 0) {
    return {
      topology: { kind: 'gpu', devices: usable, sessionsPerGpu: options.sessionsPerGpu },
      warnings: problems.size > 0 ? [`NVENC is not usable on ${why}; those GPUs get no encode queue`] : [],
    };
  }
  await cpuCheck();
  const reason = options.gpus.length === 0 ? `no GPU: ${NO_GPU_LISTED}` : why;
  return {
    topology: cpu,
    warnings: [
      `NVENC is not usable (${reason}); encoding on the CPU with ${describeEncoder({ kind: 'x265', preset: options.x265Preset })}`,
    ],
  };
}

export function describeTopology(topology: EncodeTopology): string {
  return topology.kind === 'gpu'
    ? `hevc_nvenc on GPU ${topology.devices.join(', ')} (${topology.sessionsPerGpu} sessions each)`
    : `${describeEncoder({ kind: 'x265', preset: topology.preset })} on the CPU (${topology.slots} at a time)`;
}
