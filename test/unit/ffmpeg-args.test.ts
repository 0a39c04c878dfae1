import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_ENCODE_SETTINGS } from '../../src/config.js';
import {
  buildClipEncodeArgs,
  buildClipProbeArgs,
  buildNvencProbeArgs,
  buildPassEncodeArgs,
  clipSeekSeconds,
  parseFrameRate,
} from '../../src/core/ffmpeg-args.js';
import type { EncoderConfig } from '../../src/core/types.js';

const settings = { ...DEFAULT_ENCODE_SETTINGS };

describe('clipSeekSeconds', () => {
  test('rounds down to the microsecond so the frame at start/fps is kept', () => {
    assert.equal(clipSeekSeconds(0, 30), '0.000000');
    assert.equal(clipSeekSeconds(1, 30), '0.033333');
    assert.equal(clipSeekSeconds(2, 30), '0.066666');
    assert.equal(clipSeekSeconds(21750, 30), '725.000000');
    assert.equal(clipSeekSeconds(9999999, 30), '333333.300000');
  });

  test('in a section, relative to its first timestamp (kept from the source)', () => {
    assert.equal(clipSeekSeconds(330, 30, 10.4), '0.600000');
    assert.equal(clipSeekSeconds(45, 30, 1), '0.500000');
    assert.equal(clipSeekSeconds(30, 30, 1), '0.000000');
  });
});

describe('buildClipEncodeArgs', () => {
  const clip = { startFrame: 21750, endFrame: 23550 };

  test('x265: exact argument list', () => {
    const args = buildClipEncodeArgs({
      sourcePath: '/work/b/-vid/source.mp4',
      outputPath: '/out/-vid/-vid_0021750_0023550.hevc.abc.vstream-tmp',
      clip,
      settings,
      encoder: { kind: 'x265', preset: 'fast' },
    });
    assert.deepEqual(args, [
      '-nostdin',
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostats',
      '-progress',
      'pipe:1',
      '-y',
      '-itsoffset',
      '0.001',
      '-ss',
      '725.000000',
      '-i',
      '/work/b/-vid/source.mp4',
      '-map',
      '0:v:0',
      '-an',
      '-sn',
      '-dn',
      '-vf',
      'fps=30,scale=1280:720:flags=lanczos,setsar=1,format=yuv420p',
      '-c:v',
      'libx265',
      '-preset',
      'fast',
      '-b:v',
      '4000k',
      '-maxrate',
      '4000k',
      '-bufsize',
      '8000k',
      '-g',
      '240',
      '-x265-params',
      'log-level=error',
      '-frames:v',
      '1800',
      '-color_primaries',
      'bt709',
      '-color_trc',
      'bt709',
      '-colorspace',
      'bt709',
      '-f',
      'hevc',
      '/out/-vid/-vid_0021750_0023550.hevc.abc.vstream-tmp',
    ]);
  });

  test('nvenc: full-GPU pipeline on the chosen device, with the original settings', () => {
    const args = buildClipEncodeArgs({
      sourcePath: '/src.mp4',
      outputPath: '/out.hevc',
      clip,
      settings,
      encoder: { kind: 'nvenc', deviceId: 3 },
    });
    assert.deepEqual(args, [
      '-nostdin',
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostats',
      '-progress',
      'pipe:1',
      '-y',
      '-hwaccel',
      'cuda',
      '-hwaccel_output_format',
      'cuda',
      '-hwaccel_device',
      '3',
      '-itsoffset',
      '0.001',
      '-ss',
      '725.000000',
      '-i',
      '/src.mp4',
      '-map',
      '0:v:0',
      '-an',
      '-sn',
      '-dn',
      '-vf',
      'fps=30,scale_cuda=1280:720:interp_algo=lanczos:format=nv12,setsar=1',
      '-c:v',
      'hevc_nvenc',
      '-preset',
      'p7',
      '-tune',
      'hq',
      '-rc',
      'vbr',
      '-b:v',
      '4000k',
      '-maxrate',
      '4000k',
      '-bufsize',
      '8000k',
      '-g',
      '240',
      '-spatial_aq',
      '1',
      '-temporal_aq',
      '1',
      '-frames:v',
      '1800',
      '-color_primaries',
      'bt709',
      '-color_trc',
      'bt709',
      '-colorspace',
      'bt709',
      '-f',
      'hevc',
      '/out.hevc',
    ]);
    // -gpu is ignored for frames already on the GPU: the device must come from -hwaccel_device.
    assert.ok(!args.includes('-gpu'));
  });

  test('a clip at frame 0 has no seek; size and rate follow the settings', () => {
    const args = buildClipEncodeArgs({
      sourcePath: '/s.mp4',
      outputPath: '/o.hevc',
      clip: { startFrame: 0, endFrame: 48 },
      settings: { ...settings, width: 640, height: 360, fps: 24 },
      encoder: { kind: 'x265', preset: 'ultrafast' },
    });
    assert.ok(!args.includes('-ss'));
    assert.equal(args[args.indexOf('-vf') + 1], 'fps=24,scale=640:360:flags=lanczos,setsar=1,format=yuv420p');
    assert.equal(args[args.indexOf('-frames:v') + 1], '48');
  });
});

test('NVENC probe is a real one-frame encode through the chosen CUDA device', () => {
  const args = buildNvencProbeArgs(1);
  assert.equal(args[args.indexOf('-init_hw_device') + 1], 'cuda=vs:1');
  assert.equal(args[args.indexOf('-c:v') + 1], 'hevc_nvenc');
  assert.equal(args[args.indexOf('-frames:v') + 1], '1');
});

test('clip probe counts packets', () => {
  assert.ok(buildClipProbeArgs('/x.hevc').includes('-count_packets'));
});

test('parseFrameRate', () => {
  assert.equal(parseFrameRate('30/1'), 30);
  assert.ok(Math.abs((parseFrameRate('30000/1001') ?? 0) - 29.97) < 0.001);
  assert.equal(parseFrameRate('0/0'), undefined);
  assert.equal(parseFrameRate(undefined), undefined);
});

describe('buildPassEncodeArgs', () => {
  const clips = [
    { startFrame: 300, endFrame: 360, outputPath: '/o/a.hevc' },
    { startFrame: 330, endFrame: 390, outputPath: '/o/b.hevc' },
  ];

  test('x265: one seek, fps then split, trim by frame index per clip, one output each', () => {
    const args = buildPassEncodeArgs({
      sourcePath: '/s.mp4',
      clips,
      settings,
      encoder: { kind: 'x265', preset: 'fast' },
    });
    assert.deepEqual(args.slice(8, 16), ['-itsoffset', '0.001', '-ss', '10.000000', '-t', '4.000000', '-i', '/s.mp4']);
    assert.equal(
      args[args.indexOf('-filter_complex') + 1],
      '[0:v:0]fps=30,split=2[b0][b1];' +
        '[b0]trim=start_frame=0:end_frame=60,setpts=PTS-STARTPTS,scale=1280:720:flags=lanczos,setsar=1,format=yuv420p[o0];' +
        '[b1]trim=start_frame=30:end_frame=90,setpts=PTS-STARTPTS,scale=1280:720:flags=lanczos,setsar=1,format=yuv420p[o1]',
    );
    const second = args.slice(args.indexOf('[o1]') - 1);
    assert.deepEqual(second.slice(0, 4), ['-map', '[o1]', '-c:v', 'libx265']);
    assert.deepEqual(args.slice(-2), ['hevc', '/o/b.hevc']);
    assert.equal(args.filter((a) => a === '-frames:v').length, 2);
  });

  test('nvenc: decode, split, trim and scale on the GPU; one NVENC session per clip', () => {
    const args = buildPassEncodeArgs({
      sourcePath: '/s.mp4',
      clips,
      settings,
      encoder: { kind: 'nvenc', deviceId: 1 },
    });
    assert.deepEqual(args.slice(8, 14), ['-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda', '-hwaccel_device', '1']);
    assert.match(
      args[args.indexOf('-filter_complex') + 1] ?? '',
      /\[b1\]trim=start_frame=30:end_frame=90,setpts=PTS-STARTPTS,scale_cuda=1280:720:interp_algo=lanczos:format=nv12,setsar=1\[o1\]/,
    );
    assert.equal(args.filter((a) => a === 'hevc_nvenc').length, 2);
    assert.ok(!args.includes('-gpu'));
  });
});

describe('a source still downloading', () => {
  test('a pass follows the growing file and gives up after the read timeout; the finished file is read plainly', () => {
    const job = {
      sourcePath: '/proc/7/fd/21',
      clips: [{ startFrame: 0, endFrame: 60, outputPath: '/o/a.hevc' }],
      settings,
      encoder: { kind: 'x265', preset: 'fast' } as const,
    };
    const growing = buildPassEncodeArgs({ ...job, growing: { readTimeoutSeconds: 60 } });
    assert.deepEqual(growing.slice(8, 16), [
      '-itsoffset',
      '0.001',
      '-t',
      '3.000000',
      '-follow',
      '1',
      '-rw_timeout',
      '60000000',
    ]);
    assert.deepEqual(growing.slice(16, 18), ['-i', '/proc/7/fd/21']);
    assert.ok(!buildPassEncodeArgs(job).includes('-follow'));
  });

  test('a clip on its own follows it too, on the GPU after the decode options', () => {
    const args = buildClipEncodeArgs({
      sourcePath: '/proc/7/fd/21',
      outputPath: '/o/a.hevc',
      clip: { startFrame: 30, endFrame: 90 },
      settings,
      encoder: { kind: 'nvenc', deviceId: 0 },
      growing: { readTimeoutSeconds: 5 },
    });
    const input = args.indexOf('-i');
    assert.deepEqual(args.slice(input - 4, input + 2), [
      '-follow',
      '1',
      '-rw_timeout',
      '5000000',
      '-i',
      '/proc/7/fd/21',
    ]);
    assert.ok(args.indexOf('-hwaccel') < input - 4);
  });
});

describe('rate control: capped CRF for libx265, the original VBR for NVENC', () => {
  const clip = { startFrame: 0, endFrame: 30 };
  const job = (crf: number | undefined, encoder: EncoderConfig) =>
    buildClipEncodeArgs({
      sourcePath: '/s.mp4',
      outputPath: '/o.hevc',
      clip,
      settings: crf === undefined ? settings : { ...settings, crf },
      encoder,
    });
  const encoderPart = (args: string[]) => args.slice(args.indexOf('-c:v'), args.indexOf('-frames:v'));
  const x265 = { kind: 'x265', preset: 'fast' } as const;
  const nvenc = { kind: 'nvenc', deviceId: 0 } as const;

  // Without crf, x265 gets today's ABR arguments: 'x265: exact argument list' above.
  test('x265 with crf: -crf, the GOP, VBV in x265-params, no bitrate target', () => {
    assert.deepEqual(encoderPart(job(23, x265)), [
      '-c:v',
      'libx265',
      '-preset',
      'fast',
      '-crf',
      '23',
      '-g',
      '240',
      '-x265-params',
      'vbv-maxrate=4000:vbv-bufsize=8000:log-level=error',
    ]);
  });

  test('the VBV cap follows maxrate and bufsize', () => {
    const args = buildClipEncodeArgs({
      sourcePath: '/s.mp4',
      outputPath: '/o.hevc',
      clip,
      settings: { ...settings, crf: 28, maxrateKbps: 2500, bufsizeKbits: 5000 },
      encoder: x265,
    });
    assert.equal(args[args.indexOf('-x265-params') + 1], 'vbv-maxrate=2500:vbv-bufsize=5000:log-level=error');
  });

  test("nvenc ignores crf: the original's VBR whatever it says", () => {
    assert.deepEqual(job(23, nvenc), job(undefined, nvenc));
    assert.ok(!job(23, nvenc).includes('-crf'));
  });

  test('a pass gives every clip the same capped CRF arguments', () => {
    const args = buildPassEncodeArgs({
      sourcePath: '/s.mp4',
      clips: [
        { startFrame: 0, endFrame: 30, outputPath: '/o/a.hevc' },
        { startFrame: 60, endFrame: 90, outputPath: '/o/b.hevc' },
      ],
      settings: { ...settings, crf: 26 },
      encoder: x265,
    });
    assert.equal(args.filter((a) => a === '-crf').length, 2);
    assert.equal(args.filter((a) => a === 'vbv-maxrate=4000:vbv-bufsize=8000:log-level=error').length, 2);
    assert.ok(!args.includes('-b:v'));
  });
});
