// The embedded Temporal dev server of an output folder. Light on purpose (no SDK import):
// `vstream run` launches it first, so the server boots while node loads the Temporal SDK.
import { join } from 'node:path';
import type { Logger } from '../activities/index.js';
import * as layout from '../core/layout.js';
import { launchDevServer, type LaunchedDevServer } from '../server/dev-server.js';
import { resolveTool } from '../tools/binaries.js';
import { outputFolderUiPort } from '../tools/ui-port.js';

/** Spawns the server on `<out>/_vstream/temporal.db`; resolves once spawned (`ready` once it answers). */
export async function launchEmbeddedServer(
  outDir: string,
  namespace: string,
  logger: Logger,
): Promise<LaunchedDevServer> {
  return launchDevServer({
    temporalBin: resolveTool('temporal'),
    dbFile: layout.temporalDbPath(outDir),
    logFile: join(layout.stateDir(outDir), 'temporal-server.log'),
    namespace,
    uiPort: await outputFolderUiPort(outDir, (message) => logger.warn({}, message)),
  });
}
