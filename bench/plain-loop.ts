// The yardstick vstream is measured against (bench/vs-loop.ts): the original script's
// way, in TypeScript, with no orchestration at all. `threads` loops share one URL list;
// each takes the next video, downloads it with yt-dlp, runs one ffmpeg per clip, and
// deletes the source. The commands are vstream's own builders (the same bytes
// downloaded, the same encoder arguments), so only the scheduling differs.
//
// Committed before vstream's performance work (issue 13) and not to be changed after:
// a faster yardstick would hide a slower vstream.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { clipFileName, parseClipFile } from '../src/core/clip-file.js';
import { buildClipEncodeArgs } from '../src/core/ffmpeg-args.js';
import type { EncodeSettings, EncoderConfig } from '../src/core/types.js';
import { buildDownloadArgs } from '../src/core/ytdlp-args.js';

export interface PlainLoopJob {
  /** Each URL's last path segment, less its extension, is the video ID (`<clipDir>/<id>.txt`). */
  urls: string[];
  clipDir: string;
  outDir: string;
  workDir: string;
  threads: number;
  settings: EncodeSettings;
  encoder: EncoderConfig;
  tools: { ffmpeg: string; ytDlp: string };
}

export function videoIdOfUrl(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '');
}

async function oneVideo(job: PlainLoopJob, url: string): Promise<void> {
  const videoId = videoIdOfUrl(url);
  const target = join(job.workDir, videoId);
  await mkdir(target, { recursive: true });
  await execa(job.tools.ytDlp, buildDownloadArgs({ url, targetDir: target }));
  const source = join(target, (await readdir(target))[0] as string);
  const { clips } = parseClipFile(await readFile(join(job.clipDir, `${videoId}.txt`), 'utf8'));
  await mkdir(join(job.outDir, videoId), { recursive: true });
  for (const clip of clips) {
    const outputPath = join(job.outDir, videoId, clipFileName(videoId, clip));
    await execa(
      job.tools.ffmpeg,
      buildClipEncodeArgs({ sourcePath: source, outputPath, clip, settings: job.settings, encoder: job.encoder }),
    );
  }
  await rm(target, { recursive: true, force: true });
}

/** Every video of `urls`, `threads` at a time; the first failure rejects (a yardstick has none). */
export async function plainLoop(job: PlainLoopJob): Promise<void> {
  const queue = [...job.urls];
  const loop = async () => {
    for (let url = queue.shift(); url !== undefined; url = queue.shift()) await oneVideo(job, url);
  };
  await Promise.all(Array.from({ length: job.threads }, loop));
}
