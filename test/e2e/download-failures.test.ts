// Download failures from a local HTTP server, all real (CLI, Temporal, yt-dlp, ffmpeg):
// 404 (permanent, one attempt), 403 (retried, then failed), 429 (the whole batch's
// downloads pause; the video is retried after it), a stalled transfer and a transfer
// cut short (the retry continues the partial file). yt-dlp's timeouts and retries are
// set low so the test takes seconds. The log file tells each video's steps and each
// failed attempt; the terminal tells a failure once.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isLogEventName } from '../../src/core/log-events.js';
import type { Report } from '../../src/core/report.js';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import { generateSample } from '../../src/devkit/sample-videos.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { runCli, tempDir, type CliRun } from '../helpers/e2e.js';
import { eventLines, inOrder, type EventLine } from '../helpers/log-lines.js';

const OK = ['ok0', 'ok1', 'ok2', 'ok3'];
const BACKOFF_S = 3;
let root: string;
let media: MediaServer;
let run: CliRun;
let report: Report;
let events: EventLine[];

before(async () => {
  root = await tempDir('dlfail');
  await mkdir(join(root, 'clips'), { recursive: true });
  for (const name of [...OK, 'limited', 'forbidden', 'stalled', 'cut']) {
    await generateSample(resolveTool('ffmpeg'), join(root, 'sources'), {
      name,
      width: 1280,
      height: 720,
      fps: 30,
      seconds: 3,
      pattern: 'noise',
    });
  }
  for (const name of [...OK, 'limited', 'forbidden', 'stalled', 'cut', 'gone'])
    await writeFile(join(root, 'clips', `${name}.txt`), '0 10\n');
  media = await startMediaServer({
    root: join(root, 'sources'),
    bytesPerSecond: 1024 * 1024,
    faults: {
      'limited.mp4': { status: 429, retryAfterSeconds: 60, times: 1 },
      'forbidden.mp4': { status: 403 },
      'stalled.mp4': { stallAfterBytes: 200_000 },
      // The generic extractor's first look and the download both: the next attempt continues.
      'cut.mp4': { cutAfterBytes: 300_000, times: 2 },
    },
  });
  const order = ['limited', 'ok0', 'gone', 'ok1', 'forbidden', 'ok2', 'stalled', 'cut', 'ok3'];
  await writeFile(join(root, 'urls.txt'), `${order.map((n) => media.url(`${n}.mp4`)).join('\n')}\n`);
  run = await runCli([
    'run',
    '-u',
    join(root, 'urls.txt'),
    '-c',
    join(root, 'clips'),
    '-o',
    join(root, 'out'),
    '--work-dir',
    join(root, 'work'),
    '-w',
    '2',
    '-d',
    '0',
    '--x265-preset',
    'ultrafast',
    '--heartbeat-timeout',
    '5',
    '--backoff',
    String(BACKOFF_S),
    '--max-pauses',
    '3',
    '--download-attempts',
    '2',
    '--download-retry-interval',
    '1',
    '--yt-dlp-arg=--socket-timeout',
    '--yt-dlp-arg=2',
    '--yt-dlp-arg=--retries',
    '--yt-dlp-arg=0',
  ]);
  report = JSON.parse(await readFile(join(root, 'out', '_vstream', 'report.json'), 'utf8')) as Report;
  events = eventLines(await readFile(join(root, 'out', '_vstream', 'vstream.log'), 'utf8'));
});

after(async () => {
  await media?.close();
});

const video = (id: string) => report.videos.find((v) => v.videoId === id);
const gets = (name: string) => media.requestsFor(`${name}.mp4`).filter((r) => r.method === 'GET');

test('every video ends with the right status and error type', () => {
  assert.equal(run.code, 3, run.stderr);
  for (const id of [...OK, 'limited', 'cut'])
    assert.equal(video(id)?.status, 'succeeded', `${id}: ${video(id)?.reason}`);
  assert.deepEqual([video('gone')?.status, video('gone')?.errorType], ['failed', 'VideoUnavailable']);
  assert.deepEqual([video('forbidden')?.status, video('forbidden')?.errorType], ['failed', 'Network']);
  assert.deepEqual([video('stalled')?.status, video('stalled')?.errorType], ['failed', 'Network']);
  assert.deepEqual(report.counts.byErrorType, { VideoUnavailable: 1, Network: 2 });
});

test('a permanent failure gets one attempt; a network failure the attempts allowed', () => {
  assert.equal(gets('gone').length, 1);
  assert.equal(gets('forbidden').length, 2);
});

test('a 429 pauses every download of the batch: no request during the pause; the video is retried after it', () => {
  const limited = gets('limited');
  const rateLimitedAt = limited.find((r) => r.status === 429)?.at ?? 0;
  assert.ok(rateLimitedAt > 0);
  const pauseEnd = rateLimitedAt + BACKOFF_S * 1000;
  const pausedAt = Number(events.find((e) => e.event === 'pause.start')?.time);
  assert.ok(pausedAt >= rateLimitedAt && pausedAt < pauseEnd, 'the batch paused once it heard of the 429');
  const starts = events.filter((e) => e.event === 'download.start');
  // A second of slack at each end: a download scheduled before the video heard of the
  // pause may start just after it; the held downloads go ahead as the pause ends.
  const heardBy = pausedAt + 1_000;
  const startedDuring = starts.filter((e) => Number(e.time) > heardBy && Number(e.time) < pauseEnd - 1_000);
  assert.deepEqual(
    startedDuring.map((e) => e.videoId),
    [],
    'no download starts while downloads are paused',
  );
  // A download begun before the batch heard of the 429 may still be fetching (yt-dlp
  // takes a while to start on a loaded machine); no other request comes during the pause.
  const startOf = (name: string, at: number) =>
    starts.filter((e) => `${e.videoId}.mp4` === name && Number(e.time) <= at).at(-1);
  const during = media.requests.filter((r) => r.at > pausedAt && r.at < pauseEnd - 1_000);
  assert.deepEqual(
    during.filter((r) => Number(startOf(r.name, r.at)?.time ?? Infinity) > heardBy).map((r) => `${r.method} ${r.name}`),
    [],
    'no request while downloads are paused, but from downloads begun before it',
  );
  const retry = limited.find((r) => r.at > rateLimitedAt && r.status < 400);
  assert.ok(retry && retry.at >= pauseEnd - 500, 'the rate-limited video was downloaded after the pause');
  assert.match(run.stdout, /downloads paused until .* \(pause 1 of 3, RateLimited: .*HTTP Error 429/);
});

test('a transfer cut short is continued from its partial file', () => {
  const cut = media.requestsFor('cut.mp4').filter((r) => r.method === 'GET');
  assert.ok(
    cut.some((r) => r.range && !r.range.startsWith('bytes=0-')),
    `requests: ${JSON.stringify(cut.map((r) => r.range))}`,
  );
});

const eventsOf = (videoId: string) => events.filter((e) => e.videoId === videoId);

test("the log file has each video's steps, each with the batch's and the video's ID", () => {
  assert.ok(events.length > 0, 'event lines in vstream.log');
  for (const e of events) {
    assert.ok(isLogEventName(e.event), e.event);
    assert.equal(e.batchId, report.batchId, JSON.stringify(e));
    assert.equal(typeof e.videoId, 'string', JSON.stringify(e));
    assert.ok(e.msg.length > 0, JSON.stringify(e));
  }
  for (const id of OK) {
    const steps = ['video.verified', 'download.start', 'encode.start', 'encode.end', 'clip.written'] as const;
    const names = `${id}: ${eventsOf(id).map((e) => e.event)}`;
    assert.ok(inOrder(eventsOf(id), [...steps, 'video.finished']), names);
    assert.ok(inOrder(eventsOf(id), ['download.start', 'download.end', 'video.finished']), names);
    // An encode that starts before its download ends started early (an encoder was idle).
    const early =
      eventsOf(id).findIndex((e) => e.event === 'encode.start') <
      eventsOf(id).findIndex((e) => e.event === 'download.end');
    if (early) assert.ok(inOrder(eventsOf(id), ['download.start', 'encode.early', 'encode.start']), names);
    const written = eventsOf(id).find((e) => e.event === 'clip.written');
    const clip = video(id)?.clips[0];
    assert.equal(written?.path, join(root, 'out', id, clip?.file ?? '?'));
    assert.deepEqual([written?.frames, written?.bytes], [10, clip?.bytes]);
    const downloaded = eventsOf(id).find((e) => e.event === 'download.end');
    assert.equal(downloaded?.mode, 'full');
    assert.ok(Number(downloaded?.bytes) > 0 && Number(downloaded?.seconds) > 0, JSON.stringify(downloaded));
    const encoded = eventsOf(id).find((e) => e.event === 'encode.end');
    assert.deepEqual([encoded?.clips, encoded?.frames, encoded?.ok], [1, 10, true]);
    assert.match(String(encoded?.encoder), /libx265/);
  }
});

test('each failed attempt is one activity.failed event; the pause is logged where it starts and ends', () => {
  const failed = (id: string) => eventsOf(id).filter((e) => e.event === 'activity.failed');
  assert.deepEqual(
    failed('gone').map((e) => [e.activity, e.attempt, e.errorType]),
    [['download', 1, 'VideoUnavailable']],
  );
  assert.match(String(failed('gone')[0]?.message), /HTTP Error 404/);
  assert.deepEqual(
    failed('forbidden').map((e) => [e.attempt, e.errorType]),
    [
      [1, 'Network'],
      [2, 'Network'],
    ],
  );
  assert.deepEqual(
    eventsOf('gone').map((e) => e.event),
    ['verify.start', 'video.verified', 'download.start', 'activity.failed', 'video.finished'],
  );
  assert.ok(inOrder(eventsOf('limited'), ['activity.failed', 'pause.start', 'pause.end', 'download.end']));
  const pause = eventsOf('limited').find((e) => e.event === 'pause.start');
  assert.deepEqual([pause?.errorType, pause?.pause, pause?.maxPauses], ['RateLimited', 1, 3]);
});

test('the terminal shows a failure once: the finished video line, no warning and no SDK line', () => {
  const terminal = `${run.stdout}\n${run.stderr}`.split('\n');
  assert.deepEqual(
    terminal.filter((line) => line.includes('HTTP Error 404')).length,
    1,
    `${run.stdout}\n${run.stderr}`,
  );
  assert.match(run.stdout, /gone: failed \(VideoUnavailable\).*HTTP Error 404/);
  assert.doesNotMatch(run.stderr, /HTTP Error|taskToken|Activity failed/);
});
