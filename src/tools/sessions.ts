import { dirname } from 'node:path';
import { ACTIVITY_DEFAULTS } from '../config.js';

/**
 * A device's encode-session budget: an ffmpeg writing k clips holds k sessions. Taken
 * all at once (no deadlock between passes), first come first served.
 */
export class Sessions {
  private inUse = 0;
  private readonly waiting: Array<{ count: number; grant: () => void }> = [];

  constructor(
    readonly capacity: number,
    /** Told the sessions in use after each change (the metrics' gauge). */
    private readonly onChange: (inUse: number) => void = () => undefined,
  ) {}

  get used(): number {
    return this.inUse;
  }

  async acquire(count: number, signal?: AbortSignal): Promise<() => void> {
    const wanted = Math.min(count, this.capacity);
    if (this.waiting.length === 0 && this.inUse + wanted <= this.capacity) {
      this.inUse += wanted;
      this.onChange(this.inUse);
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
      this.onChange(this.inUse);
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

/** A video's key for its encode reservation: its source folder on this host, known to its download and its encode. */
export const encodeReservationKey = (sourcePath: string): string => dirname(sourcePath);

/** One encode queue of a host and how many encodes it takes at once. */
export interface EncodeQueue {
  name: string;
  capacity: number;
}

export interface EncodeQueuesOptions {
  /** How long a pick waits for its encode to start; ACTIVITY_DEFAULTS.hostTimeoutSeconds by default. */
  reservationMs?: number;
  now?: () => number;
  /** How often a waiting download looks again without being woken (reservations expire silently). */
  pollMs?: number;
}

/**
 * The encode queues of this host and how loaded each is: a finished download sends its
 * encode to the least loaded one (running encodes plus reserved ones, per unit of capacity).
 *
 * Why reservations, paired per attempt: the pick (end of the download) and the encode are
 * separate activities. Counting a pick until the encode's `finally` drifted: each retried
 * encode attempt's `finally` took one off, and a video abandoned after its download (cancelled,
 * or moved to another host) never did. Now a pick reserves a place for the video, which ends
 * when an encode attempt of that video starts (it becomes a running encode, released by that
 * attempt's own `finally`) or when it expires: the workflow gives the encode the host timeout to
 * start (its scheduleToStartTimeout), so after that long it never will on this host.
 */
export class EncodeQueues {
  private readonly running = new Map<string, number>();
  /** Reservations by video key (the video's source folder on this host). */
  private readonly reserved = new Map<string, { queue: string; expiresAt: number }>();
  private readonly reservationMs: number;
  private readonly now: () => number;
  private readonly pollMs: number;
  /** Downloads waiting for room, oldest first. */
  private readonly waiting: Array<{ key: string; admit: (queue: string) => void }> = [];
  private poll: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly queues: readonly EncodeQueue[],
    options: EncodeQueuesOptions = {},
  ) {
    if (queues.length === 0) throw new Error('a host needs at least one encode queue');
    this.reservationMs = options.reservationMs ?? ACTIVITY_DEFAULTS.hostTimeoutSeconds * 1000;
    this.now = options.now ?? Date.now;
    this.pollMs = options.pollMs ?? 1_000;
  }

  get names(): string[] {
    return this.queues.map((q) => q.name);
  }

  /** Encodes running on a queue plus the reservations for it that have not expired. */
  load(name: string): number {
    this.expire();
    let reservations = 0;
    for (const r of this.reserved.values()) if (r.queue === name) reservations++;
    return (this.running.get(name) ?? 0) + reservations;
  }

  /** Chooses the least loaded queue for a video's encode and reserves a place there. */
  pick(key: string): string {
    // A download that ran again after picking: its earlier pick is replaced.
    this.reserved.delete(key);
    const share = (q: EncodeQueue) => this.load(q.name) / q.capacity;
    const chosen = this.queues.reduce((best, q) => (share(q) < share(best) ? q : best));
    this.reserved.set(key, { queue: chosen.name, expiresAt: this.now() + this.reservationMs });
    return chosen.name;
  }

  /** Some queue takes another encode now (running plus reserved below its capacity). */
  hasRoom(): boolean {
    return this.queues.some((q) => this.load(q.name) < q.capacity);
  }

  /** Picks and reserves a queue only if one has room now and no download waits for one. */
  pickIfIdle(key: string): string | null {
    this.reserved.delete(key);
    return this.waiting.length === 0 && this.hasRoom() ? this.pick(key) : null;
  }

  /**
   * Picks a queue once one has room, first come first served. A download that ran ahead
   * of the encoders ends only then, so its encode starts as soon as it is scheduled:
   * queued on the task queue instead, it could outlive the host timeout behind a long
   * encode and be taken for a lost host.
   */
  pickWhenFree(key: string, options: { signal?: AbortSignal; onWait?: () => void } = {}): Promise<string> {
    // A download that ran again after picking: its earlier pick must not hold a place.
    this.reserved.delete(key);
    if (this.waiting.length === 0 && this.hasRoom()) return Promise.resolve(this.pick(key));
    options.onWait?.();
    return new Promise<string>((resolve, reject) => {
      const { signal } = options;
      const waiter = { key, admit: (queue: string) => resolve(queue) };
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.waiting.indexOf(waiter);
          if (at < 0) return;
          this.waiting.splice(at, 1);
          reject(signal.reason);
        },
        { once: true },
      );
      this.waiting.push(waiter);
      // Reservations expire without a call: look again now and then while anyone waits.
      if (!this.poll) {
        this.poll = setInterval(() => this.admitWaiting(), this.pollMs);
        this.poll.unref();
      }
    });
  }

  /**
   * An encode attempt of the video starts on `name`: its reservation, if any, becomes a
   * running encode. The attempt calls the returned release in its own `finally` (once counts).
   */
  start(name: string, key: string): () => void {
    this.reserved.delete(key);
    this.running.set(name, (this.running.get(name) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running.set(name, Math.max(0, (this.running.get(name) ?? 0) - 1));
      this.admitWaiting();
    };
  }

  /**
   * The video is done with this host (its source deleted): a reservation it still holds
   * (a download that picked, then the video was cancelled or failed before its encode
   * started) frees its place now instead of when it expires.
   */
  release(key: string): void {
    if (this.reserved.delete(key)) this.admitWaiting();
  }

  /** Waiting downloads pick, oldest first, while there is room. */
  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.hasRoom()) {
      const next = this.waiting.shift() as { key: string; admit: (queue: string) => void };
      next.admit(this.pick(next.key));
    }
    if (this.waiting.length === 0 && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
  }

  private expire(): void {
    const now = this.now();
    for (const [key, r] of this.reserved) if (r.expiresAt <= now) this.reserved.delete(key);
  }
}
