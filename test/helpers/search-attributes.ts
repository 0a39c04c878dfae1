// Registers vstream's search attributes on a test server through the operator API, for
// the tests and recordings that run batches with `searchAttributes: true`. Adds only the
// missing ones, so a server that already has them is left as it is.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../src/core/search-attributes.js';

/** temporal.api.enums.v1.IndexedValueType (@temporalio/proto is not a dependency of ours). */
const INDEXED_VALUE_TYPE = { Keyword: 2, Int: 3 } as const;

export async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  const namespace = env.namespace ?? 'default';
  const operator = env.connection.operatorService;
  const { customAttributes } = await operator.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTE_DEFINITIONS.filter(({ name }) => !customAttributes?.[name]);
  if (missing.length === 0) return;
  const searchAttributes = Object.fromEntries(missing.map(({ name, type }) => [name, INDEXED_VALUE_TYPE[type]]));
  await operator.addSearchAttributes({ namespace, searchAttributes });
}
