#!/usr/bin/env node
// Runs the compiled test files (dist/test/**/*.test.js) with node's built-in runner,
// one file at a time: the end-to-end tests each use both cores.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.slice(2);

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findTests(path);
    return entry.name.endsWith('.test.js') ? [path] : [];
  });
}

const files = findTests(join(root, 'dist', 'test'))
  .filter((file) => only.length === 0 || only.some((part) => relative(root, file).includes(part)))
  .sort();
// A test that hangs fails after 10 minutes (the longest take about 1.5) instead of holding CI.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=600000', ...files], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(result.status ?? 1);
