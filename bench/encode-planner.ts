// One process per clip vs one decode pass for all clips, on the CPU (libx265), for
// 1, 5 and 20 clips per video, dense and sparse, on the same generated video; and
// what the planner picks. Prints CPU seconds and wall time of each.
//
//   npm run bench:planner -- [--seconds 150] [--clip-frames 60] [--preset ultrafast]
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { DEFAULT_ENCODE_SETTINGS } from '../src/config.js';
import { PLAN_DEFAULTS, planEncodes } from '../src/core/encode-plan.js';
import { buildClipEncodeArgs, buildPassEncodeArgs } from '../src/core/ffmpeg-args.js';
import type { ClipSpec, EncoderConfig } from '../src/core/types.js';
import { generateSample } from '../src/devkit/sample-videos.js';
import { resolveTool } from '../src/tools/binaries.js';
import { PROJECT_ROOT } from '../src/tools/project.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '150' },
    'clip-frames': { type: 'string', default: '60' },
    preset: { type: 'string', default: 'ultrafast' },
  },
});
const SECONDS = Number(values.seconds);
const CLIP_FRAMES = Number(values['clip-frames']);
const encoder: EncoderConfig = { kind: 'x265', preset: values.preset as string };
const settings = { ...DEFAULT_ENCODE_SETTINGS };
const ffmpeg = resolveTool('ffmpeg');
const DIR = join(PROJECT_ROOT, 'bench-out', 'planner');

/** Wall and CPU (user + system of the process tree) seconds of one command. */
async function measure(args: string[]): Promise<{ wall: number; cpu: number }> {
  // Python's getrusage(RUSAGE_CHILDREN) sees ffmpeg's threads once it has exited.
  const script =
    'import resource,subprocess,sys,time\nt=time.time()\nr=subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\nu=resource.getrusage(resource.RUSAGE_CHILDREN)\nprint(time.time()-t, u.ru_utime+u.ru_stime, r.returncode)';
  const { stdout } = await execa('python3', ['-c', script, ffmpeg, ...args]);
  const [wall, cpu, code] = stdout.trim().split(' ').map(Number);
  if (code !== 0) throw new Error(`ffmpeg exited ${code}: ${args.join(' ')}`);
  return { wall: wall as number, cpu: cpu as number };
}

async function runPasses(source: string, passes: ClipSpec[][], out: string): Promise<{ wall: number; cpu: number }> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const total = { wall: 0, cpu: 0 };
  for (const pass of passes) {
    const outputs = pass.map((c) => ({ ...c, outputPath: join(out, `${c.startFrame}_${c.endFrame}.hevc`) }));
    const args =
      outputs.length === 1
        ? buildClipEncodeArgs({
            sourcePath: source,
            outputPath: (outputs[0] as { outputPath: string }).outputPath,
            clip: outputs[0] as ClipSpec,
            settings,
            encoder,
          })
        : buildPassEncodeArgs({ sourcePath: source, clips: outputs, settings, encoder });
    const m = await measure(args);
    total.wall += m.wall;
    total.cpu += m.cpu;
  }
  return total;
}

function clipsFor(count: number, layout: 'dense' | 'sparse'): ClipSpec[] {
  const totalFrames = SECONDS * settings.fps;
  const stride = layout === 'dense' ? CLIP_FRAMES : Math.floor((totalFrames - 2 * settings.fps) / count);
  return Array.from({ length: count }, (_, i) => {
    const startFrame = settings.fps + i * stride;
    return { line: i + 1, startFrame, endFrame: startFrame + CLIP_FRAMES };
  });
}

async function main(): Promise<void> {
  const source = join(DIR, `source-${SECONDS}s.mp4`);
  await mkdir(DIR, { recursive: true });
  if (!(await import('node:fs')).existsSync(source)) {
    console.log(`bench: generating a ${SECONDS} s 1080p30 source (6 Mbit/s)`);
    await generateSample(ffmpeg, DIR, {
      name: `source-${SECONDS}s`,
      width: 1920,
      height: 1080,
      fps: 30,
      seconds: SECONDS,
      pattern: 'noise',
    });
  }
  console.log(
    `bench: libx265 ${encoder.kind === 'x265' ? encoder.preset : ''}, clips of ${CLIP_FRAMES} frames, ${SECONDS} s source, planner ${JSON.stringify(PLAN_DEFAULTS.x265)}`,
  );
  const header =
    'clips  layout   per-clip wall/cpu (s)   one-pass wall/cpu (s)   planner pick         planner wall (s)   vs best';
  const rows: string[] = [];
  let worst = 0;
  for (const count of [1, 5, 20]) {
    for (const layout of ['dense', 'sparse'] as const) {
      const clips = clipsFor(count, layout);
      const perClip = await runPasses(
        source,
        clips.map((c) => [c]),
        join(DIR, 'out-per-clip'),
      );
      const onePass = await runPasses(source, [clips], join(DIR, 'out-one-pass'));
      const plan = planEncodes(clips, PLAN_DEFAULTS.x265);
      const picked =
        plan.mode === 'per-clip'
          ? perClip
          : plan.mode === 'one-pass' && plan.passes.length === 1
            ? onePass
            : await runPasses(source, plan.passes, join(DIR, 'out-planner'));
      const best = Math.min(perClip.wall, onePass.wall);
      const ratio = picked.wall / best;
      worst = Math.max(worst, ratio);
      const pick = `${plan.mode} (${plan.passes.length} pass${plan.passes.length === 1 ? '' : 'es'})`;
      const row = `${String(count).padStart(5)}  ${layout.padEnd(6)}   ${`${perClip.wall.toFixed(2)} / ${perClip.cpu.toFixed(2)}`.padStart(20)}   ${`${onePass.wall.toFixed(2)} / ${onePass.cpu.toFixed(2)}`.padStart(20)}   ${pick.padEnd(19)}  ${picked.wall.toFixed(2).padStart(16)}   ${ratio.toFixed(3)}x`;
      rows.push(row);
      console.log(row);
    }
  }
  console.log(`\n${header}\n${rows.join('\n')}`);
  console.log(`\nworst planner pick vs the better mode: ${worst.toFixed(3)}x (target <= 1.05)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
