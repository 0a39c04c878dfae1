import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as layout from '../../src/core/layout.js';
import { outputFolderUiPort } from '../../src/tools/ui-port.js';

const storedPort = async (outDir: string) =>
  (JSON.parse(await readFile(layout.uiPortPath(outDir), 'utf8')) as { port: number }).port;

test('ui port: chosen once per output folder and kept; a port taken by another program is replaced, and said so', async () => {
  const outDir = await mkdtemp(join(tmpdir(), 'vstream-ui-port-'));
  const notes: string[] = [];
  const note = (message: string) => notes.push(message);

  const first = await outputFolderUiPort(outDir, note);
  assert.equal(await storedPort(outDir), first);
  assert.equal(await outputFolderUiPort(outDir, note), first, 'a later run reuses it');
  assert.deepEqual(notes, []);

  const squatter = createServer();
  await new Promise<void>((done) => squatter.listen(first, '127.0.0.1', done));
  try {
    const second = await outputFolderUiPort(outDir, note);
    assert.notEqual(second, first);
    assert.equal(await storedPort(outDir), second, 'the new port is kept from now on');
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? '', new RegExp(`\\(${first}\\) is taken by another program; its UI is on port ${second}`));
  } finally {
    await new Promise((done) => squatter.close(done));
  }
});
