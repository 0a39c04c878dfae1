import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { access, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { ApplicationFailure } from '@temporalio/common';
import { describeSettingsDifference, settingsProblems } from '../core/encode-settings.js';
import { ErrorType } from '../core/errors.js';
import * as layout from '../core/layout.js';
import { buildReport, type Report } from '../core/report.js';
import type { BatchSummary, EncodeSettings, LineError, VideoEntry, VideoResult } from '../core/types.js';
import { UrlListParser } from '../core/url-list.js';
import { readJsonIfExists, writeJsonAtomic } from '../tools/fs.js';
import type { ActivityDeps } from './deps.js';

export interface PrepareBatchInput {
  batchId: string;
  urlsFile: string;
  clipDir: string;
  outDir: string;
  settings: EncodeSettings;
}

export interface SnapshotMeta {
  batchId: string;
  urlsFile: string;
  urlsSha256: string;
  createdAt: string;
  videos: number;
  rejectedLines: number;
  repeatedLines: number;
}

export interface ReadPageInput {
  outDir: string;
  batchId: string;
  offset: number;
  limit: number;
}

export interface WriteReportInput {
  outDir: string;
  batchId: string;
  startedAt: string;
}

const invalidInput = (message: string) => ApplicationFailure.create({ type: ErrorType.InvalidInput, message, nonRetryable: true });

async function requirePath(path: string, what: string, kind: 'file' | 'dir'): Promise<void> {
  try {
    const info = await stat(path);
    if (kind === 'file' ? !info.isFile() : !info.isDirectory()) throw invalidInput(`${what} ${path} is not a ${kind === 'file' ? 'file' : 'folder'}`);
    await access(path);
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    throw invalidInput(`${what} ${path}: ${(err as Error).message}`);
  }
}

/**
 * The output folder keeps the encode settings its clips were made with; a batch
 * asking for others is refused, naming the difference.
 */
export async function checkOutputSettings(outDir: string, settings: EncodeSettings): Promise<string | null> {
  const existing = await readJsonIfExists<EncodeSettings>(layout.settingsPath(outDir));
  if (!existing) return null;
  const differences = describeSettingsDifference(settings, existing);
  return differences.length === 0
    ? null
    : `output folder ${outDir} holds clips made with other encode settings: ${differences.join(', ')}; use another output folder`;
}

/** Parses the URL list once, streaming, into the batch's snapshot; meta is written last. */
async function writeSnapshot(input: PrepareBatchInput): Promise<SnapshotMeta> {
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
export async function readSnapshotPage(outDir: string, batchId: string, offset: number, limit: number): Promise<VideoEntry[]> {
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

export function createBatchActivities(deps: ActivityDeps) {
  return {
    /**
     * First step of a batch: checks inputs and the output folder's settings, and
     * snapshots the URL list (once; later starts reuse the snapshot).
     */
    async prepareBatch(input: PrepareBatchInput): Promise<SnapshotMeta> {
      const problems = settingsProblems(input.settings);
      if (problems.length > 0) throw invalidInput(problems.join('; '));
      await requirePath(input.urlsFile, 'URL list', 'file');
      await requirePath(input.clipDir, 'clip folder', 'dir');
      await mkdir(layout.stateDir(input.outDir), { recursive: true });
      const mismatch = await checkOutputSettings(input.outDir, input.settings);
      if (mismatch) throw ApplicationFailure.create({ type: ErrorType.SettingsMismatch, message: mismatch, nonRetryable: true });
      await writeJsonAtomic(layout.settingsPath(input.outDir), input.settings);

      const existing = await readSnapshotMeta(input.outDir, input.batchId);
      if (existing) return existing;
      const meta = await writeSnapshot(input);
      deps.logger.info({ batchId: input.batchId, videos: meta.videos, rejectedLines: meta.rejectedLines }, 'URL list snapshot written');
      return meta;
    },

    async readVideoPage(input: ReadPageInput): Promise<VideoEntry[]> {
      return readSnapshotPage(input.outDir, input.batchId, input.offset, input.limit);
    },

    /** Builds report.json from the snapshot and every video's recorded result. */
    async writeReport(input: WriteReportInput): Promise<BatchSummary> {
      const paths = layout.snapshotPaths(input.outDir, input.batchId);
      const rejectedLines = JSON.parse(await readFile(paths.rejected, 'utf8')) as LineError[];
      const videos: VideoResult[] = [];
      for await (const line of createInterface({ input: createReadStream(paths.videos), crlfDelay: Infinity })) {
        if (line === '') continue;
        const video = JSON.parse(line) as VideoEntry;
        const recorded = await readJsonIfExists<VideoResult>(layout.resultPath(input.outDir, input.batchId, video.videoId));
        videos.push(
          recorded ?? {
            videoId: video.videoId,
            line: video.line,
            url: video.url,
            status: 'failed',
            reason: 'no result was recorded for this video',
            errorType: ErrorType.Unknown,
            clipErrors: [],
            clips: [],
          },
        );
      }
      const report: Report = buildReport({
        batchId: input.batchId,
        startedAt: input.startedAt,
        finishedAt: new Date().toISOString(),
        rejectedLines,
        videos,
      });
      const reportPath = layout.latestReportPath(input.outDir);
      await writeJsonAtomic(layout.batchReportPath(input.outDir, input.batchId), report);
      await writeJsonAtomic(reportPath, report);
      return { batchId: report.batchId, startedAt: report.startedAt, finishedAt: report.finishedAt, counts: report.counts, reportPath };
    },
  };
}

