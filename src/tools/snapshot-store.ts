// The batch's snapshot of its URL list in the output folder: written once, streaming,
// then read by pages through an offset index. The CLI reads it too (to find a batch).
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { describeSettingsDifference } from '../core/encode-settings.js';
import * as layout from '../core/layout.js';
import type { EncodeSettings, LineError, VideoEntry } from '../core/types.js';
import { UrlListParser } from '../core/url-list.js';
import { readJsonIfExists, writeJsonAtomic } from './fs.js';

export interface SnapshotMeta {
  batchId: string;
  urlsFile: string;
  urlsSha256: string;
  createdAt: string;
  videos: number;
  rejectedLines: number;
  repeatedLines: number;
}

/** Where a snapshot comes from and where it goes. */
export interface SnapshotInput {
  batchId: string;
  urlsFile: string;
  outDir: string;
}

/** The encode settings the output folder's clips were made with; null for a new folder. */
export async function readOutputSettings(outDir: string): Promise<EncodeSettings | null> {
  return (await readJsonIfExists<EncodeSettings>(layout.settingsPath(outDir))) ?? null;
}

/**
 * The output folder keeps the encode settings its clips were made with; a batch
 * asking for others is refused, naming the difference.
 */
export async function checkOutputSettings(outDir: string, settings: EncodeSettings): Promise<string | null> {
  const existing = await readOutputSettings(outDir);
  if (!existing) return null;
  const differences = describeSettingsDifference(settings, existing);
  return differences.length === 0
    ? null
    : `output folder ${outDir} holds clips made with other encode settings: ${differences.join(', ')}; ` +
        'use another output folder';
}

/** Parses the URL list once, streaming, into the batch's snapshot; meta is written last. */
export async function writeSnapshot(input: SnapshotInput): Promise<SnapshotMeta> {
  const paths = layout.snapshotPaths(input.outDir, input.batchId);
  await mkdir(paths.dir, { recursive: true });
  const parser = new UrlListParser();
  const rejected: LineError[] = [];
  let repeatedLines = 0;
  const videosTemp = `${paths.videos}.tmp`;
  const indexTemp = `${paths.index}.tmp`;
  const videosOut = await open(videosTemp, 'w');
  const indexOut = await open(indexTemp, 'w');
  const hash = createHash('sha256');
  try {
    let lineNumber = 0;
    let offset = 0;
    const stream = createReadStream(input.urlsFile);
    stream.on('data', (chunk) => hash.update(chunk));
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      const outcome = parser.accept(++lineNumber, line);
      if (outcome.kind === 'rejected') rejected.push(outcome.error);
      else if (outcome.kind === 'repeat') repeatedLines++;
      else if (outcome.kind === 'video') {
        const text = `${JSON.stringify(outcome.video)}\n`;
        const position = Buffer.alloc(8);
        position.writeBigUInt64LE(BigInt(offset));
        await indexOut.write(position);
        await videosOut.write(text);
        offset += Buffer.byteLength(text);
      }
    }
  } finally {
    await videosOut.close();
    await indexOut.close();
  }
  await rename(videosTemp, paths.videos);
  await rename(indexTemp, paths.index);
  await writeJsonAtomic(paths.rejected, rejected);
  const meta: SnapshotMeta = {
    batchId: input.batchId,
    urlsFile: input.urlsFile,
    urlsSha256: hash.digest('hex'),
    createdAt: new Date().toISOString(),
    videos: parser.videoCount,
    rejectedLines: rejected.length,
    repeatedLines,
  };
  await writeJsonAtomic(paths.meta, meta);
  return meta;
}

export async function readSnapshotMeta(outDir: string, batchId: string): Promise<SnapshotMeta | undefined> {
  return readJsonIfExists<SnapshotMeta>(layout.snapshotPaths(outDir, batchId).meta);
}

/** Reads `limit` entries from `offset` of the snapshot through its offset index. */
export async function readSnapshotPage(
  outDir: string,
  batchId: string,
  offset: number,
  limit: number,
): Promise<VideoEntry[]> {
  const paths = layout.snapshotPaths(outDir, batchId);
  const index = await open(paths.index, 'r');
  const videos = await open(paths.videos, 'r');
  try {
    const total = (await index.stat()).size / 8;
    const count = Math.max(0, Math.min(limit, total - offset));
    if (count === 0) return [];
    const positions = Buffer.alloc(8 * (count + 1));
    const withNext = offset + count < total ? count + 1 : count;
    await index.read(positions, 0, 8 * withNext, 8 * offset);
    const start = Number(positions.readBigUInt64LE(0));
    const end = withNext > count ? Number(positions.readBigUInt64LE(8 * count)) : (await videos.stat()).size;
    const bytes = Buffer.alloc(end - start);
    await videos.read(bytes, 0, bytes.length, start);
    return bytes
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as VideoEntry);
  } finally {
    await index.close();
    await videos.close();
  }
}
