import { resolve } from 'node:path';
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import * as layout from '../core/layout.js';
import { Client, Connection } from '@temporalio/client';
import { batchUiLinks, uiLinkLines, type UiLinks } from '../core/ui-links.js';
import { startDevServer, type DevServer } from '../server/dev-server.js';
import { resolveTool } from '../tools/binaries.js';
import { outputFolderUiPort } from '../tools/ui-port.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { resolveBatchId, usesSearchAttributes } from './batch-lookup.js';
import { acquireRunLock } from './lock.js';

/** The links `run` printed for the folder's latest batch; rejects when there is none the server knows. */
async function latestBatchLinks(outDir: string, server: DevServer, namespace: string): Promise<UiLinks> {
  const batchId = await resolveBatchId(outDir, undefined);
  const connection = await Connection.connect({ address: server.address });
  try {
    const description = await new Client({ connection, namespace }).workflow.getHandle(batchId).describe();
    return batchUiLinks({
      uiUrl: server.uiUrl,
      namespace,
      batchId,
      searchAttributes: usesSearchAttributes(description),
    });
  } finally {
    await connection.close();
  }
}

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
    // The address too: `vstream status -o` asks this server, as it asks a run's.
    await lock.update({ uiUrl: server.uiUrl, address: server.address });
    out(`Temporal UI: ${server.uiUrl}/namespaces/${namespace}/workflows (Ctrl-C to stop)`);
    const latest = await latestBatchLinks(outDir, server, namespace).catch(() => null);
    if (latest) {
      out('  its latest batch:');
      uiLinkLines(latest).forEach((line) => out(`    ${line}`));
    }
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
