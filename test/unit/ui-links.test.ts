import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchUiLinks, batchVideosQuery, uiLinkLines } from '../../src/core/ui-links.js';

const UI = 'http://127.0.0.1:24123';
const queryOf = (url: string) => new URL(url).searchParams.get('query');

test('ui links: with search attributes, the lists filter by batch and status, URL-encoded', () => {
  const links = batchUiLinks({ uiUrl: UI, namespace: 'default', batchId: 'b-1', searchAttributes: true });
  assert.equal(links.batch, `${UI}/namespaces/default/workflows/b-1`);
  assert.equal(queryOf(links.videos), 'VstreamBatchId="b-1" AND VstreamVideoId IS NOT NULL');
  assert.equal(
    queryOf(links.failed as string),
    'VstreamBatchId="b-1" AND VstreamVideoId IS NOT NULL AND VstreamStatus="failed"',
  );
  assert.equal(
    queryOf(links.partial as string),
    'VstreamBatchId="b-1" AND VstreamVideoId IS NOT NULL AND VstreamStatus="partial"',
  );
  // Encoded: no raw space, quote or equals sign after `query=`.
  const raw = (links.failed as string).split('?query=')[1] ?? '';
  assert.doesNotMatch(raw, /[ "=]/);
  assert.ok(links.failed?.startsWith(`${UI}/namespaces/default/workflows?query=`));
});

test('ui links: without search attributes, the videos list filters by workflow ID and no status link is made', () => {
  const links = batchUiLinks({ uiUrl: UI, namespace: 'my ns', batchId: 'vstream-abc', searchAttributes: false });
  assert.equal(queryOf(links.videos), 'WorkflowId STARTS_WITH "vstream-abc/"');
  assert.equal(links.failed, null);
  assert.equal(links.partial, null);
  assert.ok(links.batch.startsWith(`${UI}/namespaces/my%20ns/workflows/`));
  assert.deepEqual(
    uiLinkLines(links).map((line) => line.split(':')[0]),
    ['Temporal UI', '  its videos'],
  );
});

test('ui links: every link is printed when there is one', () => {
  const lines = uiLinkLines(batchUiLinks({ uiUrl: UI, namespace: 'default', batchId: 'b', searchAttributes: true }));
  assert.deepEqual(
    lines.map((line) => line.split(': ')[0]),
    ['Temporal UI', '  its videos', '  failed videos', '  partial videos'],
  );
});

test('ui links: a quote in a value stays inside its string literal', () => {
  assert.equal(
    batchVideosQuery('b', true, 'a"b'),
    'VstreamBatchId="b" AND VstreamVideoId IS NOT NULL AND VstreamStatus="a\\"b"',
  );
});
