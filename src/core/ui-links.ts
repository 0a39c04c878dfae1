// Temporal UI links to a batch: its page, and its workflow list already filtered, so the
// links `run` and `status` print open on what is worth reading.
import { SEARCH_ATTRIBUTES } from './search-attributes.js';
import { videoWorkflowId } from './batch-input.js';

export interface UiLinkRequest {
  /** The UI's address, e.g. http://127.0.0.1:24123. */
  uiUrl: string;
  namespace: string;
  batchId: string;
  /** Whether the batch's workflows carry vstream's search attributes (BatchInput.searchAttributes). */
  searchAttributes: boolean;
}

export interface UiLinks {
  /** The batch workflow's own page. */
  batch: string;
  /** The list of the batch's video workflows. */
  videos: string;
  /** The batch's failed videos; null without search attributes (the status is not searchable). */
  failed: string | null;
  /** The batch's partial videos; null without search attributes. */
  partial: string | null;
}

/** A visibility query string literal: the UI's list filter takes SQL-like double-quoted strings. */
const quoted = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

/** The UI's workflow list, filtered by a visibility query. */
export function uiListUrl(uiUrl: string, namespace: string, query: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/** A workflow's page in the UI (its latest run). */
export function workflowPageUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The visibility query of a batch's video workflows, optionally of one status. */
export function batchVideosQuery(batchId: string, searchAttributes: boolean, status?: string): string {
  if (!searchAttributes) return `WorkflowId STARTS_WITH ${quoted(videoWorkflowId(batchId, ''))}`;
  const ofBatch = `${SEARCH_ATTRIBUTES.batchId.name}=${quoted(batchId)} AND ${SEARCH_ATTRIBUTES.videoId.name} IS NOT NULL`;
  return status ? `${ofBatch} AND ${SEARCH_ATTRIBUTES.status.name}=${quoted(status)}` : ofBatch;
}

export function batchUiLinks(request: UiLinkRequest): UiLinks {
  const { uiUrl, namespace, batchId, searchAttributes } = request;
  const list = (status?: string) => uiListUrl(uiUrl, namespace, batchVideosQuery(batchId, searchAttributes, status));
  return {
    batch: workflowPageUrl(uiUrl, namespace, batchId),
    videos: list(),
    failed: searchAttributes ? list('failed') : null,
    partial: searchAttributes ? list('partial') : null,
  };
}

/** The lines `run` and `status` print: one link a line, each named. */
export function uiLinkLines(links: UiLinks): string[] {
  return [
    `Temporal UI: ${links.batch}`,
    `  its videos: ${links.videos}`,
    ...(links.failed ? [`  failed videos: ${links.failed}`] : []),
    ...(links.partial ? [`  partial videos: ${links.partial}`] : []),
  ];
}
