// `vstream doctor` on this machine: real tools, clear pass/fail lines, exit codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, tempDir } from '../helpers/e2e.js';

test('passes here, with a line per check and a warning for the missing GPU', async () => {
  const run = await runCli(['doctor', '--work-dir', await tempDir('doctor')]);
  assert.equal(run.code, 0, run.stdout);
  for (const name of ['ffmpeg', 'ffprobe', 'libx265', 'yt-dlp', 'temporal', 'work dir'])
    assert.match(run.stdout, new RegExp(`^ok {4}${name}: `, 'm'));
  assert.match(run.stdout, /^warn {2}GPUs: nvidia-smi lists none/m);
  assert.match(run.stdout, /^ok {4}yt-dlp: \d{4}\.\d{2}\.\d{2} \(\d+ days old\)/m);
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
