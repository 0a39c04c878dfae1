import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/client/exit-codes.js';
import { OPTION_DEFAULTS, parseWorkerOptions } from '../../src/client/options.js';
import { PROJECT_ROOT } from '../../src/tools/project.js';
import { promoteCommand, versionedWorker, vstreamVersion } from '../../src/worker/deployment.js';

const raw = (over: Record<string, unknown> = {}) => ({
  ...OPTION_DEFAULTS,
  hostId: 'h1',
  versioning: true,
  ...over,
});

describe('vstream worker: its Worker Deployment version', () => {
  test("the build ID is vstream's version from package.json", () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(vstreamVersion(), pkg.version);
    assert.deepEqual(parseWorkerOptions(raw()).deployment, { deploymentName: 'vstream', buildId: pkg.version });
  });

  test('--deployment-name and --build-id override; --no-versioning polls unversioned', () => {
    assert.deepEqual(parseWorkerOptions(raw({ deploymentName: 'gpu-fleet', buildId: '0.3.0-rc.1' })).deployment, {
      deploymentName: 'gpu-fleet',
      buildId: '0.3.0-rc.1',
    });
    assert.equal(parseWorkerOptions(raw({ versioning: false })).deployment, null);
  });

  test('a deployment name with a dot, or an empty build ID, is a usage error', () => {
    assert.throws(
      () => parseWorkerOptions(raw({ deploymentName: 'a.b' })),
      (err: unknown) => err instanceof UsageError && /--deployment-name/.test(err.message),
    );
    assert.throws(
      () => parseWorkerOptions(raw({ buildId: '' })),
      (err: unknown) => err instanceof UsageError && /--build-id/.test(err.message),
    );
  });

  test('versioned workers auto-upgrade their workflows; the promotion command names the version', () => {
    const version = { deploymentName: 'vstream', buildId: '0.3.0' };
    assert.deepEqual(versionedWorker(version), {
      useWorkerVersioning: true,
      version,
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    });
    assert.equal(
      promoteCommand(version),
      'temporal worker deployment set-current-version --deployment-name vstream --build-id 0.3.0',
    );
  });
});
