import type { SectionRange } from './sections.js';

/**
 * Video only (vstreams carry no audio): no merge, so no ffmpeg child of yt-dlp.
 * The chain, first match wins:
 *   1. 299: 1080p60 H.264, the original's format;
 *   2. the best video-only H.264 up to 1080p (137 1080p30, 298 720p60, ...);
 *   3. the best video-only VP9 up to 1080p (303, 248, ...);
 *   4. any other video-only format up to 1080p but AV1;
 *   5. a format with audio up to 1080p but AV1 (direct links, old videos).
 * Never AV1 by default: NVDEC on T4, A100 and H100 cannot decode it. `--format`
 * replaces the chain. `?` lets formats with unknown fields (direct links) through.
 */
export const DEFAULT_FORMAT = [
  '299',
  'bv[height<=?1080][vcodec^=avc1]',
  "bv[height<=?1080][vcodec~='^vp0?9']",
  'bv[height<=?1080][vcodec!^=?av01]',
  'b[height<=?1080][vcodec!^=?av01]',
].join('/');

export const PROGRESS_PREFIX = 'vstream-progress';

/**
 * Worker-side download settings. Cookies and proxy credentials live here only: never
 * in workflow input, history, logs or the report.
 */
export interface DownloadOptions {
  /** A private copy of the cookies file (yt-dlp writes its jar back to it). */
  cookiesFile?: string;
  proxy?: string;
  /** yt-dlp's --limit-rate, e.g. 4M. */
  limitRate?: string;
  sleepIntervalSeconds?: number;
  /** More yt-dlp arguments, as given (repeatable --yt-dlp-arg). */
  extraArgs?: string[];
}

export interface DownloadArgsInput {
  url: string;
  /** Folder that receives `source.<ext>`; yt-dlp's template syntax is escaped. */
  targetDir: string;
  format?: string;
  /** Metadata fetched before (buildMetadataArgs): downloads without extracting again. */
  infoJsonPath?: string;
  options?: DownloadOptions;
  /** Only these time ranges, each to `source.<start>.<ext>`, keeping the source's timestamps. */
  sections?: SectionRange[];
}

export function sourceOutputTemplate(targetDir: string): string {
  return `${targetDir.replace(/%/g, '%%')}/source.%(ext)s`;
}

export function sectionOutputTemplate(targetDir: string): string {
  return `${targetDir.replace(/%/g, '%%')}/source.%(section_start)s.%(ext)s`;
}

/**
 * yt-dlp fetches each range with ffmpeg (stream copy from the keyframe before its
 * start). -copyts keeps the source's timestamps in the file: WebM has no edit list,
 * so without it a section's frames could not be placed exactly.
 */
function sectionArgs(sections: SectionRange[] | undefined): string[] {
  if (!sections) return [];
  return [
    ...sections.flatMap((s) => ['--download-sections', `*${s.start}-${s.end}`]),
    '--downloader-args',
    'ffmpeg_o:-copyts',
  ];
}

export interface SourceFileName {
  /** The section's start (`source.<start>.<ext>`), or null for the whole video (`source.<ext>`). */
  sectionStart: number | null;
  /** Not finished: yt-dlp's .part/.ytdl/.temp files. */
  partial: boolean;
}

/** What a file yt-dlp left in a video's work dir is; null when it is not a source file. */
export function parseSourceFileName(name: string): SourceFileName | null {
  const match = /^source\.(?:(\d+(?:\.\d+)?)\.)?[A-Za-z0-9]+((?:\.(?:part|ytdl|temp|tmp))*)$/.exec(name);
  if (!match) return null;
  return { sectionStart: match[1] === undefined ? null : Number(match[1]), partial: Boolean(match[2]) };
}

function settingArgs(options: DownloadOptions | undefined): string[] {
  if (!options) return [];
  return [
    ...(options.cookiesFile ? ['--cookies', options.cookiesFile] : []),
    ...(options.proxy ? ['--proxy', options.proxy] : []),
    ...(options.limitRate ? ['--limit-rate', options.limitRate] : []),
    ...(options.sleepIntervalSeconds ? ['--sleep-interval', String(options.sleepIntervalSeconds)] : []),
    ...(options.extraArgs ?? []),
  ];
}

export function buildDownloadArgs(input: DownloadArgsInput): string[] {
  return [
    '--ignore-config',
    '--no-playlist',
    '--no-mtime',
    '--newline',
    '--progress',
    '--progress-template',
    `download:${PROGRESS_PREFIX} %(progress.downloaded_bytes)s %(progress.total_bytes)s %(progress.total_bytes_estimate)s %(progress.speed)s`,
    '--retries',
    '3',
    '--socket-timeout',
    '30',
    '-f',
    input.format ?? DEFAULT_FORMAT,
    '-o',
    input.sections ? sectionOutputTemplate(input.targetDir) : sourceOutputTemplate(input.targetDir),
    ...sectionArgs(input.sections),
    ...settingArgs(input.options),
    // The URL comes after `--`, so one that starts with '-' is never read as an option.
    ...(input.infoJsonPath ? ['--load-info-json', input.infoJsonPath] : ['--', input.url]),
  ];
}

/** The metadata of the format that would be downloaded, as JSON on stdout. */
export function buildMetadataArgs(input: { url: string; format?: string; options?: DownloadOptions }): string[] {
  return [
    '--ignore-config',
    '--no-playlist',
    '--dump-single-json',
    '--socket-timeout',
    '30',
    '-f',
    input.format ?? DEFAULT_FORMAT,
    ...settingArgs(input.options),
    '--',
    input.url,
  ];
}

/** yt-dlp flags whose value is a credential. */
const CREDENTIAL_FLAGS = [
  '--password',
  '--username',
  '--video-password',
  '--ap-password',
  '--ap-username',
  '--twofactor',
  '--netrc-cmd',
];

/**
 * The strings that must never leave the worker: the proxy URL and its password, the
 * cookie values, and the values of credential flags among the extra arguments.
 */
export function secretsOf(options: DownloadOptions, cookieFileText?: string): string[] {
  const secrets: string[] = [];
  if (options.proxy) {
    secrets.push(options.proxy);
    try {
      const url = new URL(options.proxy);
      if (url.password) secrets.push(url.password, decodeURIComponent(url.password));
      if (url.username && url.password) secrets.push(`${url.username}:${url.password}`);
    } catch {
      // not a URL: the whole string is redacted
    }
  }
  for (const line of (cookieFileText ?? '').split('\n')) {
    const fields = line.replace(/\r$/, '').split('\t');
    if (!line.startsWith('#') && fields.length >= 7 && (fields[6] ?? '').length >= 4) secrets.push(fields[6] as string);
  }
  const extra = options.extraArgs ?? [];
  extra.forEach((arg, i) => {
    if (CREDENTIAL_FLAGS.includes(arg) && extra[i + 1]) secrets.push(extra[i + 1] as string);
    const inline = CREDENTIAL_FLAGS.find((flag) => arg.startsWith(`${flag}=`));
    if (inline) secrets.push(arg.slice(inline.length + 1));
  });
  return [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
}

/** Replaces every secret in a line of tool output before it is logged or reported. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return secrets.reduce((acc, secret) => acc.split(secret).join('[redacted]'), text);
}

export interface ExpectedSize {
  /** From the metadata; null when it does not say. */
  bytes: number | null;
  /** A direct link whose Content-Length can tell the size instead. */
  directUrl: string | null;
  headers: Record<string, string>;
}

const sizeOf = (format: Record<string, unknown>): number | null => {
  const value = format.filesize ?? format.filesize_approx;
  return typeof value === 'number' && value > 0 ? value : null;
};

/** The expected download size from yt-dlp's metadata: the selected format, or the sum of merged ones. */
export function expectedSizeFromInfo(info: Record<string, unknown>): ExpectedSize {
  const requested = Array.isArray(info.requested_formats)
    ? (info.requested_formats as Record<string, unknown>[])
    : null;
  const sizes = requested ? requested.map(sizeOf) : [sizeOf(info)];
  const bytes = sizes.every((s): s is number => s !== null) ? sizes.reduce((a, b) => a + b, 0) : null;
  const directUrl = !requested && typeof info.url === 'string' && /^https?:/.test(info.url) ? info.url : null;
  const headers = (
    typeof info.http_headers === 'object' && info.http_headers !== null ? info.http_headers : {}
  ) as Record<string, string>;
  return { bytes, directUrl, headers };
}

export interface DownloadProgress {
  downloadedBytes: number;
  totalBytes: number | null;
  /** yt-dlp's current speed, when it knows it. */
  speedBytesPerSecond?: number;
}

/**
 * Runs side by side as one download: bytes and speeds summed; the total only when every
 * run knows its own (a run not started yet does not).
 */
export function combinedProgress(runs: Array<DownloadProgress | null>): DownloadProgress | null {
  const started = runs.filter((run): run is DownloadProgress => run !== null);
  if (started.length === 0) return null;
  const totals = runs.map((run) => run?.totalBytes ?? null);
  const speeds = started.map((run) => run.speedBytesPerSecond).filter((speed) => speed !== undefined);
  return {
    downloadedBytes: started.reduce((sum, run) => sum + run.downloadedBytes, 0),
    totalBytes: totals.every((total) => total !== null) ? totals.reduce((sum, total) => sum + total, 0) : null,
    ...(speeds.length > 0 ? { speedBytesPerSecond: speeds.reduce((sum, speed) => sum + speed, 0) } : {}),
  };
}

/** Parses one of our progress-template lines; null for any other line. */
export function parseDownloadProgress(line: string): DownloadProgress | null {
  if (!line.startsWith(PROGRESS_PREFIX)) return null;
  const [, downloaded, total, estimate, speed] = line.trim().split(/\s+/);
  const num = (s: string | undefined) => (s && s !== 'NA' && Number.isFinite(Number(s)) ? Number(s) : null);
  const downloadedBytes = num(downloaded);
  if (downloadedBytes === null) return null;
  const speedBytesPerSecond = num(speed);
  return {
    downloadedBytes,
    totalBytes: num(total) ?? num(estimate),
    ...(speedBytesPerSecond !== null ? { speedBytesPerSecond: Math.round(speedBytesPerSecond) } : {}),
  };
}
