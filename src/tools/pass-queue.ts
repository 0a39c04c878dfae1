import type { EncodePass } from '../core/encode-plan.js';

/**
 * The encode passes still to run, in order. A shared pass that fails is split into
 * single-clip passes that run next, so one bad clip costs only itself.
 */
export class PassQueue {
  private readonly waiting: EncodePass[];

  constructor(passes: Iterable<EncodePass>) {
    this.waiting = [...passes];
  }

  get size(): number {
    return this.waiting.length;
  }

  next(): EncodePass | undefined {
    return this.waiting.shift();
  }

  /** Puts each clip of a failed shared pass first in line, in its own pass. */
  splitToFront(pass: EncodePass): void {
    const { path, fileStartSeconds } = pass;
    this.waiting.unshift(...pass.clips.map((clip) => ({ clips: [clip], path, fileStartSeconds })));
  }
}
