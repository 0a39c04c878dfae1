/**
 * Video only (vstreams carry no audio), so no merge and no ffmpeg child of yt-dlp.
 * Prefers the original's format 299 (1080p60 H.264), then H.264, then VP9 up to
 * 1080p, never AV1 (many NVDEC generations cannot decode it).
 */
export const DEFAULT_FORMAT =
  '299/bv*[height<=?1080][vcodec^=avc1]/bv*[height<=?1080][vcodec^=vp9]/bv*[height<=?1080][vcodec!^=?av01]/b[height<=?1080][vcodec!^=?av01]';

export const PROGRESS_PREFIX = 'vstream-progress';

export interface DownloadArgsInput {
  url: string;
  /** Folder that receives `source.<ext>`; yt-dlp's template syntax is escaped. */
  targetDir: string;
  format?: string;
  /** Metadata fetched before (buildMetadataArgs): downloads without extracting again. */
  infoJsonPath?: string;
}

export function sourceOutputTemplate(targetDir: string): string {
  return `${targetDir.replace(/%/g, '%%')}/source.%(ext)s`;
}

export function buildDownloadArgs(input: DownloadArgsInput): string[] {
  return [
    '--ignore-config',
    '--no-playlist',
    '--no-mtime',
    '--newline',
    '--progress',
    '--progress-template',
    `download:${PROGRESS_PREFIX} %(progress.downloaded_bytes)s %(progress.total_bytes)s %(progress.total_bytes_estimate)s`,
    '--retries', '3',
    '--socket-timeout', '30',
    '-f', input.format ?? DEFAULT_FORMAT,
    '-o', sourceOutputTemplate(input.targetDir),
    // The URL comes after `--`, so one that starts with '-' is never read as an option.
    ...(input.infoJsonPath ? ['--load-info-json', input.infoJsonPath] : ['--', input.url]),
  ];
}

/** The metadata of the format that would be downloaded, as JSON on stdout. */
export function buildMetadataArgs(input: { url: string; format?: string }): string[] {
  return ['--ignore-config', '--no-playlist', '--dump-single-json', '--socket-timeout', '30', '-f', input.format ?? DEFAULT_FORMAT, '--', input.url];
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
  const requested = Array.isArray(info.requested_formats) ? (info.requested_formats as Record<string, unknown>[]) : null;
  const sizes = requested ? requested.map(sizeOf) : [sizeOf(info)];
  const bytes = sizes.every((s): s is number => s !== null) ? sizes.reduce((a, b) => a + b, 0) : null;
  const directUrl = !requested && typeof info.url === 'string' && /^https?:/.test(info.url) ? info.url : null;
  const headers = (typeof info.http_headers === 'object' && info.http_headers !== null ? info.http_headers : {}) as Record<string, string>;
  return { bytes, directUrl, headers };
}

export interface DownloadProgress {
  downloadedBytes: number;
  totalBytes: number | null;
}

/** Parses one of our progress-template lines; null for any other line. */
export function parseDownloadProgress(line: string): DownloadProgress | null {
  if (!line.startsWith(PROGRESS_PREFIX)) return null;
  const [, downloaded, total, estimate] = line.trim().split(/\s+/);
  const num = (s: string | undefined) => (s && s !== 'NA' && Number.isFinite(Number(s)) ? Number(s) : null);
  const downloadedBytes = num(downloaded);
  if (downloadedBytes === null) return null;
  return { downloadedBytes, totalBytes: num(total) ?? num(estimate) };
}
