import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { CliError } from './exit-codes.js';

interface LockHolder {
  pid: number;
  host: string;
  /** From /proc: tells a live holder from a new process that reused its pid. */
  processStart: string | null;
  startedAt: string;
  uiUrl?: string;
  /** The Temporal server the run uses: `status` and `cancel` reach the batch through it. */
  address?: string;
}

function processStart(pid: number): string | null {
  try {
    // Field 22 of /proc/<pid>/stat, after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  return holder.processStart === null || processStart(holder.pid) === holder.processStart;
}

/** The live run holding this lock, if any (a dead holder's lock does not count). */
export async function readLiveHolder(path: string): Promise<LockHolder | null> {
  const holder = await readFile(path, 'utf8')
    .then((text) => JSON.parse(text) as LockHolder)
    .catch(() => null);
  return holder && holder.host === hostname() && isAlive(holder) ? holder : null;
}

export interface RunLock {
  holder: LockHolder;
  update(fields: Partial<LockHolder>): Promise<void>;
  release(): Promise<void>;
}

/**
 * One run per output folder: the lock file names its holder; a lock left by a
 * dead process (killed, crashed) on this host is taken over.
 */
export type { LockHolder };

export async function acquireRunLock(path: string, what: string): Promise<RunLock> {
  await mkdir(dirname(path), { recursive: true });
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    processStart: processStart(process.pid),
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(JSON.stringify(holder));
      await file.close();
      return {
        holder,
        update: async (fields) => {
          Object.assign(holder, fields);
          const file = await open(path, 'w');
          await file.writeFile(JSON.stringify(holder));
          await file.close();
        },
        release: () => rm(path, { force: true }),
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // Unreadable or half-written by a killed run: stale.
    const current = await readFile(path, 'utf8')
      .then((text) => JSON.parse(text) as LockHolder)
      .catch(() => null);
    if (current && (current.host !== holder.host || isAlive(current))) {
      const ui = current.uiUrl ? `; its Temporal UI is at ${current.uiUrl}` : '';
      throw new CliError(
        `${what} is in use by another vstream run (pid ${current.pid} on ${current.host}, since ${current.startedAt})${ui}`,
      );
    }
    await rm(path, { force: true });
  }
  throw new CliError(`could not take the lock ${path}: another vstream run is starting on ${what}`);
}
