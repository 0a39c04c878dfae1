import { resolve } from 'node:path';
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import * as layout from '../core/layout.js';
import { startDevServer } from '../server/dev-server.js';
import { resolveTool } from '../tools/binaries.js';
import { outputFolderUiPort } from '../tools/ui-port.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { acquireRunLock } from './lock.js';

/** `vstream ui -o DIR`: serves the Temporal UI over a finished run's history until Ctrl-C. */
export async function uiCommand(
  outputDir: string,
  namespace: string,
  out: (line: string) => void = console.log,
): Promise<number> {
  const outDir = resolve(outputDir);
  const dbFile = layout.temporalDbPath(outDir);
  if (!(await stat(dbFile).catch(() => null)))
    throw new UsageError(`--output-dir: no vstream history in ${outDir} (${dbFile} is missing)`);
  const lock = await acquireRunLock(layout.lockPath(outDir), `output folder ${outDir}`);
  try {
    const server = await startDevServer({
      temporalBin: resolveTool('temporal'),
      dbFile,
      logFile: join(layout.stateDir(outDir), 'temporal-server.log'),
      namespace,
      uiPort: await outputFolderUiPort(outDir, (message) => out(`vstream: note: ${message}`)),
    });
    await lock.update({ uiUrl: server.uiUrl });
    out(`Temporal UI: ${server.uiUrl}/namespaces/${namespace}/workflows (Ctrl-C to stop)`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await server.stop();
  } finally {
    await lock.release();
  }
  return ExitCode.ok;
}
