// Worker Versioning: a fleet upgraded one host at a time has old and new workers polling the
// same queues. Once a new worker has completed a workflow task (new commands, a patch marker),
// an old worker replaying that workflow fails with nondeterminism. Versioned workers get
// workflow tasks only when their version is the deployment's current one, so old and new never
// take turns on one workflow (test/workflows/worker-versioning.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { PROJECT_ROOT } from '../tools/project.js';

/** vstream's version (package.json, the one source): the build ID of its workers. */
export function vstreamVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * AUTO_UPGRADE: a batch runs for days, so its workflows move to the promoted version on their
 * next task (the new code replays their history: patched() keeps that safe). PINNED would keep
 * a batch on the version it started with until it ends.
 */
export function versionedWorker(version: WorkerDeploymentVersion): WorkerDeploymentOptions {
  return { useWorkerVersioning: true, version, defaultVersioningBehavior: 'AUTO_UPGRADE' };
}

export type Promotion = { promoted: true } | { promoted: false; current: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Until a deployment's current version is first set, the server sends its workflow tasks to
 * unversioned workers only: a fresh fleet would never start, and in a fleet of unversioned
 * workers (0.2) the new ones would wait. The first worker of a deployment whose current
 * version was never set makes its own version current; after that, versions are promoted
 * explicitly (`temporal worker deployment set-current-version`), and a version set back to
 * unversioned by hand stays so. Retries while the server registers the deployment (its first
 * poll) and when another host promoted at the same moment.
 */
export async function promoteIfNeverSet(
  client: Client,
  version: WorkerDeploymentVersion,
  retry: { attempts: number; delayMs: number } = { attempts: 30, delayMs: 1_000 },
): Promise<Promotion> {
  const { namespace } = client.options;
  const { deploymentName, buildId } = version;
  for (let attempt = 1; ; attempt++) {
    try {
      const described = await client.workflowService.describeWorkerDeployment({ namespace, deploymentName });
      const { workerDeploymentInfo: info, conflictToken } = described;
      const routing = info?.routingConfig;
      if (routing?.currentVersionChangedTime) {
        return { promoted: false, current: routing.currentDeploymentVersion?.buildId ?? 'unversioned' };
      }
      if (info?.versionSummaries?.some((summary) => summary.deploymentVersion?.buildId === buildId)) {
        const identity = `vstream worker ${buildId}`;
        await client.workflowService.setWorkerDeploymentCurrentVersion({
          namespace,
          deploymentName,
          buildId,
          conflictToken,
          identity,
        });
        return { promoted: true };
      }
    } catch (err) {
      if (attempt >= retry.attempts) throw err;
    }
    if (attempt >= retry.attempts)
      throw new Error(`deployment ${deploymentName}: version ${buildId} was not registered by the server`);
    await sleep(retry.delayMs);
  }
}

/** The command that promotes a version, for the messages that ask for it. */
export const promoteCommand = ({ deploymentName, buildId }: WorkerDeploymentVersion) =>
  `temporal worker deployment set-current-version --deployment-name ${deploymentName} --build-id ${buildId}`;
