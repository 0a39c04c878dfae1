// The whole job through the CLI, all real: an embedded Temporal dev server,
// yt-dlp on 127.0.0.1 URLs, ffmpeg. One batch covers the cases; each test checks one.
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_X265_CRF } from '../../src/config.js';
import type { Report } from '../../src/core/report.js';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import {
  expectedSourceFrame,
  generateSample,
  readFrameIndex,
  type SampleSpec,
} from '../../src/devkit/sample-videos.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { probeClip } from '../../src/tools/probe.js';
import {
  type CliRun,
  exitWithin,
  fileIdentity,
  listFiles,
  runArgs,
  runCli,
  startCli,
  tempDir,
  waitFor,
} from '../helpers/e2e.js';

const ffmpeg = resolveTool('ffmpeg');
const ffprobe = resolveTool('ffprobe');

interface Case {
  spec: SampleSpec;
  /** Clip file content; null: no clip file. */
  clips: string | null;
  /** Served as a 404 instead of the file. */
  missing?: boolean;
}

const CASES: Record<string, Case> = {
  idx30: {
    spec: { name: 'idx30', width: 1920, height: 1080, fps: 30, seconds: 6, pattern: 'index' },
    clips: '0 30\n0000045 0000075\r\n\r\n150 180\n',
  },
  idx60: {
    spec: { name: 'idx60', width: 1920, height: 1080, fps: 60, seconds: 6, pattern: 'index' },
    clips: '15 45\n100 130\n',
  },
  portrait: {
    spec: { name: 'portrait', width: 1080, height: 1920, fps: 30, seconds: 3, pattern: 'index' },
    clips: '10 40\n',
  },
  rate25: {
    spec: { name: 'rate25', width: 1280, height: 720, fps: 25, seconds: 3, pattern: 'index' },
    clips: '30 60\n',
  },
  noclip: { spec: { name: 'noclip', width: 640, height: 360, fps: 30, seconds: 1, pattern: 'index' }, clips: null },
  missing: {
    spec: { name: 'missing', width: 640, height: 360, fps: 30, seconds: 1, pattern: 'index' },
    clips: '0 10\n',
    missing: true,
  },
  malformed: {
    spec: { name: 'malformed', width: 640, height: 360, fps: 30, seconds: 2, pattern: 'index' },
    clips: '0 15\nfoo bar\n20 10\n30 45\n',
  },
  pastend: {
    spec: { name: 'pastend', width: 640, height: 360, fps: 30, seconds: 2, pattern: 'index' },
    clips: '0 20\n40 90\n',
  },
};

let server: MediaServer;
let dirs: { root: string; out: string; work: string; clips: string; urls: string; sources: string };
let run: CliRun;
let report: Report;

before(async () => {
  const root = await tempDir('e2e');
  const sources = join(root, 'sources');
  dirs = {
    root,
    out: join(root, 'out'),
    work: join(root, 'work'),
    clips: join(root, 'clips'),
    urls: join(root, 'urls.txt'),
    sources,
  };
  await mkdir(dirs.clips, { recursive: true });
  for (const c of Object.values(CASES)) {
    if (!c.missing) await generateSample(ffmpeg, sources, c.spec);
    if (c.clips !== null) await writeFile(join(dirs.clips, `${c.spec.name}.txt`), c.clips);
  }
  server = await startMediaServer({ root: sources });
  const url = (name: string) => server.url(`${name}.mp4`);
  const lines = [
    '# e2e batch',
    url('idx30'),
    url('idx60'),
    url('portrait'),
    'not a url',
    url('rate25'),
    url('noclip'),
    url('idx30'), // repeated verbatim: processed once, not rejected
    url('missing'),
    `${server.baseUrl}/elsewhere/idx30.mp4`, // same ID through another URL: rejected
    url('malformed'),
    'ftp://127.0.0.1/x.mp4',
    url('pastend'),
  ];
  await writeFile(dirs.urls, `${lines.join('\n')}\n`);
  run = await runCli(pipelineArgs());
  report = JSON.parse(await readFile(join(dirs.out, '_vstream', 'report.json'), 'utf8')) as Report;
});

after(async () => {
  await server?.close();
});

const pipelineArgs = (...extra: string[]) =>
  runArgs(dirs, '-w', '2', '-d', '0', '--x265-preset', 'ultrafast', ...extra);

const video = (id: string) => {
  const found = report.videos.find((v) => v.videoId === id);
  assert.ok(found, `report has ${id}`);
  return found;
};

describe('vstream run, end to end', () => {
  test('exits 3 (failed and partial videos) and prints a summary', () => {
    assert.equal(run.code, 3, run.stderr);
    assert.match(
      run.stdout,
      /done: 8 videos: 4 succeeded, 2 partial, 1 skipped, 1 failed \(VideoUnavailable 1\); 10 clips; 3 URL lines rejected/,
    );
    assert.match(run.stdout, /Temporal UI: http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(run.stdout, /^vstream: starting batch vstream-[0-9a-f]+ with /m, 'a new batch says it starts');
  });

  test('piped, progress is plain lines: a status line before the first video finishes, no escape codes', () => {
    assert.ok(!run.stdout.includes('\u001b'), 'no escape code');
    const status = run.stdout.search(/^vstream: 0\/8 done, \d+ in flight, 0 clips(;.*)?$/m);
    const firstFinished = run.stdout.search(/^\[1\/8\] /m);
    assert.ok(status >= 0 && status < firstFinished, run.stdout);
  });

  test('report counts and rejected lines with line numbers and reasons', () => {
    assert.deepEqual(report.counts, {
      videos: 8,
      succeeded: 4,
      partial: 2,
      skipped: 1,
      failed: 1,
      cancelled: 0,
      clips: 10,
      rejectedLines: 3,
      byErrorType: { VideoUnavailable: 1 },
    });
    assert.deepEqual(
      report.rejectedLines.map((r) => [r.line, r.text]),
      [
        [5, 'not a url'],
        [10, `${server.baseUrl}/elsewhere/idx30.mp4`],
        [12, 'ftp://127.0.0.1/x.mp4'],
      ],
    );
    assert.match(report.rejectedLines[1]?.reason ?? '', /collides with line 2/);
    assert.ok(report.startedAt <= report.finishedAt);
    assert.deepEqual(
      report.videos.map((v) => v.videoId),
      ['idx30', 'idx60', 'portrait', 'rate25', 'noclip', 'missing', 'malformed', 'pastend'],
    );
    for (const v of report.videos) if (v.status !== 'succeeded') assert.ok(v.reason, `${v.videoId} has a reason`);
  });

  test('every clip has exactly end-start frames at 1280x720, and the final name only', async () => {
    const files = await listFiles(dirs.out);
    const clipFiles = files.filter((f) => f.endsWith('.hevc'));
    assert.equal(clipFiles.length, 10);
    assert.deepEqual(
      files.filter((f) => f.includes('vstream-tmp')),
      [],
      'no temporary file left',
    );
    for (const v of report.videos) {
      for (const clip of v.clips) {
        const probe = await probeClip(ffprobe, join(dirs.out, v.videoId, clip.file));
        assert.deepEqual(probe, { frames: clip.endFrame - clip.startFrame, width: 1280, height: 720 }, `${clip.file}`);
        assert.equal(clip.frames, clip.endFrame - clip.startFrame);
        assert.ok(clip.bytes > 0);
      }
    }
    assert.deepEqual(
      video('idx30').clips.map((c) => c.file),
      ['idx30_0000000_0000030.hevc', 'idx30_0000045_0000075.hevc', 'idx30_0000150_0000180.hevc'],
    );
  });

  test('clips hold the right frames: first and last of each, 30 and 60 fps sources', async () => {
    for (const [id, sourceFps] of [
      ['idx30', 30],
      ['idx60', 60],
      ['portrait', 30],
    ] as const) {
      for (const clip of video(id).clips) {
        const path = join(dirs.out, id, clip.file);
        const last = clip.frames - 1;
        assert.equal(
          await readFrameIndex(ffmpeg, path, 0),
          expectedSourceFrame(clip.startFrame, 30, sourceFps),
          `${clip.file} first frame`,
        );
        assert.equal(
          await readFrameIndex(ffmpeg, path, last),
          expectedSourceFrame(clip.startFrame + last, 30, sourceFps),
          `${clip.file} last frame`,
        );
      }
    }
  });

  test('a 25 fps source is converted to 30 fps', () => {
    assert.equal(video('rate25').status, 'succeeded');
    assert.equal(video('rate25').clips[0]?.frames, 30);
  });

  test('a video without a clip file is skipped and never requested', () => {
    assert.equal(video('noclip').status, 'skipped');
    assert.match(video('noclip').reason ?? '', /no clip file .*noclip\.txt/);
    assert.equal(server.requestsFor('noclip.mp4').length, 0);
  });

  test('a 404 is VideoUnavailable, failed after one attempt', () => {
    const missing = video('missing');
    assert.deepEqual([missing.status, missing.errorType], ['failed', 'VideoUnavailable']);
    assert.match(missing.reason ?? '', /HTTP Error 404/);
    assert.equal(server.requestsFor('missing.mp4').length, 1);
  });

  test('a duplicate URL is downloaded once', () => {
    const gets = server.requestsFor('idx30.mp4').filter((r) => r.method === 'GET' && r.status < 400);
    assert.ok(
      gets.length >= 1 && gets.length <= 2,
      `idx30 requested ${gets.length} times (yt-dlp probes, then downloads)`,
    );
    assert.equal(report.videos.filter((v) => v.videoId === 'idx30').length, 1);
  });

  test('malformed clip lines are listed; the other clips are still produced', () => {
    const malformed = video('malformed');
    assert.equal(malformed.status, 'partial');
    assert.deepEqual(
      malformed.clipErrors.map((e) => [e.line, e.text]),
      [
        [2, 'foo bar'],
        [3, '20 10'],
      ],
    );
    assert.deepEqual(
      malformed.clips.map((c) => c.file),
      ['malformed_0000000_0000015.hevc', 'malformed_0000030_0000045.hevc'],
    );
  });

  test('a clip past the end of the video makes the video partial, with a reason', () => {
    const pastEnd = video('pastend');
    assert.equal(pastEnd.status, 'partial');
    assert.deepEqual(
      pastEnd.clips.map((c) => c.file),
      ['pastend_0000000_0000020.hevc'],
    );
    assert.equal(pastEnd.clipErrors[0]?.line, 2);
    assert.match(pastEnd.clipErrors[0]?.reason ?? '', /source lasts/);
  });

  test('the work dir holds no source video afterwards; manifests are written', async () => {
    assert.deepEqual(await listFiles(dirs.work), []);
    const manifest = JSON.parse(await readFile(join(dirs.out, 'idx30', '_vstream.json'), 'utf8')) as {
      status: string;
      clips: unknown[];
      encoder: string;
      settingsHash: string;
    };
    assert.equal(manifest.status, 'succeeded');
    assert.equal(manifest.clips.length, 3);
    assert.match(manifest.encoder, /libx265/);
    assert.match(manifest.settingsHash, /^[0-9a-f]{16}$/);
  });

  test('a re-run with other encode settings into the same folder is refused, naming the difference', async () => {
    const other = await runCli([
      'run',
      '-u',
      dirs.urls,
      '-c',
      dirs.clips,
      '-o',
      dirs.out,
      '--width',
      '640',
      '--height',
      '360',
    ]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /--width 640 \(output folder has 1280\), --height 360 \(output folder has 720\)/);
  });

  test('a new folder records the default capped CRF; --crf off (ABR) into it is refused', async () => {
    const recorded = JSON.parse(await readFile(join(dirs.out, '_vstream', 'settings.json'), 'utf8')) as {
      crf?: number;
    };
    assert.equal(recorded.crf, DEFAULT_X265_CRF);
    const abr = await runCli(['run', '-u', dirs.urls, '-c', dirs.clips, '-o', dirs.out, '--crf', 'off']);
    assert.equal(abr.code, 2);
    assert.match(abr.stderr, new RegExp(`--crf off \\(output folder has ${DEFAULT_X265_CRF}\\)`));
  });

  test('a finished batch re-run downloads nothing and exits with the same code', async () => {
    const before = server.requests.length;
    const again = await runCli(pipelineArgs());
    assert.equal(again.code, 3);
    assert.match(again.stdout, /already finished/);
    assert.match(again.stdout, /done: 8 videos: 4 succeeded, 2 partial, 1 skipped, 1 failed/);
    assert.equal(server.requests.length, before);
  });

  test('--retry-failed runs the failed and partial videos again and keeps what is done', async () => {
    await generateSample(ffmpeg, dirs.sources, CASES.missing?.spec as SampleSpec); // the 404 is fixed
    const kept = [
      ...video('idx30').clips.map((c) => join('idx30', c.file)),
      ...video('malformed').clips.map((c) => join('malformed', c.file)),
    ];
    const identities = await Promise.all(kept.map((f) => fileIdentity(join(dirs.out, f))));
    const requestsBefore = (name: string) => server.requestsFor(`${name}.mp4`).length;
    const before = Object.fromEntries(Object.keys(CASES).map((name) => [name, requestsBefore(name)]));

    const retry = await runCli(pipelineArgs('--retry-failed'));
    assert.equal(retry.code, 3, retry.stderr);
    const retried = JSON.parse(await readFile(join(dirs.out, '_vstream', 'report.json'), 'utf8')) as Report;
    assert.deepEqual(retried.counts, {
      videos: 8,
      succeeded: 5,
      partial: 2,
      skipped: 1,
      failed: 0,
      cancelled: 0,
      clips: 11,
      rejectedLines: 3,
      byErrorType: {},
    });
    assert.equal(retried.videos.find((v) => v.videoId === 'missing')?.status, 'succeeded');
    // The 5 settled videos come first in the list: the 3 run again are numbered on from them.
    assert.deepEqual(
      [...retry.stdout.matchAll(/^\[(\d+)\/8\] /gm)].map((m) => Number(m[1])),
      [6, 7, 8],
      retry.stdout,
    );
    for (const done of ['idx30', 'idx60', 'portrait', 'rate25', 'noclip', 'malformed']) {
      assert.equal(requestsBefore(done), before[done], `${done} is not downloaded again`);
    }
    assert.ok(requestsBefore('pastend') > (before.pastend ?? 0), 'a partial video with a missing clip is tried again');
    assert.deepEqual(
      await Promise.all(kept.map((f) => fileIdentity(join(dirs.out, f)))),
      identities,
      'no clip is written again',
    );
  });

  test('status --watch follows a batch run elsewhere until it ends, in plain lines when piped', async () => {
    // A slow server: each video downloads for about 4 s, one at a time, long enough to attach and to see the first finish.
    const size = (await stat(join(dirs.sources, 'idx30.mp4'))).size;
    const slow = await startMediaServer({ root: dirs.sources, bytesPerSecond: Math.ceil(size / 4) });
    try {
      const out = join(dirs.root, 'watched');
      const urls = join(dirs.root, 'watched.txt');
      await writeFile(urls, `${slow.url('idx30.mp4')}\n${slow.url('portrait.mp4')}\n`);
      const args = ['run', '-u', urls, '-c', dirs.clips, '-o', out, '-w', '1', '--x265-preset', 'ultrafast'];
      const batch = startCli(args);
      await waitFor('the batch to start', () => /starting batch/.test(batch.output.stdout), 60_000);
      const watch = await exitWithin(startCli(['status', '--watch', '-o', out]), 90_000);
      assert.equal(watch.code, 0, watch.stderr);
      assert.ok(!watch.stdout.includes('\u001b'), 'no escape code');
      assert.match(watch.stdout, /^batch vstream-[0-9a-f]+: running$/m);
      // -w 1 and one video downloading ahead (the default): two in flight.
      assert.match(watch.stdout, /^vstream: 0\/2 done, 2 in flight, 0 clips; idx30 [\w ,.%/]+$/m);
      assert.match(watch.stdout, /^\[1\/2\] idx30: succeeded, 3 clips$/m);
      // Its end, from the server, or from the files when the run's embedded server went first.
      assert.match(watch.stdout, /^batch vstream-[0-9a-f]+: finished( at .*)?$/m);
      assert.equal((await exitWithin(batch, 60_000)).code, 0);
    } finally {
      await slow.close();
    }
  });
});
