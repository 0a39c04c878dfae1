import assert from 'node:assert/strict';
import { test } from 'node:test';
import { devServerStartFailure, isPortClash, serverFailureReason } from '../../src/core/dev-server-failure.js';

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

test('a port taken before the server bound it is told apart from other start failures', () => {
  const tail = [
    'time=2026-12-01T16:57:21.393 level=ERROR msg="invoke failed" component=fx error="could not build arguments"',
    'Error: failed starting server: failed listening for HTTP API on 127.0.0.1:37705: listen tcp 127.0.0.1:37705: bind: address already in use',
  ].join('\n');
  assert.equal(isPortClash(tail), true);
  assert.equal(isPortClash('Error: failed starting server: no such table: namespaces\n'), false);
  // An old clash earlier in an appended log is not this start's reason.
  assert.equal(isPortClash(`${tail}\nError: failed starting server: database is locked\n`), false);
  assert.equal(isPortClash(''), false);
});
