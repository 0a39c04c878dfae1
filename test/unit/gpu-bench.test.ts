// The GPU bench's plan (bench/gpu/plan.ts): its commands are vstream's own, and the
// committed plan.json is what the builders write today. Then bench/gpu/run.py, run here
// with the real ffmpeg on a small plan: without a GPU it writes "not available" for
// NVENC and CUDA, still measures the CPU path, and exits 0; with a stand-in for a GPU
// ffmpeg (CPU filters and libx265 in place of CUDA and NVENC) it takes the GPU branches.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { execa } from 'execa';
import {
  buildGpuBenchPlan,
  cudaDecodeX265Args,
  defaultGpuBenchOptions,
  PLACEHOLDERS,
  PLAN_PATH,
  planJson,
} from '../../bench/gpu/plan.js';
import { DEFAULT_ENCODE_SETTINGS, RUN_DEFAULTS } from '../../src/config.js';
import { buildClipEncodeArgs, buildNvencProbeArgs } from '../../src/core/ffmpeg-args.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { tempDir } from '../helpers/e2e.js';
import { ROOT } from '../helpers/paths.js';

const plan = buildGpuBenchPlan(defaultGpuBenchOptions());
const job = {
  sourcePath: PLACEHOLDERS.source,
  outputPath: PLACEHOLDERS.output,
  clip: plan.clip,
  settings: { ...DEFAULT_ENCODE_SETTINGS },
};

describe('GPU bench plan', () => {
  test('the encodes are the builders’ own arguments, with the defaults vstream runs', () => {
    assert.deepEqual(plan.commands.nvenc, buildClipEncodeArgs({ ...job, encoder: { kind: 'nvenc', deviceId: 0 } }));
    assert.deepEqual(
      plan.commands.x265,
      buildClipEncodeArgs({ ...job, encoder: { kind: 'x265', preset: RUN_DEFAULTS.x265Preset } }),
    );
    assert.deepEqual(plan.commands.nvencProbe, buildNvencProbeArgs(RUN_DEFAULTS.deviceId));
  });

  test('the CUDA path decodes and scales as the NVENC command, then encodes as the x265 command', () => {
    const { nvenc, x265, cudaX265 } = plan.commands;
    const vf = (args: string[]) => args[args.indexOf('-vf') + 1];
    assert.equal(
      vf(cudaX265),
      'fps=30,scale_cuda=1280:720:interp_algo=lanczos:format=nv12,hwdownload,format=nv12,setsar=1',
    );
    const hw = nvenc.slice(nvenc.indexOf('-hwaccel'), nvenc.indexOf('-itsoffset'));
    assert.deepEqual(hw, ['-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda', '-hwaccel_device', '0']);
    // Without its hwaccel flags and filter, it is the x265 command argument for argument.
    const withoutHw = cudaX265.filter(
      (_, i) => i < cudaX265.indexOf('-hwaccel') || i >= cudaX265.indexOf('-itsoffset'),
    );
    assert.deepEqual(
      withoutHw.map((arg, i) => (i === withoutHw.indexOf('-vf') + 1 ? vf(x265) : arg)),
      x265,
    );
    assert.throws(() => cudaDecodeX265Args(x265, x265), /-hwaccel|filter/);
  });

  test('bench/gpu/plan.json is what plan.ts writes (regenerate: node dist/bench/gpu/plan.js)', async () => {
    assert.equal(await readFile(PLAN_PATH, 'utf8'), planJson(plan));
  });
});

/** run.py on a small plan (320x180 clips of 20 frames) with the given ffmpeg; its results. */
async function runBench(dir: string, ffmpeg: string, env: NodeJS.ProcessEnv = {}) {
  const small = buildGpuBenchPlan({
    ...defaultGpuBenchOptions(),
    source: { width: 640, height: 360, fps: 30, seconds: 1 },
    clip: { startFrame: 3, endFrame: 23 },
    settings: { ...DEFAULT_ENCODE_SETTINGS, width: 320, height: 180 },
    x265Preset: 'ultrafast',
  });
  await writeFile(join(dir, 'plan.json'), planJson(small));
  const out = join(dir, 'out');
  const run = await execa(
    'python3',
    [join(ROOT, 'bench/gpu/run.py'), '--plan', join(dir, 'plan.json'), '--ffmpeg', ffmpeg, '--out', out],
    { reject: false, env },
  );
  assert.equal(run.exitCode, 0, run.stderr);
  return {
    results: JSON.parse(await readFile(join(out, 'results.json'), 'utf8')),
    md: await readFile(join(out, 'results.md'), 'utf8'),
  };
}

describe('bench/gpu/run.py', { skip: existsSync('/dev/nvidia0') && 'this machine has a GPU' }, () => {
  const realFfmpeg = resolveTool('ffmpeg');
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('gpu-bench');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('without a GPU: "not available" for NVENC and CUDA, the CPU path measured, exit 0', async () => {
    const { results, md } = await runBench(dir, realFfmpeg);
    assert.equal(results.source.ok, true);
    assert.equal(results.nvenc.available, false);
    assert.match(results.nvenc.reason, /\S/);
    assert.deepEqual(results.nvenc.sessions, {});
    assert.equal(results.cuda_x265.available, false);
    assert.match(results.cuda_x265.reason, /\S/);
    assert.equal(results.cpu_x265.ok, true);
    assert.equal(results.cpu_x265.frames, 20);
    assert.ok(results.cpu_x265.fps > 0);
    assert.equal(results.psnr, undefined);
    assert.match(md, /^NVENC: not available on this card \(.+\)$/m);
    assert.match(md, /CUDA decode: not available \(.+\)/);
    assert.match(md, /\| CPU: decode, swscale, libx265 \| [\d.]+ \|.*\| 20 \| ok \|/);
  });

  test('with a stand-in for a card with NVENC: sessions 1 to 8, the CUDA path and its PSNR', async () => {
    const standIn = join(ROOT, 'test/fixtures/gpu-stand-in-ffmpeg.mjs');
    const { results, md } = await runBench(dir, standIn, { VSTREAM_REAL_FFMPEG: realFfmpeg });
    assert.equal(results.nvenc.available, true);
    assert.deepEqual(Object.keys(results.nvenc.sessions), ['1', '2', '4', '8']);
    for (const [sessions, run] of Object.entries<Record<string, number | boolean>>(results.nvenc.sessions)) {
      assert.equal(run.ok, true, sessions);
      assert.equal(run.frames, 20);
      assert.ok(Number(run.fps) > 0);
      assert.equal('fps_per_session' in run, sessions !== '1');
    }
    assert.equal(results.cuda_x265.available, true);
    assert.equal(results.cuda_x265.ok, true);
    assert.equal(results.cuda_x265.frames, 20);
    assert.equal(results.psnr.ok, true);
    assert.ok(results.psnr.average_db >= 35, String(results.psnr.average_db));
    assert.equal(results.psnr.passed, true);
    assert.match(md, /^\| 8 \| [\d.]+ \| [\d.]+ \|.*\| 20 \| ok \|$/m);
    assert.match(md, /threshold 35 dB: pass$/m);
  });
});
