// The production stack with mTLS (src/devkit/native-cluster.ts with `tls`): certificates
// made here with openssl, the Temporal server requiring a client certificate on its
// frontend (and internode TLS, which its own worker service needs), the set-up steps
// (namespace, search attributes) through it. vstream with --tls-cert/--tls-key/--tls-ca
// runs a batch to the end; with the CA alone it is refused with one clear line, and so
// are status and cancel, at once rather than after the client's 10 s connect deadline.
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { StackTlsFiles } from '../../src/core/temporal-stack.js';
import type { Report } from '../../src/core/report.js';
import type { MediaServer } from '../../src/devkit/media-server.js';
import { ensureServerBuild, startNativeCluster, type NativeCluster } from '../../src/devkit/native-cluster.js';
import { makeTlsFiles } from '../helpers/certificates.js';
import { batchDirs, exitWithin, runArgs, serveSamples, startCli, tempDir, type BatchDirs } from '../helpers/e2e.js';

const NAMES = ['m0', 'm1'];

let root: string;
let tls: StackTlsFiles;
let cluster: NativeCluster;
let dirs: BatchDirs;
let media: MediaServer;

before(async () => {
  root = await tempDir('mtls');
  await mkdir(join(root, 'certs'));
  tls = await makeTlsFiles(join(root, 'certs'));
  const build = await ensureServerBuild({ log: (line) => console.log(`mtls: ${line}`) });
  const started = Date.now();
  cluster = await startNativeCluster({ dir: join(root, 'stack'), build, tied: true, tls });
  console.log(`mtls: Temporal ${build.version} with mTLS up in ${Date.now() - started} ms at ${cluster.address}`);
  dirs = await batchDirs('mtls-batch');
  media = await serveSamples(dirs, NAMES, { width: 320, height: 240, fps: 30, seconds: 2, pattern: 'noise' }, ['0 10']);
});

after(async () => {
  await cluster?.stop();
  await media?.close();
});

/** `vstream run` of the batch against the stack, into its own output folder. */
const run = (out: string, ...security: string[]) =>
  startCli(
    runArgs(
      { ...dirs, out: join(root, out) },
      '--temporal-address',
      cluster.address,
      '-w',
      '1',
      '-d',
      '0',
      '--x265-preset',
      'ultrafast',
      ...security,
    ),
  );

test('vstream run with --tls-cert, --tls-key and --tls-ca runs a batch to the end', async () => {
  const result = await exitWithin(
    run('out', '--tls-cert', tls.clientCert, '--tls-key', tls.clientKey, '--tls-ca', tls.ca),
    180_000,
  );
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  const report = JSON.parse(await readFile(join(root, 'out', '_vstream', 'report.json'), 'utf8')) as Report;
  assert.deepEqual(
    report.videos.map((v) => [v.videoId, v.status]).sort(),
    NAMES.map((n) => [n, 'succeeded']),
  );
});

test('without a client certificate the server refuses vstream: one clear line, a non-zero exit', async () => {
  // --encoder x265: no line about NVENC before it.
  const result = await exitWithin(run('refused-out', '--encoder', 'x265', '--tls-ca', tls.ca), 60_000);
  assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.match(
    result.stderr,
    /^vstream: the Temporal server [^\n]*client certificate[^\n]*\(mTLS\): pass --tls-cert and --tls-key\n$/,
  );
});

test('status and cancel without a client certificate: the same line, at once, a non-zero exit', async () => {
  for (const command of ['status', 'cancel']) {
    const started = Date.now();
    const result = await exitWithin(
      startCli([command, 'some-batch', '--temporal-address', cluster.address, '--tls-ca', tls.ca]),
      60_000,
    );
    assert.equal(result.code, 1, `${command}: ${result.stdout}\n${result.stderr}`);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      'vstream: the Temporal server requires a client certificate (mTLS): pass --tls-cert and --tls-key\n',
    );
    // The SDK's client alone says only "did not answer in time", after its 10 s deadline.
    assert.ok(Date.now() - started < 8_000, `${command} took ${Date.now() - started} ms`);
  }
});
