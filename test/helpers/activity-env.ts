// Helpers for activity tests: MockActivityEnvironment (samples-typescript hello-world's
// activities test) without its console logging, and a logger for activity deps that drops all.
import type { Info } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Logger } from '../../src/activities/index.js';

const drop = () => undefined;
export const silentLogger: Logger = { debug: drop, info: drop, warn: drop, error: drop };

/** A mock activity context whose failures (expected in these tests) are not printed; `client` is what the activity's Context.client gives. */
export function mockActivityEnv(info?: Partial<Info>, client?: Client): MockActivityEnvironment {
  return new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR', () => undefined), client });
}
