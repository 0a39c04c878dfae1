// The encodes a host started while their sources still download, until the encode
// activity of each video takes its own over (or the download fails and stops it).
import { open, stat, type FileHandle } from 'node:fs/promises';
import { GROWING_SOURCE_DEFAULTS } from '../config.js';
import { boxHeader, type Mp4Box } from '../core/growing-source.js';

/** Where an encode pass reads its source: the finished file, or the growing one (ffmpeg `follow`). */
export interface SourceRead {
  path: string;
  growing: boolean;
}

/** The top-level MP4 boxes of the file at `path` from `offset` to its end, at most `max` of them. */
export async function mp4BoxesFrom(path: string, offset: number, max = 16): Promise<Mp4Box[]> {
  const handle = await open(path, 'r');
  try {
    const { size: fileBytes } = await handle.stat();
    const boxes: Mp4Box[] = [];
    const header = new Uint8Array(16);
    for (let at = offset; at < fileBytes && boxes.length < max;) {
      const { bytesRead } = await handle.read(header, 0, header.length, at);
      const box = boxHeader(header.subarray(0, bytesRead));
      if (!box) break;
      // Size 0: the box runs to the end of the file.
      const size = box.size === 0 ? fileBytes - at : box.size;
      if (size < 8) break;
      boxes.push({ type: box.type, size });
      at += size;
    }
    return boxes;
  } finally {
    await handle.close();
  }
}

/**
 * A source file while yt-dlp writes it. It is held open from the start, and ffmpeg reads it
 * through /proc/<pid>/fd/<n>: the same file whatever yt-dlp renames it to when it is done.
 */
export class GrowingFile {
  private finalPath: string | null = null;
  private readonly ended: Promise<string | null>;
  private end!: (finalPath: string | null) => void;

  private constructor(
    private readonly handle: FileHandle,
    /** Device and inode: the file is known under a new name after the handle is closed. */
    private readonly identity: { dev: number; ino: number },
  ) {
    this.ended = new Promise((resolve) => (this.end = resolve));
  }

  static async open(path: string): Promise<GrowingFile> {
    const handle = await open(path, 'r');
    try {
      const { dev, ino } = await handle.stat();
      return new GrowingFile(handle, { dev, ino });
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** The file as it grows, whatever its name: for ffprobe and ffmpeg. */
  get readPath(): string {
    return `/proc/${process.pid}/fd/${this.handle.fd}`;
  }

  /** The first `bytes` bytes written so far, and the file's size now. */
  async head(bytes: number): Promise<{ head: Uint8Array; size: number }> {
    const { size } = await this.handle.stat();
    const head = new Uint8Array(Math.min(bytes, size));
    const { bytesRead } = await this.handle.read(head, 0, head.length, 0);
    return { head: head.subarray(0, bytesRead), size };
  }

  /** Whether `path` names this very file (yt-dlp renames the file it wrote; it never copies it). */
  async isFileAt(path: string): Promise<boolean> {
    const named = await stat(path).catch(() => null);
    return named !== null && named.dev === this.identity.dev && named.ino === this.identity.ino;
  }

  /** The download ended and left the whole file at `finalPath`. */
  complete(finalPath: string): void {
    this.finalPath = finalPath;
    this.end(finalPath);
  }

  /** The download failed or was cancelled: passes waiting for its end give up. */
  abandon(): void {
    this.end(null);
  }

  /**
   * Where the next pass reads: the finished file once the download is done; the growing
   * one when the pass may read it (growing-source.ts passMayReadGrowing); else the
   * finished file after the download ends. Null when the download failed first.
   */
  async readFor(mayReadGrowing: boolean): Promise<SourceRead | null> {
    if (this.finalPath) return { path: this.finalPath, growing: false };
    if (mayReadGrowing) return { path: this.readPath, growing: true };
    const finalPath = await this.ended;
    return finalPath ? { path: finalPath, growing: false } : null;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/** An encode under way on one of the host's encode queues; `T` is the encode's own input and output. */
export interface EarlyEncode<In, Out, Progress> {
  queue: string;
  input: In;
  file: GrowingFile;
  /** Settles when the encode has ended (its temporary files removed, its encoder place freed). */
  done: Promise<Out>;
  progress(): Progress;
  stop(): void;
}

/**
 * The early encodes of this host by video (the source folder: encodeReservationKey). The
 * download adds one and hands it over at its end; the encode activity takes it; whatever
 * ends the video on this host (deleting its source) stops one left behind.
 */
export class EarlyEncodes<In, Out, Progress> {
  private readonly byKey = new Map<string, EarlyEncode<In, Out, Progress>>();
  private readonly unclaimedMs: number;

  constructor(options: { unclaimedMs?: number } = {}) {
    this.unclaimedMs = options.unclaimedMs ?? GROWING_SOURCE_DEFAULTS.unclaimedSeconds * 1000;
  }

  add(key: string, early: EarlyEncode<In, Out, Progress>): void {
    this.stop(key);
    this.byKey.set(key, early);
    // Cleared from the map whichever way it ends, so a later attempt starts afresh.
    void early.done.then(
      () => undefined,
      () => this.forget(key, early),
    );
  }

  /** The download is done and the encode goes on: one no encode activity takes in time is stopped. */
  handedOver(key: string, finalPath: string): void {
    const early = this.byKey.get(key);
    if (!early) return;
    early.file.complete(finalPath);
    setTimeout(() => {
      if (this.byKey.get(key) === early) this.stop(key);
    }, this.unclaimedMs).unref();
  }

  /** The encode activity of the video takes its early encode (it is no longer stopped for being unclaimed). */
  take(key: string): EarlyEncode<In, Out, Progress> | undefined {
    const early = this.byKey.get(key);
    this.byKey.delete(key);
    return early;
  }

  stop(key: string): void {
    const early = this.byKey.get(key);
    if (!early) return;
    this.byKey.delete(key);
    early.file.abandon();
    early.stop();
  }

  /** Stops every one no encode activity has taken (the host stops): resolves once each has cleaned up. */
  async stopAll(): Promise<void> {
    const left = [...this.byKey.keys()].map((key) => {
      const done = this.byKey.get(key)?.done;
      this.stop(key);
      return done;
    });
    await Promise.allSettled(left);
  }

  get size(): number {
    return this.byKey.size;
  }

  private forget(key: string, early: EarlyEncode<In, Out, Progress>): void {
    if (this.byKey.get(key) === early) this.byKey.delete(key);
  }
}
