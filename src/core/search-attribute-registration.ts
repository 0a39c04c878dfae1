// Whether a namespace has vstream's search attributes, and what the commands say about
// it: pure, unit-tested. src/client/search-attributes-command.ts asks the server.
import type { CheckResult } from './doctor.js';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from './search-attributes.js';

export type SearchAttributeDefinition = (typeof SEARCH_ATTRIBUTE_DEFINITIONS)[number];

/** temporal.api.enums.v1.IndexedValueType by number, in the names the Temporal CLI uses. */
const INDEXED_VALUE_TYPES = ['Unspecified', 'Text', 'Keyword', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList'];

/** The name of an IndexedValueType as the operator API returns it. */
export function indexedValueTypeName(value: number): string {
  return INDEXED_VALUE_TYPES[value] ?? `type ${value}`;
}

/** The IndexedValueType number the operator API takes for a definition's type. */
export function indexedValueType(type: SearchAttributeDefinition['type']): number {
  return INDEXED_VALUE_TYPES.indexOf(type);
}

export interface SearchAttributeConflict {
  name: string;
  wanted: string;
  registered: string;
}

export interface SearchAttributeState {
  /** Not registered in the namespace: `vstream search-attributes` adds them. */
  missing: SearchAttributeDefinition[];
  /** Registered with another type: only an administrator can sort that out. */
  conflicts: SearchAttributeConflict[];
}

/** `registered`: the namespace's custom search attributes, name to type name. */
export function compareSearchAttributes(
  registered: Record<string, string>,
  wanted: ReadonlyArray<SearchAttributeDefinition> = SEARCH_ATTRIBUTE_DEFINITIONS,
): SearchAttributeState {
  const missing = wanted.filter((definition) => !(definition.name in registered));
  const conflicts = wanted
    .filter((definition) => definition.name in registered && registered[definition.name] !== definition.type)
    .map((definition) => ({
      name: definition.name,
      wanted: definition.type,
      registered: registered[definition.name] as string,
    }));
  return { missing, conflicts };
}

/** A batch upserts its search attributes only where every one is there with its type. */
export const searchAttributesUsable = (state: SearchAttributeState): boolean =>
  state.missing.length === 0 && state.conflicts.length === 0;

export interface ServerPlace {
  address: string;
  namespace: string;
}

/** The command that registers them on this server. */
export function registerCommand(place: ServerPlace): string {
  const namespace = place.namespace === 'default' ? '' : ` --namespace ${place.namespace}`;
  return `vstream search-attributes --temporal-address ${place.address}${namespace}`;
}

const names = (definitions: ReadonlyArray<SearchAttributeDefinition>) => definitions.map((d) => d.name).join(', ');

/** One line for every type conflict: the command cannot fix it (a type is fixed once registered). */
export function conflictLine(conflicts: SearchAttributeConflict[], namespace: string): string {
  const each = conflicts.map((c) => `${c.name} is ${c.registered} (vstream needs ${c.wanted})`).join(', ');
  return `search attributes of namespace ${namespace} conflict with vstream's: ${each}; remove ${conflicts.length === 1 ? 'it' : 'them'} (temporal operator search-attribute remove) or use another namespace`;
}

/** What `vstream search-attributes` did: `added` is what was missing. */
export function registeredLine(added: ReadonlyArray<SearchAttributeDefinition>, namespace: string): string {
  const total = SEARCH_ATTRIBUTE_DEFINITIONS.length;
  if (added.length === 0)
    return `search attributes: all ${total} of vstream's were registered in namespace ${namespace}`;
  const listed = added.map((d) => `${d.name} (${d.type})`).join(', ');
  const others = total - added.length;
  return `search attributes: added ${listed} in namespace ${namespace}${others > 0 ? `; the other ${others} were there` : ''}`;
}

/** `vstream search-attributes` without the operator API's permission. */
export function permissionDeniedLine(place: ServerPlace): string {
  return `no permission to register search attributes in namespace ${place.namespace} on ${place.address} (PERMISSION_DENIED): an administrator of the server must run \`${registerCommand(place)}\` (or register them in Temporal Cloud's namespace settings)`;
}

/** Doctor's line for the server's namespace. */
export function searchAttributesCheck(state: SearchAttributeState, place: ServerPlace): CheckResult {
  const name = 'search attributes';
  if (state.conflicts.length > 0)
    return { level: 'warn', name, detail: conflictLine(state.conflicts, place.namespace) };
  if (state.missing.length > 0)
    return {
      level: 'warn',
      name,
      detail: `missing in namespace ${place.namespace} on ${place.address}: ${names(state.missing)}; run \`${registerCommand(place)}\``,
    };
  return {
    level: 'ok',
    name,
    detail: `all ${SEARCH_ATTRIBUTE_DEFINITIONS.length} registered in namespace ${place.namespace} on ${place.address}`,
  };
}

/**
 * `vstream run`'s line when a new batch runs without them; `reason` when they could
 * not even be listed. Null when the batch uses them.
 */
export function runWithoutLine(state: SearchAttributeState | { reason: string }, place: ServerPlace): string | null {
  const without = 'the batch runs without search attributes (nothing to filter it by in the Temporal UI)';
  // A conflict is the administrator's to solve: the command cannot change a type.
  if (!('reason' in state) && state.conflicts.length > 0)
    return `vstream: ${conflictLine(state.conflicts, place.namespace)}; ${without}`;
  let why: string;
  if ('reason' in state)
    why = `the search attributes of namespace ${place.namespace} could not be listed (${state.reason})`;
  else if (state.missing.length > 0) why = `namespace ${place.namespace} lacks ${names(state.missing)}`;
  else return null;
  return `vstream: ${why}: ${without}; \`${registerCommand(place)}\` adds them for the next batches`;
}
