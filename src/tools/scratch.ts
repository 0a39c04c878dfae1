import { rmSync } from 'node:fs';

/**
 * Temporary files being written now (clips under their attempt name). Activities
 * add and remove them; a hard stop removes what is left before the process exits.
 */
export class ScratchFiles {
  private readonly paths = new Set<string>();

  add(path: string): void {
    this.paths.add(path);
  }

  delete(path: string): void {
    this.paths.delete(path);
  }

  /** Synchronous: runs on the way out of the process. */
  removeAll(): number {
    const count = this.paths.size;
    for (const path of this.paths) rmSync(path, { force: true });
    this.paths.clear();
    return count;
  }
}
