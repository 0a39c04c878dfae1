import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../../src/core/search-attributes.js';
import { resolveTool } from '../../src/tools/binaries.js';

let runtimeInstalled = false;

/**
 * A real local Temporal dev server from the installed CLI (the SDK's own download is not
 * reachable here), with vstream's search attributes registered as the embedded server has them.
 */
export async function createLocalEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: resolveTool('temporal') },
      ip: '127.0.0.1',
      extraArgs: ['--log-level', 'error'],
      searchAttributes: Object.values(SEARCH_ATTRIBUTES),
    },
  });
}
