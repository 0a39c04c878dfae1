import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { readSnapshotMeta, type SnapshotMeta } from '../tools/snapshot-store.js';
import * as layout from '../core/layout.js';
import type { Report } from '../core/report.js';
import { SEARCH_ATTRIBUTES } from '../core/search-attributes.js';
import { emptyStatusCounts } from '../core/report.js';
import type { StatusCounts, VideoResult } from '../core/types.js';
import { readJsonIfExists } from '../tools/fs.js';
import { UsageError } from './exit-codes.js';

/** A batch that uses vstream's search attributes carries them itself (set at its start). */
export const usesSearchAttributes = (batch: WorkflowExecutionDescription): boolean =>
  batch.typedSearchAttributes.get(SEARCH_ATTRIBUTES.batchId) !== undefined;

/** The batch asked for, or the output folder's most recently started one. */
export async function resolveBatchId(outDir: string, given: string | undefined): Promise<string> {
  if (given) return given;
  const root = join(layout.stateDir(outDir), 'batches');
  const names = await readdir(root).catch(() => [] as string[]);
  const dated = await Promise.all(
    names.map(async (name) => ({
      name,
      mtime: (await stat(join(root, name, 'snapshot.json')).catch(() => null))?.mtimeMs ?? -1,
    })),
  );
  const latest = dated.filter((d) => d.mtime >= 0).sort((a, b) => b.mtime - a.mtime)[0];
  if (!latest) throw new UsageError(`--output-dir: no vstream batch in ${outDir}`);
  return latest.name;
}

export interface DiskState {
  meta: SnapshotMeta | undefined;
  report: Report | undefined;
  /** From the per-video results, when no report is written yet. */
  recorded: StatusCounts;
}

/** What the files say of a batch, with no server: its snapshot, report and results. */
export async function readDiskState(outDir: string, batchId: string): Promise<DiskState> {
  const meta = await readSnapshotMeta(outDir, batchId);
  const report = await readJsonIfExists<Report>(layout.batchReportPath(outDir, batchId));
  const recorded = emptyStatusCounts();
  if (!report) {
    const dir = join(layout.batchDir(outDir, batchId), 'results');
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const result = await readJsonIfExists<VideoResult>(join(dir, name)).catch(() => undefined);
      if (result) recorded[result.status]++;
    }
  }
  return { meta, report, recorded };
}
