// Usage errors: exit 2 with one line naming the problem, before anything starts.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { execa } from 'execa';
import { runCli, tempDir } from '../helpers/e2e.js';
import { ROOT } from '../helpers/paths.js';

let root: string;
before(async () => {
  root = await tempDir('usage');
  await mkdir(join(root, 'clips'));
  await writeFile(join(root, 'urls.txt'), 'http://127.0.0.1:1/a.mp4\n');
});

const cases: Array<[string, () => string[], RegExp]> = [
  [
    'an unknown flag',
    () => ['run', '-u', join(root, 'urls.txt'), '-c', join(root, 'clips'), '-o', join(root, 'out'), '--frobnicate'],
    /unknown option '--frobnicate'/,
  ],
  [
    'a missing required flag',
    () => ['run', '-u', join(root, 'urls.txt'), '-o', join(root, 'out')],
    /required option '-c, --input-clip-dir <dir>' not specified/,
  ],
  [
    'a missing URL list',
    () => ['run', '-u', join(root, 'nope.txt'), '-c', join(root, 'clips'), '-o', join(root, 'out')],
    /--urls-file: no such file: .*nope\.txt/,
  ],
  [
    'a missing clip folder',
    () => ['run', '-u', join(root, 'urls.txt'), '-c', join(root, 'nope'), '-o', join(root, 'out')],
    /--input-clip-dir: no such folder: .*nope/,
  ],
  [
    'a bad number',
    () => ['run', '-u', join(root, 'urls.txt'), '-c', join(root, 'clips'), '-o', join(root, 'out'), '-w', 'many'],
    /--workers must be a number/,
  ],
  ['an unknown command', () => ['frobnicate'], /unknown command 'frobnicate'/],
];

for (const [what, args, message] of cases) {
  test(`${what}: exit 2 and one line`, async () => {
    const run = await runCli(args());
    assert.equal(run.code, 2);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0] ?? '', message);
  });
}

test('--version prints the version of package.json and exits 0', async () => {
  const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const run = await runCli([flag]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), version);
  }
});

test('an output folder whose server database was cut off while it was created: one line saying so and what to do', async () => {
  const out = join(root, 'broken-out');
  const db = join(out, '_vstream', 'temporal.db');
  await mkdir(join(out, '_vstream'), { recursive: true });
  // What a run killed in its first second leaves: a database without the server's tables.
  await execa('python3', [
    '-c',
    'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("create table t (x)"); c.commit()',
    db,
  ]);
  const run = await runCli(['run', '-u', join(root, 'urls.txt'), '-c', join(root, 'clips'), '-o', out]);
  assert.equal(run.code, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  const last = run.stderr.trim().split('\n').at(-1) ?? '';
  assert.match(last, /^vstream: the embedded Temporal server stopped while starting: .*no such table: namespaces/);
  assert.ok(last.includes(`move ${db} and its -wal and -shm files aside`), last);
});
