// libx265 rate control by measurement: ABR at 4 Mbit/s (the original's reading, vstream's
// exact arguments) against capped CRF (CRF N, VBV 4 Mbit/s / 8 Mbit), on generated
// 1080p30 H.264 sources that look like footage: a slow pan/zoom over a detailed still,
// foliage/water-like texture in motion, and an easy talking-head-like shot. Per rate
// control: PSNR and SSIM against the source scaled as vstream scales it, bytes, bitrate,
// and the CPU seconds of the encoding ffmpeg (user + sys).
//
//   npm run bench:rate -- [--frames 120] [--kinds pan,motion,easy] [--clips 2]
//                         [--crf 20,23,26,28] [--preset fast]
//
// Sources are generated once under bench-out/rate-control/sources; the table is printed
// and written to bench-out/rate-control/results.json.
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { DEFAULT_ENCODE_SETTINGS } from '../src/config.js';
import { buildClipEncodeArgs } from '../src/core/ffmpeg-args.js';
import type { EncodeSettings } from '../src/core/types.js';
import { PROJECT_ROOT } from '../src/tools/project.js';
import { measure, tools } from './loop-batches.js';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '120' },
    kinds: { type: 'string', default: 'pan,motion,easy' },
    clips: { type: 'string', default: '2' },
    crf: { type: 'string', default: '20,23,26,28' },
    preset: { type: 'string', default: 'fast' },
  },
});
const FRAMES = Number(values.frames);
const CLIPS_PER_KIND = Number(values.clips);
const PRESET = values.preset as string;
const BENCH_DIR = join(PROJECT_ROOT, 'bench-out', 'rate-control');
const SOURCES = join(BENCH_DIR, 'sources');
const settings: EncodeSettings = { ...DEFAULT_ENCODE_SETTINGS };
const { fps, width, height } = settings;

type Kind = 'pan' | 'motion' | 'easy';
const KINDS: Record<Kind, string> = {
  pan: 'slow camera pan and zoom over a detailed still, with grain',
  motion: 'foliage/water-like texture: a swaying layer over a drifting one, with grain',
  easy: 'talking-head-like: static background, one small moving region, light grain',
};

async function ffmpeg(args: string[]) {
  return execa(tools.ffmpeg, ['-nostdin', '-hide_banner', '-y', ...args]);
}

/** Large stills the clips are cut from: fractal detail with texture, leaf-like noise, a soft backdrop. */
async function makeStills(): Promise<Record<string, string>> {
  const blobs = (color: string, size: string, seed: number, sigma: number) =>
    `color=c=${color}:s=${size},noise=alls=100:all_seed=${seed},gblur=sigma=${sigma},eq=contrast=1.7:saturation=1.5,` +
    `scale=2400:1400:flags=bicubic,noise=alls=20:all_seed=${seed + 1}`;
  const stills = {
    detail:
      'mandelbrot=s=2880x1620:start_scale=0.01:start_x=-0.7435669:start_y=0.1314023:maxiter=800,format=rgb24[m];' +
      'color=c=0x808080:s=720x405,noise=alls=100:all_seed=3,gblur=sigma=1,scale=2880:1620:flags=bicubic,format=rgb24[t];' +
      '[m][t]blend=all_mode=overlay:all_opacity=0.6,noise=alls=14:all_seed=7',
    leavesA: blobs('0x3a6a2a', '600x350', 11, 1.2),
    leavesB: blobs('0x2a5a7a', '800x467', 23, 1.5),
    backdrop:
      'color=c=0x8a7a66:s=480x270,noise=alls=40:all_seed=5,gblur=sigma=4,scale=1920:1080:flags=bicubic,vignette=PI/4',
  };
  const paths: Record<string, string> = {};
  for (const [name, graph] of Object.entries(stills)) {
    const path = join(SOURCES, `${name}.png`);
    paths[name] = path;
    if (await exists(path)) continue;
    await ffmpeg(['-loglevel', 'error', '-filter_complex', graph, '-frames:v', '1', path]);
  }
  return paths;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** The filter graph of clip `variant` of a kind, over its looped still(s). */
function clipGraph(kind: Kind, variant: number): { stills: string[]; graph: string } {
  const grain = (strength: number) => `noise=alls=${strength}:allf=t+u:all_seed=${variant + 1}`;
  const sign = variant % 2 === 0 ? 1 : -1;
  switch (kind) {
    case 'pan': {
      // zoompan: zoom slowly in (or out) while drifting, as a camera over a scene.
      const zoom = `1.3+${sign * 0.0015}*in`;
      const x = `iw/2-iw/zoom/2+${sign * 1.7}*in`;
      const y = `ih/2-ih/zoom/2+${0.6 + variant * 0.3}*in`;
      return {
        stills: ['detail'],
        graph: `[0:v]zoompan=z='${zoom}':x='${x}':y='${y}':d=1:s=1920x1080:fps=${fps},${grain(5)},format=yuv420p[v]`,
      };
    }
    case 'motion': {
      const sway = `${0.05 + 0.03 * variant}*sin(2*PI*t/${1.5 + variant})`;
      return {
        stills: [variant % 2 === 0 ? 'leavesA' : 'leavesB', 'leavesB'],
        graph:
          `[0:v]rotate=a='${sway}':ow=1920:oh=1080[sway];` +
          `[1:v]crop=1920:1080:x='200+${sign * 180}*t':y='150+50*sin(3*t)'[drift];` +
          `[sway][drift]blend=all_mode=average,${grain(9)},format=yuv420p[v]`,
      };
    }
    case 'easy': {
      const x = `860+${30 + 10 * variant}*sin(2*PI*t/1.9)`;
      const y = `300+12*sin(2*PI*t/1.3)`;
      return {
        stills: ['backdrop', 'detail'],
        graph:
          `[1:v]crop=320:420:x=1300:y=600,gblur=sigma=1.2[head];` +
          `[0:v][head]overlay=x='${x}':y='${y}',${grain(3)},format=yuv420p[v]`,
      };
    }
  }
}

/** A 1080p30 H.264 source of FRAMES frames, near what YouTube serves (CRF 18 x264). */
async function makeSource(kind: Kind, variant: number, stills: Record<string, string>): Promise<string> {
  const path = join(SOURCES, `${kind}${variant}_${FRAMES}.mp4`);
  if (await exists(path)) return path;
  const { stills: names, graph } = clipGraph(kind, variant);
  const inputs = names.flatMap((n) => ['-loop', '1', '-framerate', String(fps), '-i', stills[n] as string]);
  const x264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-g', String(fps * 2)];
  console.log(`bench: generating ${kind}${variant} (${KINDS[kind]})`);
  await ffmpeg([
    '-loglevel',
    'error',
    ...inputs,
    '-filter_complex',
    graph,
    '-map',
    '[v]',
    '-frames:v',
    String(FRAMES),
    ...x264,
    path,
  ]);
  return path;
}

interface Quality {
  psnrY: number;
  psnrAverage: number;
  /** Lowest per-frame PSNR (average of the planes). */
  psnrMin: number;
  ssim: number;
  vmaf?: number;
}

const number = (text: string, pattern: RegExp): number => {
  const match = pattern.exec(text);
  if (!match?.[1]) throw new Error(`no ${pattern.source} in ffmpeg's output:\n${text.slice(-2000)}`);
  return match[1] === 'inf' ? Infinity : Number(match[1]);
};

/** PSNR, SSIM (and VMAF) of an encoded clip against its source scaled as vstream scales it. */
async function quality(clipPath: string, sourcePath: string, vmaf: boolean): Promise<Quality> {
  const scale = `fps=${fps},scale=${width}:${height}:flags=lanczos,setsar=1,format=yuv420p`;
  // A raw .hevc has no timestamps: both sides are renumbered at the output rate, frame for frame.
  const renumber = `setpts=N/(${fps}*TB)`;
  const branches = vmaf ? 3 : 2;
  const pick = (prefix: string) => Array.from({ length: branches }, (_, i) => `[${prefix}${i}]`).join('');
  const graph = [
    `[0:v]${renumber},split=${branches}${pick('d')}`,
    `[1:v]${scale},${renumber},split=${branches}${pick('r')}`,
    '[d0][r0]psnr[p]',
    '[d1][r1]ssim[s]',
    ...(vmaf ? ['[d2][r2]libvmaf[m]'] : []),
  ].join(';');
  const outputs = ['p', 's', ...(vmaf ? ['m'] : [])].flatMap((o) => ['-map', `[${o}]`, '-f', 'null', '-']);
  const run = await ffmpeg([
    '-loglevel',
    'info',
    '-nostats',
    '-i',
    clipPath,
    '-i',
    sourcePath,
    '-filter_complex',
    graph,
    ...outputs,
  ]);
  const log = run.stderr;
  return {
    psnrY: number(log, /PSNR y:(\S+)/),
    psnrAverage: number(log, /PSNR .*average:(\S+)/),
    psnrMin: number(log, /PSNR .*min:(\S+)/),
    ssim: number(log, /SSIM .*All:(\S+)/),
    ...(vmaf ? { vmaf: number(log, /VMAF score: (\S+)/) } : {}),
  };
}

interface RateControl {
  name: string;
  settings: EncodeSettings;
}

interface ClipResult extends Quality {
  rateControl: string;
  clip: string;
  kind: Kind;
  frames: number;
  bytes: number;
  kbps: number;
  cpuSeconds: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function summarize(results: ClipResult[], rateControls: RateControl[]) {
  const rows = rateControls.map((rc) => {
    const mine = results.filter((r) => r.rateControl === rc.name);
    return {
      rateControl: rc.name,
      psnrY: mean(mine.map((r) => r.psnrY)),
      psnrAverage: mean(mine.map((r) => r.psnrAverage)),
      psnrMin: Math.min(...mine.map((r) => r.psnrMin)),
      ssim: mean(mine.map((r) => r.ssim)),
      vmaf: mine.every((r) => r.vmaf !== undefined) ? mean(mine.map((r) => r.vmaf as number)) : undefined,
      bytes: sum(mine.map((r) => r.bytes)),
      maxKbps: Math.max(...mine.map((r) => r.kbps)),
      cpuSeconds: sum(mine.map((r) => r.cpuSeconds)),
    };
  });
  const abr = rows[0] as (typeof rows)[number];
  return rows.map((r) => ({ ...r, bytesVsAbr: r.bytes / abr.bytes, cpuVsAbr: r.cpuSeconds / abr.cpuSeconds }));
}

const pad = (cells: string[], widths: number[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ');

async function main() {
  const started = Date.now();
  const kinds = (values.kinds as string).split(',') as Kind[];
  for (const kind of kinds) if (!(kind in KINDS)) throw new Error(`--kinds: unknown kind ${kind}`);
  const crfs = (values.crf as string).split(',').map(Number);
  const rateControls: RateControl[] = [
    { name: 'ABR 4M', settings },
    ...crfs.map((crf) => ({ name: `CRF ${crf} capped`, settings: { ...settings, crf } })),
  ];
  await mkdir(SOURCES, { recursive: true });
  const filters = (await ffmpeg(['-filters'])).stdout;
  const vmaf = /\slibvmaf\s/.test(filters);
  if (!vmaf) console.log('VMAF: not available in this ffmpeg');
  const stills = await makeStills();
  const clips: Array<{ kind: Kind; name: string; path: string }> = [];
  for (const kind of kinds)
    for (let v = 0; v < CLIPS_PER_KIND; v++)
      clips.push({ kind, name: `${kind}${v}`, path: await makeSource(kind, v, stills) });

  const encoded = join(BENCH_DIR, 'encoded');
  await rm(encoded, { recursive: true, force: true });
  await mkdir(encoded, { recursive: true });
  const results: ClipResult[] = [];
  for (const clip of clips) {
    for (const rc of rateControls) {
      const outputPath = join(encoded, `${clip.name}_${rc.name.replace(/\W+/g, '_')}.hevc`);
      const args = buildClipEncodeArgs({
        sourcePath: clip.path,
        outputPath,
        clip: { startFrame: 0, endFrame: FRAMES },
        settings: rc.settings,
        encoder: { kind: 'x265', preset: PRESET },
      });
      const { cpu } = await measure(async () => void (await execa(tools.ffmpeg, args)));
      const bytes = (await stat(outputPath)).size;
      const q = await quality(outputPath, clip.path, vmaf);
      const kbps = (bytes * 8) / (FRAMES / fps) / 1000;
      results.push({
        rateControl: rc.name,
        clip: clip.name,
        kind: clip.kind,
        frames: FRAMES,
        bytes,
        kbps,
        cpuSeconds: cpu,
        ...q,
      });
      console.log(
        `  ${clip.name.padEnd(8)} ${rc.name.padEnd(14)} PSNR-Y ${q.psnrY.toFixed(2)}  SSIM ${q.ssim.toFixed(4)}  ${kbps.toFixed(0)} kbit/s  CPU ${cpu.toFixed(2)} s`,
      );
    }
  }

  const rows = summarize(results, rateControls);
  const widths = [16, 7, 8, 9, 7, 10, 9, 7, 8, 7];
  console.log(
    `\nlibx265 preset ${PRESET}, ${clips.length} clips of ${FRAMES} frames (${kinds.join(', ')}), 1080p30 H.264 sources -> ${width}x${height}`,
  );
  console.log(
    pad(
      ['rate control', 'PSNR-Y', 'PSNR avg', 'worst frm', 'SSIM', 'bytes', 'max kb/s', 'bytes x', 'CPU s', 'CPU x'],
      widths,
    ),
  );
  for (const r of rows)
    console.log(
      pad(
        [
          r.rateControl,
          r.psnrY.toFixed(2),
          r.psnrAverage.toFixed(2),
          r.psnrMin.toFixed(2),
          r.ssim.toFixed(4),
          String(r.bytes),
          r.maxKbps.toFixed(0),
          r.bytesVsAbr.toFixed(2),
          r.cpuSeconds.toFixed(1),
          r.cpuVsAbr.toFixed(2),
        ],
        widths,
      ) + (r.vmaf === undefined ? '' : `  VMAF ${r.vmaf.toFixed(2)}`),
    );
  console.log('\nper kind (PSNR-Y dB / kbit/s):');
  for (const kind of kinds) {
    const cells = rateControls.map((rc) => {
      const mine = results.filter((r) => r.kind === kind && r.rateControl === rc.name);
      return `${rc.name}: ${mean(mine.map((r) => r.psnrY)).toFixed(2)} / ${mean(mine.map((r) => r.kbps)).toFixed(0)}`;
    });
    console.log(`  ${kind.padEnd(7)} ${cells.join('   ')}`);
  }
  const jsonPath = join(BENCH_DIR, 'results.json');
  await writeFile(
    jsonPath,
    `${JSON.stringify({ preset: PRESET, frames: FRAMES, kinds, vmaf, summary: rows, clips: results }, null, 2)}\n`,
  );
  console.log(`\nwritten: ${jsonPath} (bench wall ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
