// The first steps of `vstream run`, taken before the Temporal SDK and the rest of the run
// load (about 0.2 s on 2 cores): check the inputs, take the output folder's lock, listen
// for Ctrl-C, and launch the embedded server, which boots while the rest loads.
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as layout from '../core/layout.js';
import { launchDevServer, type LaunchedDevServer } from '../server/dev-server.js';
import { resolveTool } from '../tools/binaries.js';
import { ScratchFiles } from '../tools/scratch.js';
import { readOutputSettings } from '../tools/snapshot-store.js';
import { outputFolderUiPort } from '../tools/ui-port.js';
import { UsageError } from './exit-codes.js';
import { acquireRunLock, type RunLock } from './lock.js';
import type { RunOptions } from './options.js';
import { runBatchId, withRateControl } from './run-input.js';
import { Stopper } from './stopper.js';

/** Where a run's batch lives. */
export interface BatchPlace {
  outDir: string;
  batchId: string;
  workDir: string;
  /** The run's own server, on the output folder's history (no --temporal-address). */
  embeddedServer: boolean;
}

export interface RunStart {
  /** As asked, with the output folder's rate control. */
  options: RunOptions;
  place: BatchPlace;
  lock: RunLock;
  /**
   * The embedded server, launched and maybe still booting; null with --temporal-address,
   * or when the batch has a stored report, which may settle it without a server.
   */
  server: LaunchedDevServer | null;
  /** Notes for the log, which opens later. */
  notes: string[];
  scratch: ScratchFiles;
  /**
   * Listening from before the server launched: a Ctrl-C while the rest loads stops the
   * run once the server is up, never the server in the middle of creating its database.
   */
  stopper: Stopper;
  /** Undoes the start when the run cannot go on: the server stopped, the lock released. */
  abandon(): Promise<void>;
}

async function requireInput(path: string, flag: string, kind: 'file' | 'dir'): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new UsageError(`${flag}: no such ${kind === 'file' ? 'file' : 'folder'}: ${path}`);
  if (kind === 'file' && !info.isFile()) throw new UsageError(`${flag}: not a file: ${path}`);
  if (kind === 'dir' && !info.isDirectory()) throw new UsageError(`${flag}: not a folder: ${path}`);
}

/** Check inputs: the URL list and the clip folder exist; the output and work folders are made. Returns the work folder. */
async function checkInputs(options: Pick<RunOptions, 'urlsFile' | 'clipDir' | 'outDir' | 'workDir'>): Promise<string> {
  await requireInput(options.urlsFile, '--urls-file', 'file');
  await requireInput(options.clipDir, '--input-clip-dir', 'dir');
  await mkdir(options.outDir, { recursive: true });
  const workDir = options.workDir ?? layout.defaultWorkDir(options.outDir);
  await mkdir(workDir, { recursive: true });
  return workDir;
}

/** The embedded Temporal server on the output folder's history, launched (not yet ready). */
export async function launchEmbeddedServer(
  outDir: string,
  namespace: string,
  note: (message: string) => void,
): Promise<LaunchedDevServer> {
  return launchDevServer({
    temporalBin: resolveTool('temporal'),
    dbFile: layout.temporalDbPath(outDir),
    logFile: join(layout.stateDir(outDir), 'temporal-server.log'),
    namespace,
    uiPort: await outputFolderUiPort(outDir, note),
  });
}

export async function startRun(requested: RunOptions): Promise<RunStart> {
  const options = withRateControl(requested, await readOutputSettings(requested.outDir));
  const workDir = await checkInputs(options);
  const place: BatchPlace = {
    outDir: options.outDir,
    batchId: runBatchId(options),
    workDir,
    embeddedServer: !options.temporalAddress,
  };
  const lock = await acquireRunLock(layout.lockPath(options.outDir), `output folder ${options.outDir}`);
  const scratch = new ScratchFiles();
  const stopper = new Stopper(
    (line) => console.log(line),
    scratch,
    `vstream: stopping: no new videos; running downloads and encodes may finish for up to ${options.graceSeconds} s (Ctrl-C again to stop at once); running the same command again resumes`,
  );
  try {
    const notes: string[] = [];
    const reported = await stat(layout.batchReportPath(place.outDir, place.batchId)).then(
      () => true,
      () => false,
    );
    const server =
      options.temporalAddress || reported
        ? null
        : await launchEmbeddedServer(options.outDir, options.namespace, (message) => notes.push(message));
    const abandon = async () => {
      stopper.dispose();
      await server?.stop();
      await lock.release();
    };
    return { options, place, lock, server, notes, scratch, stopper, abandon };
  } catch (err) {
    stopper.dispose();
    await lock.release();
    throw err;
  }
}
