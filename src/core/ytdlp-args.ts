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
    '--',
    input.url,
  ];
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
