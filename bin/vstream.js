#!/usr/bin/env node
// vstream's command line. The TypeScript sources are compiled to dist/ by `npm ci` (prepare) or `npm run build`.
let cli;
try {
  cli = await import('../dist/src/client/cli.js');
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/client/cli.js')) {
    console.error('vstream: not built yet: run `npm ci` (or `npm run build`) in the repository first');
    process.exit(1);
  }
  throw err;
}
const code = await cli.main(process.argv);
// Exit explicitly: native Temporal handles can outlive a finished command.
process.exit(code);
