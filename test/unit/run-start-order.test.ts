// `vstream run` launches the embedded server before it loads the Temporal SDK, so the
// server boots while node loads it: the modules run-command.ts loads up to the launch
// must not import the SDK's client, worker or workflow packages (a static import added
// anywhere in that chain would quietly put the server's boot back after the SDK's load).
// @temporalio/common's search attribute keys are allowed: the server's flags name them.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The bare specifiers resolved while `entry` is imported (a module.register resolve hook). */
function sdkImportsOf(entry: string): string[] {
  const hooks = `export async function resolve(specifier, context, next) {
    if (specifier.startsWith('@temporalio/')) console.log('import ' + specifier);
    return next(specifier, context);
  }`;
  const register = `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));`;
  const output = execFileSync(
    process.execPath,
    [
      '--import',
      `data:text/javascript,${encodeURIComponent(register)}`,
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(entry).href)});`,
    ],
    { encoding: 'utf8' },
  );
  return output
    .split('\n')
    .filter((line) => line.startsWith('import '))
    .map((line) => line.slice('import '.length));
}

test('run-command loads no Temporal client or worker before it launches the server', () => {
  const runCommand = join(here, '..', '..', 'src', 'client', 'run-command.js');
  const heavy = sdkImportsOf(runCommand).filter((s) => /^@temporalio\/(client|worker|workflow)$/.test(s));
  assert.deepEqual(heavy, []);
});

test('the check sees the SDK where it is loaded (run-batch.ts)', () => {
  const runBatch = join(here, '..', '..', 'src', 'client', 'run-batch.js');
  const seen = sdkImportsOf(runBatch);
  assert.ok(seen.includes('@temporalio/client'), `resolved: ${seen.join(', ')}`);
});
