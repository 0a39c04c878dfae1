// Cookies and proxy credentials are worker-side settings: with both in use (the
// downloads go through an authenticating proxy) and a failing video in the batch,
// neither the cookie value nor the proxy password appears in any workflow history,
// log line, report, or the command's output.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import { generateSample } from '../../src/devkit/sample-videos.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { runCli, tempDir } from '../helpers/e2e.js';

const COOKIE_SECRET = 'COOKIE_SECRET_7c1e9a';
const PROXY_PASSWORD = 'PROXY_SECRET_5b2d4f';
let root: string;
let media: MediaServer;

before(async () => {
  root = await tempDir('secrets');
  await mkdir(join(root, 'clips'), { recursive: true });
  await generateSample(resolveTool('ffmpeg'), join(root, 'sources'), {
    name: 'sec1',
    width: 640,
    height: 360,
    fps: 30,
    seconds: 2,
    pattern: 'index',
  });
  for (const name of ['sec1', 'gone']) await writeFile(join(root, 'clips', `${name}.txt`), '0 10\n');
  media = await startMediaServer({ root: join(root, 'sources'), proxyCredentials: `vuser:${PROXY_PASSWORD}` });
  await writeFile(join(root, 'urls.txt'), `${media.url('sec1.mp4')}\n${media.url('gone.mp4')}\n`);
  await writeFile(
    join(root, 'cookies.txt'),
    `# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\t${COOKIE_SECRET}\n`,
  );
});

after(async () => {
  await media?.close();
});

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

test('cookie values and proxy passwords reach yt-dlp and nothing else', async () => {
  const proxy = `http://vuser:${PROXY_PASSWORD}@127.0.0.1:${new URL(media.baseUrl).port}`;
  const run = await runCli([
    'run',
    '-u',
    join(root, 'urls.txt'),
    '-c',
    join(root, 'clips'),
    '-o',
    join(root, 'out'),
    '--work-dir',
    join(root, 'work'),
    '-d',
    '0',
    '--x265-preset',
    'ultrafast',
    '--log-level',
    'debug',
    '--cookies',
    join(root, 'cookies.txt'),
    '--proxy',
    proxy,
  ]);
  assert.equal(run.code, 3, run.stderr);
  assert.ok(
    media.proxied.some((r) => r.name === 'sec1.mp4' && r.status < 300),
    'the download went through the proxy',
  );
  assert.match(
    await readFile(join(root, 'out', '_vstream', 'report.json'), 'utf8'),
    /"errorType": "VideoUnavailable"|"VideoUnavailable"/,
  );

  const places = [
    { name: 'stdout', text: run.stdout },
    { name: 'stderr', text: run.stderr },
    // Every file vstream and its server wrote: reports, results, manifests, logs, the SQLite database (histories).
    ...(await Promise.all(
      (await filesBelow(join(root, 'out'))).map(async (file) => ({
        name: file,
        text: (await readFile(file)).toString('latin1'),
      })),
    )),
  ];
  // The histories are stored readable: the search would find a secret (control: the URL is there).
  const database = places
    .filter((p) => p.name.includes('temporal.db'))
    .map((p) => p.text)
    .join('');
  assert.ok(database.includes(media.url('sec1.mp4')), 'the workflow histories are searched, in plain bytes');
  for (const place of places) {
    for (const secret of [COOKIE_SECRET, PROXY_PASSWORD])
      assert.ok(!place.text.includes(secret), `${secret} found in ${place.name}`);
  }
  assert.equal(
    (await readFile(join(root, 'cookies.txt'), 'utf8')).includes(COOKIE_SECRET),
    true,
    "the user's cookies file is left as it was",
  );
});
