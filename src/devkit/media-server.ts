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
}

export interface MediaServerOptions {
  root: string;
  /** Per-connection pacing; unlimited when absent. */
  bytesPerSecond?: number;
  /** Answer these file names with this status instead of the file. */
  statusFor?: Record<string, number>;
}

export interface MediaServer {
  baseUrl: string;
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

async function sendPaced(res: ServerResponse, path: string, start: number, end: number, bytesPerSecond: number | undefined, count: (n: number) => void) {
  const stream = createReadStream(path, { start, end, highWaterMark: CHUNK });
  const began = Date.now();
  let sent = 0;
  for await (const chunk of stream) {
    if (res.destroyed) break;
    const buffer = chunk as Buffer;
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
  let bytes = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const name = basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const record: RequestRecord = { method: req.method ?? 'GET', name, status: 200, range: req.headers.range ?? null, at: Date.now() };
    requests.push(record);
    const reply = (status: number, body = '') => {
      record.status = status;
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body);
    };
    const injected = options.statusFor?.[name];
    if (injected) return reply(injected, `injected ${injected}\n`);
    const path = join(options.root, name);
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) return reply(404, 'not found\n');

    const range = req.headers.range ? parseRange(req.headers.range, info.size) : null;
    if (req.headers.range && !range) {
      record.status = 416;
      return res.writeHead(416, { 'Content-Range': `bytes */${info.size}` }).end();
    }
    const [start, end] = range ?? [0, info.size - 1];
    record.status = range ? 206 : 200;
    res.writeHead(record.status, {
      'Content-Type': 'video/mp4',
      'Accept-Ranges': 'bytes',
      'Content-Length': String(end - start + 1),
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${info.size}` } : {}),
    });
    if (req.method === 'HEAD') return res.end();
    await sendPaced(res, path, start, end, options.bytesPerSecond, (n) => {
      bytes += n;
    });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
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
