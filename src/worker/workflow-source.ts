// Where a worker gets its workflow code: the caller says which (samples-typescript
// `production/src/worker.ts` chooses by environment), never the presence of a file,
// so a stale bundle is never picked up by accident.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../tools/project.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.js', import.meta.url));
/** Written by `npm run build`; a worker starts in a second instead of bundling for several. */
export const PREBUILT_BUNDLE_PATH = join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');
/** `source` or `prebuilt`: overrides the caller's choice (e.g. `source` while editing workflows). */
export const WORKFLOW_SOURCE_ENV = 'VSTREAM_WORKFLOW_SOURCE';

/**
 * `prebuilt`: the CLI's workers (production), which start fast. `source`: tests, the
 * replay test and the recorder, which must run the workflow code as compiled now.
 */
/** The prebuilt bundle is missing or stale: a known error, printed as one line. */
export class WorkflowBundleError extends Error {}

export type WorkflowSourceKind = 'prebuilt' | 'source';
export type WorkflowSource = { workflowBundle: { codePath: string } } | { workflowsPath: string };

export function workflowSource(
  kind: WorkflowSourceKind,
  { env = process.env, bundlePath = PREBUILT_BUNDLE_PATH } = {},
): WorkflowSource {
  const override = env[WORKFLOW_SOURCE_ENV];
  if (override !== undefined && override !== 'source' && override !== 'prebuilt') {
    throw new Error(`${WORKFLOW_SOURCE_ENV} must be source or prebuilt, not ${JSON.stringify(override)}`);
  }
  if ((override ?? kind) === 'source') return { workflowsPath: WORKFLOWS_PATH };
  const fix = `run \`npm run build\` (or set ${WORKFLOW_SOURCE_ENV}=source to bundle at start)`;
  if (!existsSync(bundlePath))
    throw new WorkflowBundleError(`the prebuilt workflow bundle ${bundlePath} is missing: ${fix}`);
  // tsc alone rewrites dist/src without the bundle: refuse to run older code than was compiled.
  const built = statSync(bundlePath).mtimeMs;
  const compiled = join(dirname(WORKFLOWS_PATH), '..');
  const newer = readdirSync(compiled, { recursive: true, encoding: 'utf8' }).find(
    (name) => name.endsWith('.js') && statSync(join(compiled, name)).mtimeMs > built,
  );
  if (newer)
    throw new WorkflowBundleError(
      `the prebuilt workflow bundle ${bundlePath} is older than ${join(compiled, newer)}: ${fix}`,
    );
  return { workflowBundle: { codePath: bundlePath } };
}
