import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  compareSearchAttributes,
  conflictLine,
  indexedValueType,
  indexedValueTypeName,
  permissionDeniedLine,
  registerCommand,
  registeredLine,
  runWithoutLine,
  searchAttributesCheck,
  searchAttributesUsable,
} from '../../src/core/search-attribute-registration.js';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../src/core/search-attributes.js';
import { searchAttributeFlags } from '../../src/server/dev-server.js';

const ALL = Object.fromEntries(SEARCH_ATTRIBUTE_DEFINITIONS.map((d) => [d.name, d.type]));
const place = { address: 'temporal:7233', namespace: 'default' };

describe("vstream's search attributes on a server", () => {
  test('six, all Keyword but VstreamClips (Int), as the dev server flag takes them', () => {
    assert.deepEqual(searchAttributeFlags(), [
      '--search-attribute',
      'VstreamBatchId=Keyword',
      '--search-attribute',
      'VstreamVideoId=Keyword',
      '--search-attribute',
      'VstreamStatus=Keyword',
      '--search-attribute',
      'VstreamErrorType=Keyword',
      '--search-attribute',
      'VstreamHost=Keyword',
      '--search-attribute',
      'VstreamClips=Int',
    ]);
  });

  test("the operator API's IndexedValueType numbers, both ways", () => {
    assert.equal(indexedValueType('Keyword'), 2);
    assert.equal(indexedValueType('Int'), 3);
    assert.equal(indexedValueTypeName(2), 'Keyword');
    assert.equal(indexedValueTypeName(7), 'KeywordList');
    assert.equal(indexedValueTypeName(42), 'type 42');
  });

  test('missing ones, type conflicts, and which make a batch go without', () => {
    const complete = compareSearchAttributes({ ...ALL, CustomerId: 'Keyword' });
    assert.deepEqual(complete, { missing: [], conflicts: [] });
    assert.equal(searchAttributesUsable(complete), true);

    const partial = compareSearchAttributes({ VstreamBatchId: 'Keyword', VstreamClips: 'Keyword' });
    assert.deepEqual(
      partial.missing.map((d) => d.name),
      ['VstreamVideoId', 'VstreamStatus', 'VstreamErrorType', 'VstreamHost'],
    );
    assert.deepEqual(partial.conflicts, [{ name: 'VstreamClips', wanted: 'Int', registered: 'Keyword' }]);
    assert.equal(searchAttributesUsable(partial), false);
    assert.equal(searchAttributesUsable(compareSearchAttributes({})), false);
    assert.equal(searchAttributesUsable(compareSearchAttributes({ ...ALL, VstreamHost: 'Text' })), false);
  });

  test('the command that registers them names a namespace other than default', () => {
    assert.equal(registerCommand(place), 'vstream search-attributes --temporal-address temporal:7233');
    assert.equal(
      registerCommand({ address: 'a:1', namespace: 'prod' }),
      'vstream search-attributes --temporal-address a:1 --namespace prod',
    );
  });

  test("`vstream search-attributes`'s lines", () => {
    assert.equal(
      registeredLine([], 'default'),
      "search attributes: all 6 of vstream's were registered in namespace default",
    );
    const [batchId, , , , , clips] = SEARCH_ATTRIBUTE_DEFINITIONS;
    assert.equal(
      registeredLine([batchId!, clips!], 'prod'),
      'search attributes: added VstreamBatchId (Keyword), VstreamClips (Int) in namespace prod; the other 4 were there',
    );
    assert.equal(
      registeredLine(SEARCH_ATTRIBUTE_DEFINITIONS, 'default').endsWith('VstreamClips (Int) in namespace default'),
      true,
    );
    assert.equal(
      conflictLine([{ name: 'VstreamClips', wanted: 'Int', registered: 'Keyword' }], 'default'),
      "search attributes of namespace default conflict with vstream's: VstreamClips is Keyword (vstream needs Int); remove it (temporal operator search-attribute remove) or use another namespace",
    );
    assert.match(
      permissionDeniedLine(place),
      /^no permission to register search attributes in namespace default on temporal:7233 \(PERMISSION_DENIED\)/,
    );
    assert.ok(!permissionDeniedLine(place).includes('\n'));
  });

  test('doctor: ok, or a warning naming the missing ones and the command', () => {
    assert.deepEqual(searchAttributesCheck(compareSearchAttributes(ALL), place), {
      level: 'ok',
      name: 'search attributes',
      detail: 'all 6 registered in namespace default on temporal:7233',
    });
    const rest = Object.fromEntries(
      Object.entries(ALL).filter(([name]) => name !== 'VstreamHost' && name !== 'VstreamStatus'),
    );
    assert.deepEqual(searchAttributesCheck(compareSearchAttributes(rest), place), {
      level: 'warn',
      name: 'search attributes',
      detail:
        'missing in namespace default on temporal:7233: VstreamStatus, VstreamHost; run `vstream search-attributes --temporal-address temporal:7233`',
    });
    const conflict = searchAttributesCheck(compareSearchAttributes({ ...ALL, VstreamClips: 'Double' }), place);
    assert.equal(conflict.level, 'warn');
    assert.match(conflict.detail, /VstreamClips is Double \(vstream needs Int\)/);
  });

  test("run's one line when a new batch goes without them; none when it has them", () => {
    assert.equal(runWithoutLine(compareSearchAttributes(ALL), place), null);
    assert.equal(
      runWithoutLine(compareSearchAttributes({}), place),
      'vstream: namespace default lacks VstreamBatchId, VstreamVideoId, VstreamStatus, VstreamErrorType, VstreamHost, VstreamClips: the batch runs without search attributes (nothing to filter it by in the Temporal UI); `vstream search-attributes --temporal-address temporal:7233` adds them for the next batches',
    );
    assert.match(
      runWithoutLine({ reason: 'PERMISSION_DENIED' }, place) ?? '',
      /^vstream: the search attributes of namespace default could not be listed \(PERMISSION_DENIED\): the batch runs without/,
    );
    const conflict = runWithoutLine(compareSearchAttributes({ ...ALL, VstreamClips: 'Keyword' }), place) ?? '';
    assert.match(conflict, /VstreamClips is Keyword .*; the batch runs without search attributes/);
    assert.ok(!conflict.includes('adds them'), 'the command cannot fix a conflict');
  });
});
