// Reads the workflow histories an embedded batch left in its output folder, by starting
// a dev server of its own on the batch's SQLite file once `vstream run` has exited.
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import * as layout from '../../src/core/layout.js';
import { startDevServer } from '../../src/server/dev-server.js';
import { resolveTool } from '../../src/tools/binaries.js';

export interface StoredEvent {
  eventType: string;
  [attributes: string]: unknown;
}

export interface StoredHistory {
  workflowId: string;
  runId: string;
  type: string;
  events: StoredEvent[];
}

/** Every run of every workflow in the batch's database, as proto3 JSON (enum names, not numbers). */
export async function readStoredHistories(outDir: string, logDir: string): Promise<StoredHistory[]> {
  const server = await startDevServer({
    temporalBin: resolveTool('temporal'),
    dbFile: layout.temporalDbPath(outDir),
    logFile: join(logDir, 'inspect-server.log'),
  });
  try {
    const connection = await Connection.connect({ address: server.address });
    try {
      const client = new Client({ connection, namespace: server.namespace });
      const histories: StoredHistory[] = [];
      for await (const execution of client.workflow.list()) {
        const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
        const { events } = JSON.parse(historyToJSON(history)) as { events: StoredEvent[] };
        histories.push({ workflowId: execution.workflowId, runId: execution.runId, type: execution.type, events });
      }
      return histories;
    } finally {
      await connection.close();
    }
  } finally {
    await server.stop();
  }
}

/**
 * A workflow task the server rejected because an event came in while the task completed
 * the workflow (a signal, or a child's completion after its last signal): Temporal's
 * normal handling, the SDK runs the task again at once with the new events. The cause
 * comes as its name (JSON histories) or its number (1 in temporal.api.enums.v1).
 */
export function isUnhandledCommand(cause: string | number | null | undefined): boolean {
  return cause === 'WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND' || cause === 1;
}

/** Workflow tasks a worker failed: nondeterminism and workflow code errors (not UnhandledCommand). */
export function failedWorkflowTasks(histories: StoredHistory[]): string[] {
  return histories.flatMap(({ workflowId, events }) =>
    events
      .filter((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_FAILED')
      .map((e) => e.workflowTaskFailedEventAttributes as { cause?: string; failure?: { message?: string } })
      .filter((a) => !isUnhandledCommand(a.cause))
      .map((a) => `${workflowId}: ${a.cause}: ${a.failure?.message ?? ''}`),
  );
}

/** The workers (identity `pid@host`) that completed workflow tasks of a history. */
export function workflowTaskIdentities(history: StoredHistory): Set<string> {
  return new Set(
    history.events
      .filter((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED')
      .map((e) => (e.workflowTaskCompletedEventAttributes as { identity?: string }).identity ?? ''),
  );
}
