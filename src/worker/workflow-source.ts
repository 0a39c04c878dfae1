import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../tools/project.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.js', import.meta.url));
/** Written by `npm run build`; a worker starts in a second instead of bundling for several. */
export const PREBUILT_BUNDLE_PATH = join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');

export function workflowSource(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  return existsSync(PREBUILT_BUNDLE_PATH) ? { workflowBundle: { codePath: PREBUILT_BUNDLE_PATH } } : { workflowsPath: WORKFLOWS_PATH };
}
