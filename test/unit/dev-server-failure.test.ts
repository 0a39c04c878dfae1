import assert from 'node:assert/strict';
import { test } from 'node:test';
import { devServerStartFailure, serverFailureReason } from '../../src/core/dev-server-failure.js';

const CUT_OFF =
  'Error: failed starting server: failed creating namespaces: error creating namespace "default": SQL logic error: no such table: namespaces (1)';

test("the server's reason is the last line of its log that says what failed", () => {
  const log = `time=... level=WARN msg="something noisy"\n${CUT_OFF}\n\n`;
  assert.equal(serverFailureReason(log), CUT_OFF);
  assert.equal(
    serverFailureReason('Error: failed starting server: missing frontend port\n'),
    'Error: failed starting server: missing frontend port',
  );
  assert.equal(serverFailureReason(''), null);
  assert.equal(serverFailureReason('level=INFO msg=started\n'), null);
});

test('a database cut off while it was created gets what to do; other failures their reason and the log', () => {
  const cutOff = devServerStartFailure(CUT_OFF, '/o/_vstream/temporal-server.log', '/o/_vstream/temporal.db');
  assert.match(
    cutOff,
    /^the embedded Temporal server stopped while starting: Error: failed starting server: .*no such table/,
  );
  assert.match(cutOff, /\(log: \/o\/_vstream\/temporal-server\.log\)/);
  assert.match(
    cutOff,
    /holds no history: move \/o\/_vstream\/temporal\.db and its -wal and -shm files aside, then run the same command again$/,
  );
  const other = devServerStartFailure('Error: listen tcp: address already in use\n', '/l', '/d');
  assert.equal(
    other,
    'the embedded Temporal server stopped while starting: Error: listen tcp: address already in use (log: /l)',
  );
  assert.equal(devServerStartFailure('', '/l', '/d'), 'the embedded Temporal server stopped while starting (log: /l)');
});
