import { fileURLToPath } from 'node:url';

/** Repository root (this file is compiled to dist/test/helpers/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
export const CLI = `${ROOT}bin/vstream.js`;
