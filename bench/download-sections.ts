// --download-mode full vs sections on the same long source, for clips covering 10%
// and 50% of it: bytes the server sent and wall time of the download alone (yt-dlp
// with the arguments and the side-by-side runs vstream uses) and of `vstream run` end
// to end, side by side, from a Range-capable server paced like a real network.
//
//   npm run bench:sections -- [--seconds 240] [--clips 8] [--mbps 4] [--rounds 1]
//                             [--preset ultrafast] [--no-run]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { link, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { DEFAULT_ENCODE_SETTINGS } from '../src/config.js';
import { clipInputArgs } from '../src/core/ffmpeg-args.js';
import pLimit from 'p-limit';
import {
  planSections,
  SECTION_DEFAULTS,
  sectionCoverage,
  sectionFor,
  sectionRuns,
  sectionStartingAt,
} from '../src/core/sections.js';
import type { ClipSpec } from '../src/core/types.js';
import { buildDownloadArgs, parseSourceFileName } from '../src/core/ytdlp-args.js';
import { startMediaServer, type MediaServer } from '../src/devkit/media-server.js';
import { generateSample } from '../src/devkit/sample-videos.js';
import { resolveMediaTools } from '../src/tools/binaries.js';
import { probeSource } from '../src/tools/probe.js';
import { runTool } from '../src/tools/process.js';
import { PROJECT_ROOT } from '../src/tools/project.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '240' },
    clips: { type: 'string', default: '8' },
    mbps: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '1' },
    preset: { type: 'string', default: 'ultrafast' },
    'no-run': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const CLIP_COUNT = Number(values.clips);
const BYTES_PER_SECOND = Number(values.mbps) * 1024 * 1024;
const ROUNDS = Number(values.rounds);
const CHUNK_SECONDS = 60;
const COVERAGES = [0.1, 0.5];
const MODES = ['full', 'sections'] as const;
type Mode = (typeof MODES)[number];
const FPS = DEFAULT_ENCODE_SETTINGS.fps;
const DIR = join(PROJECT_ROOT, 'bench-out', 'sections');
const tools = resolveMediaTools();

/**
 * 1080p30 H.264 at about 6 Mbit/s (what YouTube serves as format 137/299), GOP 2 s:
 * a minute of noise generated once, then repeated by stream copy to the length asked.
 */
async function prepareSource(): Promise<string> {
  const sources = join(DIR, 'sources');
  const path = join(sources, `long-${SECONDS}s.mp4`);
  if (await stat(path).catch(() => null)) return path;
  console.log(`bench: generating a ${CHUNK_SECONDS} s 1080p30 chunk, then a ${SECONDS} s source from it`);
  const chunk = await generateSample(tools.ffmpeg, sources, {
    name: 'chunk',
    width: 1920,
    height: 1080,
    fps: 30,
    seconds: CHUNK_SECONDS,
    pattern: 'noise',
  });
  const list = join(sources, 'concat.txt');
  await writeFile(list, Array.from({ length: Math.ceil(SECONDS / CHUNK_SECONDS) }, () => `file '${chunk}'\n`).join(''));
  await execa(tools.ffmpeg, [
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    list,
    '-t',
    String(SECONDS),
    '-c',
    'copy',
    '-movflags',
    '+faststart',
    path,
  ]);
  return path;
}

/** CLIP_COUNT clips of equal length covering `coverage` of the video, spread evenly. */
function clipsCovering(coverage: number): ClipSpec[] {
  const length = Math.round((coverage * SECONDS * FPS) / CLIP_COUNT);
  const stride = Math.floor((SECONDS * FPS) / CLIP_COUNT);
  return Array.from({ length: CLIP_COUNT }, (_, i) => {
    const startFrame = i * stride + Math.floor((stride - length) / 2);
    return { line: i + 1, startFrame, endFrame: startFrame + length };
  });
}

interface Measured {
  bytes: number;
  seconds: number;
}

async function measured(server: MediaServer, fn: () => Promise<void>): Promise<Measured> {
  const before = server.bytesSent();
  const start = process.hrtime.bigint();
  await fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes: server.bytesSent() - before };
}

async function downloadOnly(url: string, clips: ClipSpec[], mode: Mode, workDir: string): Promise<void> {
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const sections = mode === 'sections' ? planSections(clips, FPS, SECONDS) : null;
  // As the download activity runs them: sections side by side, one yt-dlp each.
  const limit = pLimit(SECTION_DEFAULTS.runsAtOnce);
  const runs = sectionRuns(sections, false).map((run) =>
    limit(() => runTool(tools.ytDlp, buildDownloadArgs({ url, targetDir: workDir, sections: run ?? undefined }))),
  );
  for (const run of await Promise.all(runs)) {
    if (!run.ok) throw new Error(`yt-dlp failed: ${run.stderrTail.join('\n')}`);
  }
}

async function vstreamRun(
  urlsFile: string,
  clipDir: string,
  mode: Mode,
  outDir: string,
  workDir: string,
): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await rm(workDir, { recursive: true, force: true });
  const args = [
    'bin/vstream.js',
    'run',
    '-u',
    urlsFile,
    '-c',
    clipDir,
    '-o',
    outDir,
    '--work-dir',
    workDir,
    '-d',
    '0',
    '--encoder',
    'x265',
    '--x265-preset',
    values.preset as string,
    '--download-mode',
    mode,
  ];
  const code = await new Promise<number | null>((resolve) =>
    spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: 'ignore' }).on('exit', resolve),
  );
  if (code !== 0) throw new Error(`vstream run --download-mode ${mode} exited ${code}`);
}

async function clipDigests(dir: string): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.hevc'))) {
    digests.set(
      name,
      createHash('sha256')
        .update(await readFile(join(dir, name)))
        .digest('hex'),
    );
  }
  return digests;
}

/** MD5 of every frame of a clip as the encode gets it (decoded, at the output rate), from a file starting at `fileStart`. */
async function clipFrameDigests(path: string, fileStart: number, clip: ClipSpec): Promise<string[]> {
  const args = [
    '-nostdin',
    '-v',
    'error',
    ...clipInputArgs(
      { kind: 'x265', preset: values.preset as string },
      clip.startFrame,
      FPS,
      path,
      undefined,
      fileStart,
    ),
  ];
  const { stdout } = await execa(tools.ffmpeg, [
    ...args,
    '-map',
    '0:v:0',
    '-vf',
    `fps=${FPS}`,
    '-frames:v',
    String(clip.endFrame - clip.startFrame),
    '-f',
    'framemd5',
    '-',
  ]);
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').at(-1)?.trim() ?? '');
}

/** Whether each clip's frames decoded from the downloaded sections are bit-identical to those from the whole source. */
async function compareDecodedFrames(source: string, sectionDir: string, clips: ClipSpec[]): Promise<string> {
  const planned = planSections(clips, FPS, SECONDS);
  const files = [];
  for (const name of await readdir(sectionDir)) {
    const file = parseSourceFileName(name);
    if (file?.sectionStart == null || file.partial) continue;
    const probe = await probeSource(tools.ffprobe, join(sectionDir, name));
    if (typeof probe === 'string') throw new Error(`${name}: ${probe}`);
    const range = sectionStartingAt(planned, file.sectionStart);
    if (!range) throw new Error(`${name} is no planned section`);
    files.push({ path: join(sectionDir, name), ...range, fileStartSeconds: probe.startSeconds });
  }
  let same = 0;
  let frames = 0;
  for (const clip of clips) {
    const section = sectionFor(files, clip, FPS) as (typeof files)[number];
    const whole = await clipFrameDigests(source, 0, clip);
    const cut = await clipFrameDigests(section.path, section.fileStartSeconds, clip);
    frames += whole.length;
    if (whole.length === clip.endFrame - clip.startFrame && whole.join() === cut.join()) same++;
  }
  return `decoded frames (framemd5, ${frames} frames) bit-identical from sections and from the whole source for ${same} of ${clips.length} clips`;
}

/** Lowest per-frame PSNR (dB) between two clips, the first shifted by `shift` frames. */
async function minPsnr(a: string, b: string, shift: number): Promise<number> {
  const first = shift > 0 ? `[0:v]trim=start_frame=${shift},setpts=PTS-STARTPTS[a];[a]` : '[0:v]';
  const { stderr } = await execa(tools.ffmpeg, [
    '-nostdin',
    '-hide_banner',
    '-i',
    a,
    '-i',
    b,
    '-lavfi',
    `${first}[1:v]psnr`,
    '-f',
    'null',
    '-',
  ]);
  const min = /PSNR .* min:(\S+)/.exec(stderr)?.[1];
  if (!min) throw new Error(`no PSNR for ${a} and ${b}`);
  return min === 'inf' ? Infinity : Number(min);
}

/**
 * Whether full and sections made the same clips. x265's multi-threaded rate control is
 * not deterministic, so clips with the same source frames can differ in bytes: those
 * are compared by PSNR, next to the same comparison one frame off as a control.
 */
async function compareOutputs(fullDir: string, sectionsDir: string): Promise<string> {
  const full = await clipDigests(fullDir);
  const sections = await clipDigests(sectionsDir);
  const differing = [...full.keys()].filter((file) => sections.get(file) !== full.get(file));
  let text = `${full.size - differing.length} of ${full.size} clips byte-identical between full and sections (${sections.size} made from sections)`;
  if (differing.length > 0) {
    let aligned = Infinity;
    let shifted = Infinity;
    for (const file of differing) {
      aligned = Math.min(aligned, await minPsnr(join(fullDir, file), join(sectionsDir, file), 0));
      shifted = Math.min(shifted, await minPsnr(join(fullDir, file), join(sectionsDir, file), 1));
    }
    text += `; the others: lowest frame PSNR ${aligned.toFixed(1)} dB (one frame off: ${shifted.toFixed(1)} dB)`;
  }
  return text;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);

async function main(): Promise<void> {
  const source = await prepareSource();
  const sourceBytes = (await stat(source)).size;
  const served = join(DIR, 'served');
  const clipDir = join(DIR, 'clips');
  await rm(served, { recursive: true, force: true });
  await mkdir(served, { recursive: true });
  await mkdir(clipDir, { recursive: true });
  const server = await startMediaServer({ root: served, bytesPerSecond: BYTES_PER_SECOND });
  console.log(
    `bench: ${SECONDS} s 1080p30 H.264 source (${mib(sourceBytes)} MiB), ${CLIP_COUNT} clips, served at ${values.mbps} MiB/s per connection, ` +
      `${ROUNDS} round(s), libx265 ${values.preset}`,
  );
  const rows: string[] = [];
  const verdicts: string[] = [];
  for (const coverage of COVERAGES) {
    // One name per coverage: the video ID, and the clip file, come from it.
    const name = `cover${Math.round(coverage * 100)}`;
    await link(source, join(served, `${name}.mp4`));
    const clips = clipsCovering(coverage);
    await writeFile(join(clipDir, `${name}.txt`), clips.map((c) => `${c.startFrame} ${c.endFrame}`).join('\n') + '\n');
    const urlsFile = join(DIR, `${name}.urls.txt`);
    await writeFile(urlsFile, `${server.url(`${name}.mp4`)}\n`);
    const planned = planSections(clips, FPS, SECONDS);
    const download: Record<Mode, Measured[]> = { full: [], sections: [] };
    const run: Record<Mode, Measured[]> = { full: [], sections: [] };
    let framesVerdict = '';
    for (let round = 1; round <= ROUNDS; round++) {
      for (const mode of MODES) {
        download[mode].push(
          await measured(server, () =>
            downloadOnly(server.url(`${name}.mp4`), clips, mode, join(DIR, 'work-download')),
          ),
        );
        if (mode === 'sections' && round === 1)
          framesVerdict = await compareDecodedFrames(source, join(DIR, 'work-download'), clips);
        if (!values['no-run']) {
          run[mode].push(
            await measured(server, () =>
              vstreamRun(urlsFile, clipDir, mode, join(DIR, `out-${name}-${mode}`), join(DIR, `work-${mode}`)),
            ),
          );
        }
      }
    }
    for (const mode of MODES) {
      const d = download[mode];
      const r = run[mode];
      const fullBytes = median(download.full.map((m) => m.bytes));
      rows.push(
        `${String(coverage * 100).padStart(3)}%  ${mode.padEnd(8)}  ${mib(median(d.map((m) => m.bytes))).padStart(8)} MiB  ${(median(d.map((m) => m.bytes)) / fullBytes).toFixed(3).padStart(6)}x` +
          `  ${median(d.map((m) => m.seconds))
            .toFixed(2)
            .padStart(7)} s` +
          (r.length
            ? `  ${mib(median(r.map((m) => m.bytes))).padStart(8)} MiB  ${median(r.map((m) => m.seconds))
                .toFixed(2)
                .padStart(7)} s`
            : ''),
      );
    }
    const ratio = median(download.sections.map((m) => m.bytes)) / median(download.full.map((m) => m.bytes));
    verdicts.push(
      `${coverage * 100}% coverage: sections plan ${planned.length} ranges, ${((sectionCoverage(planned, SECONDS) ?? 0) * 100).toFixed(1)}% of the duration; bytes ${ratio.toFixed(3)}x of full`,
    );
    verdicts.push(`${coverage * 100}% coverage: ${framesVerdict}`);
    if (coverage === 0.1)
      verdicts.push(`target at 10%: sections <= 0.25x the bytes of full: ${ratio <= 0.25 ? 'met' : 'MISSED'}`);
    if (!values['no-run']) {
      verdicts.push(
        `${coverage * 100}% coverage: ${await compareOutputs(join(DIR, `out-${name}-full`, name), join(DIR, `out-${name}-sections`, name))}`,
      );
    }
  }
  await server.close();
  console.log(`\ncoverage mode      download only (yt-dlp)           vstream run end to end`);
  console.log(`                   bytes sent   vs full    wall      bytes sent     wall`);
  for (const row of rows) console.log(row);
  console.log('');
  for (const verdict of verdicts) console.log(verdict);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
