// yt-dlp forked from a warm process (src/tools/ytdlp-runner.ts, ytdlp_forkserver.py), with
// the real yt-dlp against the local media server: it answers as a yt-dlp process would
// (version, output, exit codes, its own process group), and a warm process that dies
// hands the next runs to processes of their own.
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildDownloadArgs, buildMetadataArgs } from '../../src/core/ytdlp-args.js';
import { startMediaServer, type MediaServer } from '../../src/devkit/media-server.js';
import { generateSample } from '../../src/devkit/sample-videos.js';
import { resolveMediaTools } from '../../src/tools/binaries.js';
import { entryScriptPython, spawnedYtDlp, startYtDlpRunner } from '../../src/tools/ytdlp-runner.js';
import { descendants, isAlive, listProcesses, tempDir, waitFor } from '../helpers/e2e.js';
import { FIXTURES } from '../helpers/paths.js';

const tools = resolveMediaTools();
let root: string;
let source: string;
let fast: MediaServer;
let slow: MediaServer;

before(async () => {
  root = await tempDir('ytdlp-runner');
  const spec = { name: 'v', width: 320, height: 180, fps: 30, seconds: 2, pattern: 'noise' } as const;
  source = await generateSample(tools.ffmpeg, join(root, 'sources'), spec);
  fast = await startMediaServer({ root: join(root, 'sources') });
  // About 20 s for the whole file: time to act while it downloads.
  slow = await startMediaServer({
    root: join(root, 'sources'),
    bytesPerSecond: Math.ceil((await stat(source)).size / 20),
  });
});

after(async () => {
  await fast?.close();
  await slow?.close();
});

const warmProcesses = () => descendants(process.pid).filter((p) => p.command === 'yt-dlp-warm');

test("the warm process is used for yt-dlp's own entry script, and gives its version", async () => {
  const runner = startYtDlpRunner(tools.ytDlp);
  try {
    assert.equal(await runner.version(), await spawnedYtDlp(tools.ytDlp).version());
    assert.equal(warmProcesses().length, 1);
  } finally {
    await runner.close();
  }
  await waitFor('the warm process to end once closed', () => warmProcesses().length === 0, 10_000);
});

test('a forked download writes the same bytes, streams progress, and runs in a process group of its own', async () => {
  const runner = startYtDlpRunner(tools.ytDlp);
  try {
    const target = join(root, 'forked');
    const progress: string[] = [];
    let pid: number | undefined;
    const run = await runner.run(buildDownloadArgs({ url: fast.url('v.mp4'), targetDir: target }), {
      onSpawn: (started) => {
        pid = started;
        const self = listProcesses().find((p) => p.pid === started);
        assert.equal(self?.command, 'yt-dlp', 'ps and top show it as yt-dlp');
        assert.equal(self?.pgrp, started, 'its own process group: a signal to -pid reaches it and its children');
      },
      onStdoutLine: (line) => line.startsWith('vstream-progress') && progress.push(line),
    });
    assert.deepEqual([run.ok, run.exitCode, run.signal, run.canceled], [true, 0, undefined, false]);
    assert.ok(pid && pid !== process.pid);
    assert.deepEqual(await readFile(join(target, 'source.mp4')), await readFile(source));
    assert.match(progress.at(-1) ?? '', /^vstream-progress (\d+) \1 /, 'the last progress line is the whole file');
  } finally {
    await runner.close();
  }
});

test('a failure exits as yt-dlp does, with the same error line', async () => {
  const runner = startYtDlpRunner(tools.ytDlp);
  try {
    const args = buildDownloadArgs({ url: fast.url('missing.mp4'), targetDir: join(root, 'missing') });
    const [forked, own] = await Promise.all([runner.run(args), spawnedYtDlp(tools.ytDlp).run(args)]);
    assert.deepEqual([forked.ok, forked.exitCode], [own.ok, own.exitCode]);
    assert.equal(forked.exitCode, 1);
    assert.equal(forked.stderrTail.at(-1), own.stderrTail.at(-1));
    assert.match(forked.stderrTail.at(-1) ?? '', /^ERROR: .*404/);
  } finally {
    await runner.close();
  }
});

test("capture returns the metadata JSON whole, as the process's stdout", async () => {
  const runner = startYtDlpRunner(tools.ytDlp);
  try {
    const args = buildMetadataArgs({ url: fast.url('v.mp4') });
    const forked = await runner.capture(args, { timeoutMs: 60_000 });
    assert.equal(forked.ok, true, forked.stderr);
    const info = JSON.parse(forked.stdout) as { id: string; ext: string };
    assert.deepEqual([info.id, info.ext], ['v', 'mp4']);
    const own = await spawnedYtDlp(tools.ytDlp).capture(args, { timeoutMs: 60_000 });
    assert.deepEqual(Object.keys(info).sort(), Object.keys(JSON.parse(own.stdout) as object).sort());
  } finally {
    await runner.close();
  }
});

test('a warm process that dies fails the run it held; later runs get processes of their own', async () => {
  const fallbacks: string[] = [];
  const runner = startYtDlpRunner(tools.ytDlp, (reason) => fallbacks.push(reason));
  try {
    assert.ok(await runner.version());
    let started = false;
    const held = runner.run(buildDownloadArgs({ url: slow.url('v.mp4'), targetDir: join(root, 'held') }), {
      onStdoutLine: (line) => (started ||= line.startsWith('vstream-progress')),
    });
    await waitFor('the forked download to be under way', () => started, 30_000);
    const [warm] = warmProcesses();
    const child = descendants(warm?.pid as number).find((p) => p.command === 'yt-dlp');
    process.kill(warm?.pid as number, 'SIGKILL');
    const failed = await held;
    assert.equal(failed.ok, false);
    await waitFor('the forked run to die with its warm process', () => !isAlive(child?.pid as number), 10_000);
    assert.match(fallbacks.join('\n'), /yt-dlp's warm process stopped .*each download runs yt-dlp on its own/);

    const after = await runner.run(buildDownloadArgs({ url: fast.url('v.mp4'), targetDir: join(root, 'after') }));
    assert.equal(after.ok, true);
    assert.deepEqual(await readFile(join(root, 'after', 'source.mp4')), await readFile(source));
    assert.equal(await runner.version(), await spawnedYtDlp(tools.ytDlp).version());
  } finally {
    await runner.close();
  }
});

test('a yt-dlp upgraded on disk is warmed up again; a run under way finishes on the old process', async () => {
  const dir = join(root, 'upgraded');
  await mkdir(dir, { recursive: true });
  const entry = join(dir, 'yt-dlp');
  await copyFile(tools.ytDlp, entry);
  const messages: string[] = [];
  const runner = startYtDlpRunner(entry, (message) => messages.push(message));
  try {
    assert.ok(await runner.version());
    const [before] = warmProcesses();
    let started = false;
    const underWay = runner.run(buildDownloadArgs({ url: slow.url('v.mp4'), targetDir: join(dir, 'under-way') }), {
      onStdoutLine: (line) => (started ||= line.startsWith('vstream-progress')),
    });
    await waitFor('the first download to be under way', () => started, 30_000);
    // What pip or apt does on an upgrade: the entry script is written anew.
    await writeFile(entry, await readFile(tools.ytDlp));
    const next = await runner.run(buildDownloadArgs({ url: fast.url('v.mp4'), targetDir: join(dir, 'next') }));
    assert.equal(next.ok, true);
    assert.match(messages.join('\n'), /yt-dlp changed on disk since \S+ was warmed up: warming it up again/);
    const now = warmProcesses().map((p) => p.pid);
    assert.ok(
      now.some((pid) => pid !== before?.pid),
      'a new warm process',
    );
    assert.equal((await underWay).ok, true, 'the run under way finished on the old one');
    await waitFor('the old warm process to end after its last run', () => !isAlive(before?.pid as number), 10_000);
    assert.deepEqual(await readFile(join(dir, 'under-way', 'source.mp4')), await readFile(source));
  } finally {
    await runner.close();
  }
  await waitFor('every warm process to end once closed', () => warmProcesses().length === 0, 10_000);
});

test('a yt-dlp that is not an entry script (a wrapper, a binary) runs as a process of its own', async () => {
  const runner = startYtDlpRunner(join(FIXTURES, 'late-sections-yt-dlp.mjs'));
  assert.equal(runner.kind, 'process');
  assert.equal(descendants(process.pid).length, 0, 'nothing started');
  await runner.close();
});

test('entryScriptPython: the python of pip and distribution entry scripts; nothing else', async () => {
  const pip = await readFile(tools.ytDlp, 'utf8');
  assert.match(entryScriptPython(pip) ?? '', /python[\d.]*$/);
  const debian = '#!/usr/bin/python3\nimport sys\nimport yt_dlp\nif __name__ == "__main__":\n    yt_dlp.main()\n';
  assert.equal(entryScriptPython(debian), '/usr/bin/python3');
  const env = '#!/usr/bin/env python3\nfrom yt_dlp import main\nmain()\n';
  assert.equal(entryScriptPython(env, '/usr/bin:/bin'), '/usr/bin/python3');
  assert.equal(entryScriptPython(env, '/nonexistent'), null, 'no python on PATH');
  assert.equal(entryScriptPython('#!/bin/bash\nexec python3 -m yt_dlp "$@"\n'), null);
  assert.equal(entryScriptPython('#!/usr/bin/env node\nimport yt_dlp\n'), null);
  assert.equal(entryScriptPython('#!/usr/bin/python3\nprint("a stand-in")\n'), null, 'a Python stand-in, not yt-dlp');
  assert.equal(
    entryScriptPython(`#!/usr/bin/python3\nimport yt_dlp\nyt_dlp.main()\n${'#'.repeat(2000)}`),
    null,
    'a zipapp',
  );
  const patched = '#!/usr/bin/python3\nimport yt_dlp\nyt_dlp.utils.std_headers.clear()\n';
  assert.equal(entryScriptPython(patched), null, 'a script that does more than call main');
});
