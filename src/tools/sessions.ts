/**
 * A device's encode-session budget: an ffmpeg writing k clips holds k sessions. Taken
 * all at once (no deadlock between passes), first come first served.
 */
export class Sessions {
  private inUse = 0;
  private readonly waiting: Array<{ count: number; grant: () => void }> = [];

  constructor(readonly capacity: number) {}

  get used(): number {
    return this.inUse;
  }

  async acquire(count: number, signal?: AbortSignal): Promise<() => void> {
    const wanted = Math.min(count, this.capacity);
    if (this.waiting.length === 0 && this.inUse + wanted <= this.capacity) {
      this.inUse += wanted;
    } else {
      await new Promise<void>((resolve, reject) => {
        const entry = { count: wanted, grant: resolve };
        this.waiting.push(entry);
        signal?.addEventListener('abort', () => {
          const at = this.waiting.indexOf(entry);
          if (at >= 0) {
            this.waiting.splice(at, 1);
            reject(signal.reason);
          }
        });
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= wanted;
      this.grantWaiting();
    };
  }

  private grantWaiting(): void {
    while (this.waiting.length > 0 && this.inUse + (this.waiting[0]?.count ?? 0) <= this.capacity) {
      const next = this.waiting.shift() as { count: number; grant: () => void };
      this.inUse += next.count;
      next.grant();
    }
  }
}

/**
 * The encode queues of this host and how much work each has been given: a finished
 * download sends its encode to the least loaded one.
 */
export class EncodeQueues {
  private readonly assigned = new Map<string, number>();

  constructor(private readonly queues: ReadonlyArray<{ name: string; capacity: number }>) {
    if (queues.length === 0) throw new Error('a host needs at least one encode queue');
    for (const queue of queues) this.assigned.set(queue.name, 0);
  }

  get names(): string[] {
    return this.queues.map((q) => q.name);
  }

  pick(): string {
    const load = (q: { name: string; capacity: number }) => (this.assigned.get(q.name) ?? 0) / q.capacity;
    const chosen = this.queues.reduce((best, q) => (load(q) < load(best) ? q : best));
    this.assigned.set(chosen.name, (this.assigned.get(chosen.name) ?? 0) + 1);
    return chosen.name;
  }

  done(name: string): void {
    this.assigned.set(name, Math.max(0, (this.assigned.get(name) ?? 0) - 1));
  }
}
