// `vstream doctor` on this machine: real tools, clear pass/fail lines, exit codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveMediaTools } from '../../src/tools/binaries.js';
import { listGpus, NO_GPU_LISTED, selectTopology } from '../../src/tools/encoder.js';
import { runCli, tempDir } from '../helpers/e2e.js';

test('passes here, with a line per check and a warning for the missing GPU', async () => {
  const run = await runCli(['doctor', '--work-dir', await tempDir('doctor')]);
  assert.equal(run.code, 0, run.stdout);
  for (const name of ['ffmpeg', 'ffprobe', 'libx265', 'yt-dlp', 'temporal', 'work dir'])
    assert.match(run.stdout, new RegExp(`^ok {4}${name}: `, 'm'));
  assert.match(run.stdout, new RegExp(`^warn {2}GPUs: ${NO_GPU_LISTED}: encoding on the CPU`, 'm'));
  assert.match(run.stdout, /^ok {4}yt-dlp: \d{4}\.\d{2}\.\d{2} \(\d+ days old\)/m);
  assert.match(run.stdout, /^ok {4}yt-dlp runs: forked from a warm yt-dlp process$/m);
});

test('says when downloads run yt-dlp as a process each', async () => {
  const off = await runCli(['doctor', '--work-dir', await tempDir('doctor')], { VSTREAM_YTDLP_WARM: '0' });
  assert.match(off.stdout, /^ok {4}yt-dlp runs: a process per download \(VSTREAM_YTDLP_WARM=0\)$/m);
});

test('fails (exit 1) when a required tool or the server is missing', async () => {
  const run = await runCli(['doctor', '--work-dir', await tempDir('doctor'), '--temporal-address', '127.0.0.1:9'], {
    VSTREAM_YTDLP_BIN: '/nonexistent/yt-dlp',
  });
  assert.equal(run.code, 1);
  assert.match(run.stdout, /^FAIL {2}yt-dlp: VSTREAM_YTDLP_BIN=\/nonexistent\/yt-dlp is not an executable file/m);
  assert.match(run.stdout, /^FAIL {2}Temporal server: 127\.0\.0\.1:9 does not answer/m);
  assert.match(run.stdout, /something required is missing/);
});

test('run and worker say why they encode on the CPU in doctor’s words when no GPU is listed', async () => {
  // This machine has no NVIDIA driver: nvidia-smi lists nothing (or is missing).
  assert.deepEqual(await listGpus(), []);
  const selection = await selectTopology('auto', {
    ffmpeg: resolveMediaTools().ffmpeg,
    gpus: [],
    sessionsPerGpu: 2,
    cpuSlots: 2,
    x265Preset: 'fast',
  });
  assert.equal(selection.topology.kind, 'cpu');
  assert.deepEqual(selection.warnings, [
    `NVENC is not usable (no GPU: ${NO_GPU_LISTED}); encoding on the CPU with libx265 (preset fast)`,
  ]);
});
