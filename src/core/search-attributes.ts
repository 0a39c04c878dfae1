// vstream's search attributes: what the Temporal UI and `temporal workflow list` filter a
// batch's workflows by. One list for the workflows that upsert them, the embedded server
// and the commands that register them, and the compose stack's set-up job.
// Imported by workflow code: keep it free of Node built-ins.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { VideoStatus } from './types.js';

export const SEARCH_ATTRIBUTES = {
  batchId: defineSearchAttributeKey('VstreamBatchId', SearchAttributeType.KEYWORD),
  videoId: defineSearchAttributeKey('VstreamVideoId', SearchAttributeType.KEYWORD),
  /** running, then the video's (or batch's) outcome: see VstreamStatusValue. */
  status: defineSearchAttributeKey('VstreamStatus', SearchAttributeType.KEYWORD),
  errorType: defineSearchAttributeKey('VstreamErrorType', SearchAttributeType.KEYWORD),
  /** The host that verified the video (its files and downloads are there). */
  host: defineSearchAttributeKey('VstreamHost', SearchAttributeType.KEYWORD),
  clips: defineSearchAttributeKey('VstreamClips', SearchAttributeType.INT),
} as const;

export type VstreamStatusValue = 'running' | VideoStatus;

/** Name and type of each, as the operator API and `temporal server start-dev --search-attribute` take them. */
export const SEARCH_ATTRIBUTE_DEFINITIONS: ReadonlyArray<{ name: string; type: 'Keyword' | 'Int' }> = Object.values(
  SEARCH_ATTRIBUTES,
).map((key) => ({ name: key.name, type: key.type === SearchAttributeType.INT ? 'Int' : 'Keyword' }));
