// Error types: the `type` of ApplicationFailures and the `errorType` of the report.
// Imported by workflow code: keep it free of Node built-ins.

export const ErrorType = {
  /** Private, removed, blocked, age-gated, or HTTP 404/410 on a direct link. */
  VideoUnavailable: 'VideoUnavailable',
  FormatUnavailable: 'FormatUnavailable',
  BotCheck: 'BotCheck',
  RateLimited: 'RateLimited',
  Network: 'Network',
  UnsupportedUrl: 'UnsupportedUrl',
  /** The download finished but holds no decodable video stream. */
  SourceUnreadable: 'SourceUnreadable',
  /** The source alone is larger than the worker's whole --max-temp-gb budget. */
  SourceTooLarge: 'SourceTooLarge',
  /** Every usable clip line lies outside the source. */
  NoClipProducible: 'NoClipProducible',
  EncodeFailed: 'EncodeFailed',
  EncoderUnavailable: 'EncoderUnavailable',
  SettingsMismatch: 'SettingsMismatch',
  InvalidInput: 'InvalidInput',
  DiskFull: 'DiskFull',
  /** An activity ran past one of its timeouts (start-to-close, heartbeat) on its last attempt. */
  Timeout: 'Timeout',
  Unknown: 'Unknown',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/**
 * Types that stop the whole batch's downloads for a while (YouTube is limiting this
 * client): retrying the one video makes it worse. The download activity raises them
 * non-retryable and the batch pauses every download, then tries again.
 */
export const SHARED_BACKOFF_TYPES: readonly string[] = [ErrorType.BotCheck, ErrorType.RateLimited];

/** Types that retrying cannot fix: activities raise them as non-retryable. */
export const PERMANENT_ERROR_TYPES: readonly string[] = [
  ErrorType.VideoUnavailable,
  ErrorType.FormatUnavailable,
  ErrorType.UnsupportedUrl,
  ErrorType.SourceUnreadable,
  ErrorType.SourceTooLarge,
  ErrorType.NoClipProducible,
  ErrorType.SettingsMismatch,
  ErrorType.InvalidInput,
];

export interface Classified {
  type: ErrorType;
  retryable: boolean;
  /** The line of the tool's output that explains the failure. */
  message: string;
}

interface Rule {
  type: ErrorType;
  pattern: RegExp;
}

// Order matters: the first rule that matches any stderr line wins.
const YT_DLP_RULES: Rule[] = [
  { type: ErrorType.BotCheck, pattern: /Sign in to confirm you[’']re not a bot/i },
  {
    type: ErrorType.RateLimited,
    pattern: /HTTP Error 429|rate[- ]limit|This content isn.t available, try again later/i,
  },
  {
    type: ErrorType.VideoUnavailable,
    pattern:
      /Private video|This video is private|Video unavailable|This video (is|has been) (no longer available|removed|unavailable)|Sign in to confirm your age|account associated with this video has been terminated|copyright|not (made this video )?available in your country|geo[- ]?restrict|blocked it in your country|HTTP Error 404|HTTP Error 410|members-only|This live event will begin/i,
  },
  { type: ErrorType.FormatUnavailable, pattern: /Requested format is not available|No video formats found/i },
  { type: ErrorType.UnsupportedUrl, pattern: /Unsupported URL/i },
  { type: ErrorType.DiskFull, pattern: /No space left on device|ENOSPC/i },
  {
    type: ErrorType.Network,
    pattern:
      /HTTP Error 5\d\d|timed out|Connection (refused|reset|aborted)|Temporary failure in name resolution|Name or service not known|IncompleteRead|Got error: .* bytes read|Downloaded \d+ bytes, expected \d+ bytes|Unable to download|urlopen error|HTTP Error 403|Unable to connect to proxy/i,
  },
];

const ENCODER_UNAVAILABLE =
  /Cannot load|No NVENC capable devices|OpenEncodeSessionEx failed|CUDA_ERROR|Unknown encoder/i;

/**
 * The line that says why NVENC (or CUDA) cannot be used, without ffmpeg's "[ctx @ 0x...]"
 * prefix; null when none does. ffmpeg's last line ("Error while opening encoder ... maybe
 * incorrect parameters") or "Error parsing global options" would mislead.
 */
export function encoderProblemLine(lines: string[]): string | null {
  const line = lines.find((l) => ENCODER_UNAVAILABLE.test(l));
  return line ? line.replace(/^\[[^\]]* @ 0x[0-9a-f]+\] /, '').trim() : null;
}

function lastMeaningfulLine(lines: string[]): string {
  const errorLine = [...lines].reverse().find((l) => l.startsWith('ERROR:'));
  return (errorLine ?? lines.filter((l) => l.trim() !== '').at(-1) ?? '').trim();
}

/** With --newline, yt-dlp can print "ERROR: " and its message on the next line: join them. */
function joinSplitErrors(lines: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === 'ERROR:' && i + 1 < lines.length) joined.push(`ERROR: ${(lines[++i] as string).trim()}`);
    else joined.push(line);
  }
  return joined;
}

/** Classifies a failed yt-dlp run (it exits 1 for every failure) by its stderr. */
export function classifyYtDlpFailure(rawLines: string[], exitCode: number | undefined): Classified {
  const stderrLines = joinSplitErrors(rawLines);
  const message = lastMeaningfulLine(stderrLines) || `yt-dlp exited with code ${exitCode ?? 'unknown'}`;
  const errorLines = stderrLines.filter((l) => l.startsWith('ERROR:'));
  const candidates = errorLines.length > 0 ? errorLines : stderrLines;
  for (const rule of YT_DLP_RULES) {
    if (candidates.some((line) => rule.pattern.test(line))) {
      return { type: rule.type, retryable: !PERMANENT_ERROR_TYPES.includes(rule.type), message };
    }
  }
  return { type: ErrorType.Unknown, retryable: true, message };
}

/**
 * ffmpeg catches SIGINT and SIGTERM, stops, and exits with code 255 (not by the signal),
 * saying so on its last line: a stop from outside, never the input's fault.
 */
const FFMPEG_STOPPED_BY_SIGNAL = /^Exiting normally, received signal (\d+)\.?$/;

/** Classifies a failed ffmpeg run for one clip. */
export function classifyFfmpegFailure(
  stderrLines: string[],
  exitCode: number | undefined,
  signal: string | undefined,
): Classified {
  const message =
    lastMeaningfulLine(stderrLines) ||
    (signal ? `ffmpeg killed by ${signal}` : `ffmpeg exited with code ${exitCode ?? 'unknown'}`);
  if (stderrLines.some((l) => /No space left on device/i.test(l)))
    return { type: ErrorType.DiskFull, retryable: true, message };
  // Killed by a signal, or stopped by one: the host or the worker stopped it, not the input.
  const caught = stderrLines.map((l) => FFMPEG_STOPPED_BY_SIGNAL.exec(l.trim())).find(Boolean);
  if (caught)
    return { type: ErrorType.EncodeFailed, retryable: true, message: `ffmpeg stopped by signal ${caught[1]}` };
  if (signal) return { type: ErrorType.EncodeFailed, retryable: true, message };
  const encoderProblem = encoderProblemLine(stderrLines);
  if (encoderProblem) {
    // A busy or lost GPU (session limit, driver reset) can recover: retry the activity.
    return { type: ErrorType.EncoderUnavailable, retryable: true, message: encoderProblem };
  }
  return { type: ErrorType.EncodeFailed, retryable: false, message };
}
