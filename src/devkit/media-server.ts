// A local HTTP server for sample videos: Range requests, optional pacing like a
// real network, per-file failure injection and a request log. Tests, the demo and
// the benchmarks give yt-dlp its URLs; it only ever listens on 127.0.0.1.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';

export interface RequestRecord {
  method: string;
  name: string;
  status: number;
  range: string | null;
  at: number;
  /** Body bytes written to the connection (the client may have read fewer). */
  bytes: number;
}

/** A failure to answer a file with: a status, a transfer that stalls, or one cut short. */
export type Fault = (
  { status: number; retryAfterSeconds?: number } | { stallAfterBytes: number } | { cutAfterBytes: number }
) & {
  /** Only the first so many requests get the fault (default: all). */
  times?: number;
};

export interface MediaServerOptions {
  root: string;
  /** Per-connection pacing; unlimited when absent. */
  bytesPerSecond?: number;
  /** Faults by file name; `setFault` changes them while the server runs. */
  faults?: Record<string, Fault>;
  /** Answer every request with the whole file, like a server without Range support. */
  ignoreRanges?: boolean;
  /** Answer requests for absolute URLs as an HTTP proxy, requiring this Proxy-Authorization (user:password). */
  proxyCredentials?: string;
}

export interface MediaServer {
  baseUrl: string;
  setFault(name: string, fault: Fault | null): void;
  /** Requests that came through the proxy. */
  proxied: RequestRecord[];
  url(name: string): string;
  requests: RequestRecord[];
  requestsFor(name: string): RequestRecord[];
  bytesSent(): number;
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;

function parseRange(header: string | undefined, size: number): [number, number] | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header ?? '');
  if (!match) return null;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return null;
  const start = from === '' ? Math.max(0, size - Number(to)) : Number(from);
  const end = from === '' || to === '' ? size - 1 : Math.min(size - 1, Number(to));
  return start <= end && start < size ? [start, end] : null;
}

async function sendPaced(
  res: ServerResponse,
  path: string,
  start: number,
  end: number,
  bytesPerSecond: number | undefined,
  count: (n: number) => void,
  fault: Fault | undefined,
) {
  const stream = createReadStream(path, { start, end, highWaterMark: CHUNK });
  const began = Date.now();
  let sent = 0;
  for await (const chunk of stream) {
    if (res.destroyed) break;
    let buffer = chunk as Buffer;
    if (fault && 'stallAfterBytes' in fault && sent + buffer.length > fault.stallAfterBytes) {
      res.write(buffer.subarray(0, Math.max(0, fault.stallAfterBytes - sent)));
      return; // never another byte: the client's read times out
    }
    if (fault && 'cutAfterBytes' in fault && sent + buffer.length > fault.cutAfterBytes) {
      buffer = buffer.subarray(0, Math.max(0, fault.cutAfterBytes - sent));
      res.write(buffer);
      res.socket?.destroy(); // fewer bytes than Content-Length promised
      return;
    }
    if (!res.write(buffer)) await new Promise((resolve) => res.once('drain', resolve));
    sent += buffer.length;
    count(buffer.length);
    if (bytesPerSecond) {
      const due = began + (sent / bytesPerSecond) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  res.end();
}

export async function startMediaServer(options: MediaServerOptions): Promise<MediaServer> {
  const requests: RequestRecord[] = [];
  const proxied: RequestRecord[] = [];
  const faults = new Map<string, Fault>(Object.entries(options.faults ?? {}));
  let bytes = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const viaProxy = /^https?:\/\//.test(req.url ?? '');
    const name = basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      name,
      status: 200,
      range: req.headers.range ?? null,
      at: Date.now(),
      bytes: 0,
    };
    requests.push(record);
    const reply = (status: number, body = '', headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'Content-Type': 'text/plain', ...headers }).end(body);
    };
    if (viaProxy) {
      proxied.push(record);
      const expected = `Basic ${Buffer.from(options.proxyCredentials ?? '').toString('base64')}`;
      if (!options.proxyCredentials || req.headers['proxy-authorization'] !== expected)
        return reply(407, 'proxy authentication required\n', { 'Proxy-Authenticate': 'Basic realm="test"' });
    }
    let fault = faults.get(name);
    if (fault && fault.times !== undefined) {
      if (fault.times <= 0) fault = undefined;
      else faults.set(name, { ...fault, times: fault.times - 1 });
    }
    if (fault && 'status' in fault) {
      return reply(
        fault.status,
        `injected ${fault.status}\n`,
        fault.retryAfterSeconds ? { 'Retry-After': String(fault.retryAfterSeconds) } : {},
      );
    }
    const path = join(options.root, name);
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) return reply(404, 'not found\n');

    const rangeHeader = options.ignoreRanges ? undefined : req.headers.range;
    const range = rangeHeader ? parseRange(rangeHeader, info.size) : null;
    if (rangeHeader && !range) {
      record.status = 416;
      return res.writeHead(416, { 'Content-Range': `bytes */${info.size}` }).end();
    }
    const [start, end] = range ?? [0, info.size - 1];
    record.status = range ? 206 : 200;
    res.writeHead(record.status, {
      'Content-Type': 'video/mp4',
      'Accept-Ranges': options.ignoreRanges ? 'none' : 'bytes',
      'Content-Length': String(end - start + 1),
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${info.size}` } : {}),
    });
    if (req.method === 'HEAD') return res.end();
    await sendPaced(
      res,
      path,
      start,
      end,
      options.bytesPerSecond,
      (n) => {
        bytes += n;
        record.bytes += n;
      },
      fault,
    );
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    setFault: (name, fault) => {
      if (fault) faults.set(name, fault);
      else faults.delete(name);
    },
    proxied,
    url: (name) => `${baseUrl}/${encodeURIComponent(name)}`,
    requests,
    requestsFor: (name) => requests.filter((r) => r.name === name),
    bytesSent: () => bytes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
