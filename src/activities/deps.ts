import type { EncoderConfig } from '../core/types.js';
import type { DownloadOptions } from '../core/ytdlp-args.js';
import type { ToolPaths } from '../tools/binaries.js';
import type { ScratchFiles } from '../tools/scratch.js';
import type { TempBudget } from '../tools/temp-budget.js';
import type { EncodeQueues, Sessions } from '../tools/sessions.js';

/** The part of pino's interface activities use, so tests can pass anything alike. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Worker-side download settings; the secrets among them never leave the worker. */
export interface DownloadSettings {
  options: DownloadOptions;
  /** The user's cookies file: each download gets a private copy (yt-dlp writes its jar back). */
  cookiesSource?: string;
  /** Redacted from every message that leaves the activity. */
  secrets: string[];
}

export interface ActivityDeps {
  tools: ToolPaths;
  encoder: EncoderConfig;
  /** The task queue of this host: where its downloads, encodes and deletions run. */
  hostQueue: string;
  logger: Logger;
  /** How often long activities heartbeat while their process runs. */
  heartbeatIntervalMs?: number;
  /** Temporary files in the making, for the process to remove on a hard stop. */
  scratch?: ScratchFiles;
  /** Cookies, proxy, rate limit, sleep interval, extra yt-dlp arguments. */
  downloads?: DownloadSettings;
  /** The worker's temporary-disk budget (--max-temp-gb); unlimited when absent. */
  tempBudget?: TempBudget;
  /** This host's work dir for sources, when it has its own; else the batch's. */
  workDir?: string;
  /** This host's encode queues: a download picks where its encode goes. */
  encodeQueues?: EncodeQueues;
  /** The encode queue this worker serves (encode activities only). */
  encodeQueue?: string;
  /** The GPU's NVENC session budget (encode activities on a GPU only). */
  sessions?: Sessions;
}
