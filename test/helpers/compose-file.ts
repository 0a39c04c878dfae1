// Reads a compose file as `docker compose config` does, as far as docker-compose.yml
// needs it (anchors, `<<` merge keys, ${NAME}, ${NAME:-default}, ${NAME-default}, $$),
// and validates it against the Compose Specification's JSON schema (vendored from
// compose-spec/compose-go, test/fixtures/compose-spec/README.md): no Docker needed.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { FIXTURES } from './paths.js';

type Environment = Record<string, string | undefined>;

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^${}]*))?\}|\$/g;

/** One string with compose's interpolation; any other `$` form throws rather than pass unread. */
export function interpolate(text: string, env: Environment): string {
  return text.replace(VARIABLE, (match, name: string | undefined, operator?: string, fallback?: string) => {
    if (match === '$$') return '$';
    if (name === undefined) throw new Error(`unsupported interpolation in ${JSON.stringify(text)}`);
    const value = env[name];
    if (operator === ':-') return value ? value : (fallback ?? '');
    if (operator === '-') return value ?? fallback ?? '';
    if (value === undefined) throw new Error(`\${${name}} has no default: compose would put a blank string`);
    return value;
  });
}

/** Every string value interpolated (keys are not, as in compose); aliases become copies. */
function interpolateValues(value: unknown, env: Environment): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolateValues(item, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateValues(item, env)]));
  }
  return value;
}

export async function loadComposeFile(path: string, env: Environment = {}): Promise<Record<string, unknown>> {
  const document = parse(await readFile(path, 'utf8'), { merge: true }) as unknown;
  return interpolateValues(document, env) as Record<string, unknown>;
}

/** The schema's complaints about a loaded compose document, one line each; empty when valid. */
export async function composeSchemaErrors(document: unknown): Promise<string[]> {
  const schema = JSON.parse(await readFile(join(FIXTURES, 'compose-spec', 'compose-spec.json'), 'utf8')) as object;
  // strictTypes lints how a schema is written (union types, `type` beside `properties`):
  // compose-go's validator accepts this one as it is, so Ajv is told not to lint it.
  const validate = new Ajv2020({ allErrors: true, strictTypes: false }).compile(schema);
  if (validate(document)) return [];
  return (validate.errors ?? []).map(
    (error: ErrorObject) =>
      `${error.instancePath || '/'} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`,
  );
}
