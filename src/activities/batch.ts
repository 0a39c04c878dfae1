import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import { access, copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { settingsProblems } from '../core/encode-settings.js';
import { ErrorType } from '../core/errors.js';
import * as layout from '../core/layout.js';
import { ReportTally, unrecordedResult, type ReportHead } from '../core/report.js';
import type { ReportRunSettings } from '../core/batch-input.js';
import type { BatchSummary, EncodeSettings, LineError, PriorResult, VideoEntry, VideoResult } from '../core/types.js';
import { recheckClipFile } from '../tools/clip-recheck.js';
import { readJsonIfExists, writeJsonAtomic } from '../tools/fs.js';
import { readChartLibrary, writeReportHtml } from '../tools/report-html-file.js';
import {
  checkOutputSettings,
  readSnapshotMeta,
  readSnapshotPage,
  writeSnapshot,
  type SnapshotMeta,
} from '../tools/snapshot-store.js';
import { outputFolderUiUrl } from '../tools/ui-port.js';
import type { SharedDeps } from './deps.js';

export type { SnapshotMeta } from '../tools/snapshot-store.js';

export interface PrepareBatchInput {
  batchId: string;
  urlsFile: string;
  clipDir: string;
  outDir: string;
  settings: EncodeSettings;
}

export interface ReadPageInput {
  outDir: string;
  batchId: string;
  offset: number;
  limit: number;
  /** Asks for a recheck: a recorded video whose clip file here appeared or changed since comes back `stale`. */
  recheckClipDir?: string;
}

export interface WriteReportInput {
  outDir: string;
  batchId: string;
  startedAt: string;
  /** Videos without a result were cancelled with the batch. */
  cancelled?: boolean;
  /** Downloads were given up (rate limits): videos without a result failed with this. */
  abandoned?: { errorType: string; message: string };
  /** The batch's choices, for report.html's settings (batches of 0.5 and later). */
  runSettings?: ReportRunSettings;
}

export type PagedVideo = VideoEntry & { prior: PriorResult | null };

const invalidInput = (message: string) =>
  ApplicationFailure.create({ type: ErrorType.InvalidInput, message, nonRetryable: true });

async function requirePath(path: string, what: string, kind: 'file' | 'dir'): Promise<void> {
  try {
    const info = await stat(path);
    const noun = kind === 'file' ? 'file' : 'folder';
    if (kind === 'file' ? !info.isFile() : !info.isDirectory()) throw invalidInput(`${what} ${path} is not a ${noun}`);
    await access(path);
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    throw invalidInput(`${what} ${path}: ${(err as Error).message}`);
  }
}

/** report.html beside the batch's report.json, then copied beside the output folder's. */
async function writeHtmlReports(input: WriteReportInput, head: ReportHead, linesPath: string, reportPath: string) {
  const uiUrl = await outputFolderUiUrl(input.outDir);
  const htmlPath = layout.reportHtmlBeside(reportPath);
  await writeReportHtml(htmlPath, head, linesPath, {
    chartLibrary: await readChartLibrary(),
    ui: uiUrl ? { uiUrl, namespace: Context.current().info.namespace } : null,
    encodeSettings: (await readJsonIfExists<EncodeSettings>(layout.settingsPath(input.outDir))) ?? null,
    ...(input.runSettings ? { run: input.runSettings } : {}),
  });
  const latest = layout.reportHtmlBeside(layout.latestReportPath(input.outDir));
  await copyFile(htmlPath, `${latest}.tmp`);
  await rename(`${latest}.tmp`, latest);
}

export function createBatchActivities(deps: SharedDeps) {
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
      if (mismatch) {
        throw ApplicationFailure.create({ type: ErrorType.SettingsMismatch, message: mismatch, nonRetryable: true });
      }
      await writeJsonAtomic(layout.settingsPath(input.outDir), input.settings);

      const existing = await readSnapshotMeta(input.outDir, input.batchId);
      if (existing) return existing;
      const meta = await writeSnapshot(input);
      // A new batch in this folder: its finished videos are appended from now on.
      await writeFile(layout.reportLinesPath(input.outDir), '');
      const { videos, rejectedLines } = meta;
      deps.logger.info({ batchId: input.batchId, videos, rejectedLines }, 'URL list snapshot written');
      return meta;
    },

    /** A page of the snapshot, with what earlier runs of the batch recorded for each video (and, asked, whether it is stale). */
    async readVideoPage(input: ReadPageInput): Promise<PagedVideo[]> {
      const page = await readSnapshotPage(input.outDir, input.batchId, input.offset, input.limit);
      return Promise.all(
        page.map(async (video) => {
          const resultPath = layout.resultPath(input.outDir, input.batchId, video.videoId);
          const recorded = await readJsonIfExists<VideoResult>(resultPath);
          if (!recorded) return { ...video, prior: null };
          const prior: PriorResult = { status: recorded.status, clips: recorded.clips.length };
          const clipDir = input.recheckClipDir;
          if (clipDir && (await recheckClipFile({ clipDir, outDir: input.outDir }, video.videoId, recorded.status)))
            prior.stale = true;
          return { ...video, prior };
        }),
      );
    },

    /**
     * Streams the report from the snapshot and every video's recorded result:
     * report.jsonl (one line per video, list order), then report.json (summary and
     * videos). Nothing holds the whole list in memory.
     */
    async writeReport(input: WriteReportInput): Promise<BatchSummary> {
      const paths = layout.snapshotPaths(input.outDir, input.batchId);
      const rejectedLines = JSON.parse(await readFile(paths.rejected, 'utf8')) as LineError[];
      const tally = new ReportTally();
      const linesPath = join(paths.dir, 'report.jsonl');
      const lines = createWriteStream(`${linesPath}.tmp`);
      for await (const line of createInterface({ input: createReadStream(paths.videos), crlfDelay: Infinity })) {
        if (line === '') continue;
        const video = JSON.parse(line) as VideoEntry;
        const resultPath = layout.resultPath(input.outDir, input.batchId, video.videoId);
        const recorded = await readJsonIfExists<VideoResult>(resultPath);
        const result = recorded ?? unrecordedResult(video, input.cancelled ?? false, input.abandoned);
        tally.add(result);
        if (!lines.write(`${JSON.stringify(result)}\n`)) await once(lines, 'drain');
      }
      lines.end();
      await finished(lines);
      await rename(`${linesPath}.tmp`, linesPath);

      const head: ReportHead = {
        batchId: input.batchId,
        startedAt: input.startedAt,
        finishedAt: new Date().toISOString(),
        counts: tally.counts(rejectedLines.length),
        rejectedLines,
      };
      const reportPath = layout.batchReportPath(input.outDir, input.batchId);
      const report = createWriteStream(`${reportPath}.tmp`);
      report.write(`${JSON.stringify(head, null, 2).replace(/\n}$/, ',\n  "videos": [')}`);
      let first = true;
      for await (const line of createInterface({ input: createReadStream(linesPath), crlfDelay: Infinity })) {
        if (!report.write(`${first ? '\n' : ',\n'}    ${line}`)) await once(report, 'drain');
        first = false;
      }
      report.end(`${first ? '' : '\n  '}]\n}\n`);
      await finished(report);
      await rename(`${reportPath}.tmp`, reportPath);
      // The output folder's report is this batch's, the latest one.
      await copyFile(reportPath, `${layout.latestReportPath(input.outDir)}.tmp`);
      await rename(`${layout.latestReportPath(input.outDir)}.tmp`, layout.latestReportPath(input.outDir));
      await copyFile(linesPath, `${layout.reportLinesPath(input.outDir)}.tmp`);
      await rename(`${layout.reportLinesPath(input.outDir)}.tmp`, layout.reportLinesPath(input.outDir));
      await writeHtmlReports(input, head, linesPath, reportPath);
      const { batchId, startedAt, finishedAt, counts } = head;
      return { batchId, startedAt, finishedAt, counts, reportPath: layout.latestReportPath(input.outDir) };
    },
  };
}
