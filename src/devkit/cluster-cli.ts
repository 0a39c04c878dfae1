// `npm run cluster -- build|up|down|status [--dir DIR]`: the production stack natively
// (src/devkit/native-cluster.ts). `up` leaves it running and records it in DIR; `down`
// stops it and removes DIR.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { ensureServerBuild, recordedClusterState, startNativeCluster, stopRecordedCluster } from './native-cluster.js';

const say = (line: string) => process.stderr.write(`cluster: ${line}\n`);
const DEFAULT_DIR = join(tmpdir(), 'vstream-cluster');

const program = new Command('cluster').description("vstream's production stack without Docker");
program
  .command('build')
  .description('build temporal-server and temporal-sql-tool at the pinned release, once (cached)')
  .action(async () => {
    const build = await ensureServerBuild({ log: say });
    say(`Temporal ${build.version}: ${build.server}`);
  });
program
  .command('up')
  .description('PostgreSQL, schema, Temporal server, namespace and search attributes; left running')
  .option('--dir <dir>', 'its data, logs and state', DEFAULT_DIR)
  .action(async ({ dir }: { dir: string }) => {
    const running = await recordedClusterState(dir);
    if (running?.running) {
      say(`already up on ${running.address} (${dir}); 'npm run cluster -- down' stops it`);
      process.exitCode = 1;
      return;
    }
    if (running) await stopRecordedCluster(dir);
    const build = await ensureServerBuild({ log: say });
    const cluster = await startNativeCluster({ dir, build, tied: false, log: say });
    say(`up: Temporal ${build.version} on ${cluster.address}, namespace ${cluster.namespace} (logs in ${dir})`);
    process.stdout.write(`${cluster.address}\n`);
  });
program
  .command('down')
  .description('stop the stack and remove its folder')
  .option('--dir <dir>', 'the folder `up` used', DEFAULT_DIR)
  .action(async ({ dir }: { dir: string }) => {
    const state = await stopRecordedCluster(dir);
    say(state ? `stopped the stack on ${state.address}` : `no stack recorded in ${dir}`);
  });
program
  .command('status')
  .description("the stack's address and whether it runs")
  .option('--dir <dir>', 'the folder `up` used', DEFAULT_DIR)
  .action(async ({ dir }: { dir: string }) => {
    const state = await recordedClusterState(dir);
    if (!state) say(`no stack recorded in ${dir}`);
    else
      say(
        `${state.running ? 'up' : 'DOWN'}: Temporal ${state.version} on ${state.address} (PostgreSQL ${state.postgresPort})`,
      );
    process.exitCode = state?.running ? 0 : 1;
  });

program.parseAsync().catch((err: unknown) => {
  say((err as Error).message);
  process.exitCode = 1;
});
