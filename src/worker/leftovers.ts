import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { videoWorkflowId } from '../core/batch-input.js';
import { videoHostQuery } from '../workflows/definitions.js';

/**
 * Sources in this host's work dir whose video no longer waits on this host (it ended,
 * or started over elsewhere while the host was away) are removed. A video still on
 * this host keeps its source, so the host resumes it; when in doubt, the source stays.
 */
export async function cleanLeftovers(workDir: string, client: Client, hostQueue: string): Promise<string[]> {
  const removed: string[] = [];
  for (const batchId of await readdir(workDir).catch(() => [] as string[])) {
    const batchDir = join(workDir, batchId);
    for (const videoId of await readdir(batchDir).catch(() => [] as string[])) {
      const handle = client.workflow.getHandle(videoWorkflowId(batchId, videoId));
      const description = await handle.describe().catch(() => null);
      let gone = !description || description.status.name !== 'RUNNING';
      if (!gone) {
        const host = await handle.query(videoHostQuery).catch(() => undefined);
        gone = host !== undefined && host !== hostQueue;
      }
      if (gone) {
        await rm(join(batchDir, videoId), { recursive: true, force: true });
        removed.push(`${batchId}/${videoId}`);
      }
    }
    await rmdir(batchDir).catch(() => undefined);
  }
  return removed;
}
