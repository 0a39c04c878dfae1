// `npm run demo`: the whole job on the embedded default, offline. Generates a few
// sample videos, serves them on 127.0.0.1, writes their clip files and runs a batch
// through the CLI, then says where everything is.
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveTool } from '../tools/binaries.js';
import { PROJECT_ROOT } from '../tools/project.js';
import { startMediaServer } from './media-server.js';
import { generateSample, type SampleSpec } from './sample-videos.js';

const DEMO_DIR = join(PROJECT_ROOT, 'demo-out');

const SAMPLES: Array<SampleSpec & { clips: string | null }> = [
  {
    name: 'demo-landscape30',
    width: 1920,
    height: 1080,
    fps: 30,
    seconds: 6,
    pattern: 'index',
    clips: '0000000 0000030\n0000060 0000120\n',
  },
  { name: 'demo-smooth60', width: 1920, height: 1080, fps: 60, seconds: 6, pattern: 'index', clips: '15 45\n90 150\n' },
  {
    name: 'demo-portrait',
    width: 1080,
    height: 1920,
    fps: 30,
    seconds: 4,
    pattern: 'index',
    clips: '0000010 0000070\n',
  },
  { name: 'demo-noclips', width: 640, height: 360, fps: 30, seconds: 2, pattern: 'index', clips: null },
];

async function run(): Promise<void> {
  await rm(DEMO_DIR, { recursive: true, force: true });
  const sources = join(DEMO_DIR, 'sources');
  const clipDir = join(DEMO_DIR, 'clips');
  const outDir = join(DEMO_DIR, 'vstreams');
  await mkdir(clipDir, { recursive: true });
  console.log('demo: generating sample videos with ffmpeg');
  const ffmpeg = resolveTool('ffmpeg');
  for (const sample of SAMPLES) {
    await generateSample(ffmpeg, sources, sample);
    if (sample.clips) await writeFile(join(clipDir, `${sample.name}.txt`), sample.clips);
  }
  const server = await startMediaServer({ root: sources, bytesPerSecond: 4 * 1024 * 1024 });
  const urlsFile = join(DEMO_DIR, 'urls.txt');
  await writeFile(
    urlsFile,
    ['# demo URL list', ...SAMPLES.map((s) => server.url(`${s.name}.mp4`)), 'not a url'].join('\n') + '\n',
  );
  console.log(`demo: serving ${SAMPLES.length} videos at ${server.baseUrl}; running vstream\n`);

  const args = [
    'bin/vstream.js',
    'run',
    '-u',
    urlsFile,
    '-c',
    clipDir,
    '-o',
    outDir,
    '--start-delay',
    '1',
    '--encoder',
    'auto',
  ];
  console.log(`$ node ${args.join(' ')}`);
  const code = await new Promise<number>((resolve) => {
    spawn(process.execPath, args, { cwd: PROJECT_ROOT, stdio: 'inherit' }).on('exit', (c) => resolve(c ?? 1));
  });
  await server.close();
  console.log(`
demo: vstream exited with ${code} (3: some videos or lines were not processed, as this demo intends)
  clips:       ${outDir}/<videoId>/<videoId>_<start>_<end>.hevc
  report:      ${join(outDir, '_vstream', 'report.json')}
  Temporal UI: node bin/vstream.js ui -o ${outDir}   (serves the UI over this run's history)
  run it again: the same command resumes or, when finished, prints the stored summary`);
}

run().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
