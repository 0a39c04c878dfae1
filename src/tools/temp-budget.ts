import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes of every file below a folder (0 when it does not exist). */
export async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(path);
    else total += (await stat(path).catch(() => null))?.size ?? 0;
  }
  return total;
}

export interface AdmitOptions {
  /** Called while the download waits, with the bytes in use. */
  onWait: (usedBytes: number) => void;
  signal?: AbortSignal;
  pollMs?: number;
}

/**
 * The worker's temporary-disk budget (--max-temp-gb): a download starts only when
 * the sources on disk, the rest of the downloads under way and its own expected
 * size fit. Decisions are taken one at a time, so two downloads never both squeeze in.
 */
export class TempBudget {
  private readonly downloading = new Map<string, { dir: string; expected: number }>();
  private readonly workDirs = new Set<string>();
  private decisions: Promise<unknown> = Promise.resolve();

  constructor(readonly limitBytes: number) {}

  /** Bytes held now: files in the work dirs plus what running downloads still expect. */
  async usedBytes(except?: string): Promise<number> {
    let used = 0;
    for (const dir of this.workDirs) used += await folderBytes(dir);
    for (const [key, download] of this.downloading) {
      if (key !== except) used += Math.max(0, download.expected - (await folderBytes(download.dir)));
    }
    return used;
  }

  async admit(
    key: string,
    download: { dir: string; workDir: string; expected: number },
    options: AdmitOptions,
  ): Promise<void> {
    this.workDirs.add(download.workDir);
    const decide = async (): Promise<void> => {
      for (;;) {
        if (options.signal?.aborted) throw options.signal.reason;
        // A retry's partial file is already on disk: count it once.
        const needed = Math.max(0, download.expected - (await folderBytes(download.dir)));
        const used = await this.usedBytes(key);
        if (used + needed <= this.limitBytes) {
          this.downloading.set(key, { dir: download.dir, expected: download.expected });
          return;
        }
        options.onWait(used);
        await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1_000));
      }
    };
    const turn = this.decisions.then(decide, decide);
    this.decisions = turn.catch(() => undefined);
    await turn;
  }

  /** The download is over: its file now counts as what it is on disk. */
  finished(key: string): void {
    this.downloading.delete(key);
  }
}
