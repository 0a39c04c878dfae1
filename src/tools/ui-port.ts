// The embedded Temporal UI's port of an output folder: chosen once, kept in _vstream/, so the
// links a run prints stay valid for the next run and for `vstream ui -o DIR`.
import * as layout from '../core/layout.js';
import { devServerUiUrl, freePort, portIsFree } from '../server/dev-server.js';
import { readJsonIfExists, writeJsonAtomic } from './fs.js';

interface StoredUiPort {
  port: number;
}

/** The port kept for the folder's UI, if any. */
export async function storedUiPort(outDir: string): Promise<number | null> {
  const stored = await readJsonIfExists<StoredUiPort>(layout.uiPortPath(outDir)).catch(() => undefined);
  return Number.isInteger(stored?.port) ? (stored as StoredUiPort).port : null;
}

/** The folder's UI address (`vstream run` and `vstream ui` serve it there), when a port was ever kept for it. */
export async function outputFolderUiUrl(outDir: string): Promise<string | null> {
  const port = await storedUiPort(outDir);
  return port === null ? null : devServerUiUrl(port);
}

/**
 * The folder's UI port: the stored one while nothing else listens on it; otherwise a new
 * free one, kept from now on (`note` says so when it replaces one).
 */
export async function outputFolderUiPort(outDir: string, note: (message: string) => void): Promise<number> {
  const path = layout.uiPortPath(outDir);
  const previous = await storedUiPort(outDir);
  if (previous !== null && (await portIsFree(previous))) return previous;
  const port = await freePort();
  if (previous !== null)
    note(
      `the Temporal UI port of ${outDir} (${previous}) is taken by another program; its UI is on port ${port} from now on`,
    );
  await writeJsonAtomic(path, { port } satisfies StoredUiPort);
  return port;
}
