import type { EncoderConfig } from '../core/types.js';
import type { DownloadOptions } from '../core/ytdlp-args.js';
import type { ToolPaths } from '../tools/binaries.js';
import type { VstreamMetrics } from '../tools/metrics.js';
import type { ScratchFiles } from '../tools/scratch.js';
import type { TempBudget } from '../tools/temp-budget.js';
import type { EncodeQueues, Sessions } from '../tools/sessions.js';
import type { GrowingFile } from '../tools/early-encodes.js';
import type { YtDlpRunner } from '../tools/ytdlp-runner.js';
import type { EncodeClipsInput, VideoEarlyEncode, VideoEarlyEncodes } from './encode.js';

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

/** What every worker role has: the shared worker runs verifyClip, recordVideo and the batch's activities. */
export interface SharedDeps {
  tools: ToolPaths;
  logger: Logger;
  /** The task queue of this host: where its downloads, encodes and deletions run. */
  hostQueue: string;
  /** vstream's Prometheus metrics; absent without --metrics-port. */
  metrics?: VstreamMetrics;
}

/** What an encode needs, on whichever queue it runs. */
export interface EncoderDeps extends SharedDeps {
  encoder: EncoderConfig;
  /** How often long activities heartbeat while their process runs. */
  heartbeatIntervalMs?: number;
  /** Temporary files in the making, for the process to remove on a hard stop. */
  scratch?: ScratchFiles;
  /** The GPU's NVENC session budget (encodes on a GPU only). */
  sessions?: Sessions;
  /** Encodes this host started while their sources downloaded; absent, none are. */
  earlyEncodes?: VideoEarlyEncodes;
}

/** The host queue's worker: downloads, deletions, and the encodes of 0.1 videos. */
export interface HostDeps extends EncoderDeps {
  /** This host's encode queues: a download picks where its encode goes. */
  encodeQueues: EncodeQueues;
  /** Cookies, proxy, rate limit, sleep interval, extra yt-dlp arguments. */
  downloads?: DownloadSettings;
  /** The worker's temporary-disk budget (--max-temp-gb); unlimited when absent. */
  tempBudget?: TempBudget;
  /** This host's work dir for sources, when it has its own; else the batch's. */
  workDir?: string;
  /** How yt-dlp runs (forked from a warm process, src/tools/ytdlp-runner.ts); without it, a process per run. */
  ytDlp?: YtDlpRunner;
  /** Starts a video's encode on one of this host's encode queues while its source downloads. */
  startEarlyEncode?: (queue: string, input: EncodeClipsInput, file: GrowingFile) => VideoEarlyEncode;
}

/** The worker of one encode queue (a GPU, or the CPU) of the host. */
export interface EncodeDeps extends EncoderDeps {
  /** The encode queue this worker serves. */
  encodeQueue: string;
  /** The host's encode queues, shared with its downloads: each encode attempt counts on its queue. */
  encodeQueues: EncodeQueues;
}
