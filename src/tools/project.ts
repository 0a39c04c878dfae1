import { fileURLToPath } from 'node:url';

/** The repository root (this file is compiled to dist/src/tools/). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
