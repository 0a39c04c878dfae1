// The embedded server's ports are chosen free and bound a moment later; meanwhile the
// kernel may give one to an outgoing connection (a bench run saw "bind: address already
// in use" on the HTTP API port). A start that fails so is made again on new ports; any
// other failure, or a third clash, is reported as before. The real temporal CLI behind a
// stand-in that fails its first starts as the real one did.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { DevServerStartError } from '../../src/core/dev-server-failure.js';
import { launchDevServer } from '../../src/server/dev-server.js';
import { resolveTool } from '../../src/tools/binaries.js';
import { tempDir } from '../helpers/e2e.js';
import { FIXTURES } from '../helpers/paths.js';

let root: string;

before(async () => {
  root = await tempDir('dev-server-ports');
  process.env.VSTREAM_REAL_TEMPORAL = resolveTool('temporal');
});

function launch(name: string, clashes: number) {
  process.env.VSTREAM_TEST_CLASHES = String(clashes);
  process.env.VSTREAM_TEST_CLASH_STATE = join(root, `${name}.starts`);
  return launchDevServer({
    temporalBin: join(FIXTURES, 'port-clash-temporal.sh'),
    dbFile: join(root, `${name}.db`),
    logFile: join(root, `${name}.log`),
  });
}

const startsOf = async (name: string) => Number(await readFile(join(root, `${name}.starts`), 'utf8'));

test('a start whose port was taken is made again, and the server that comes up is the one used', async () => {
  const server = await launch('retried', 2);
  let exited = false;
  void server.exited.then(() => (exited = true));
  await server.ready;
  assert.equal(await startsOf('retried'), 3);
  assert.equal(exited, false, 'the failed starts are not the server exiting');
  const connection = await Connection.connect({ address: server.address });
  try {
    const { namespaceInfo } = await connection.workflowService.describeNamespace({ namespace: 'default' });
    assert.equal(namespaceInfo?.name, 'default');
  } finally {
    await connection.close();
  }
  await server.stop(0);
  await server.exited;
});

test('a third clash is reported with the server log, as any start failure', async () => {
  const server = await launch('clashing', 5);
  await assert.rejects(server.ready, (err: unknown) => {
    assert.ok(err instanceof DevServerStartError, String(err));
    assert.equal(err.portClash, true);
    assert.match(err.message, /stopped while starting: .*bind: address already in use \(log: .*clashing\.log\)/);
    return true;
  });
  assert.equal(await startsOf('clashing'), 3, 'three starts, no more');
});
