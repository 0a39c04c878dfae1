import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DownloadSettings, Logger } from '../activities/deps.js';
import { ytDlpAgeDays, YT_DLP_MAX_AGE_DAYS } from '../core/doctor.js';
import { secretsOf, type DownloadOptions } from '../core/ytdlp-args.js';
import { spawnedYtDlp, startYtDlpRunner, YTDLP_WARM_ENV, type YtDlpRunner } from '../tools/ytdlp-runner.js';
import { UsageError } from './exit-codes.js';

/** The download flags of `run` and `worker`, as commander hands them over. */
export interface DownloadFlags {
  cookies?: string;
  proxy?: string;
  limitRate?: string;
  sleepInterval?: string;
  ytDlpArg?: string[];
}

/** Worker-side download settings from the flags; the cookies file is read only to know what to redact. */
export function buildDownloadSettings(flags: DownloadFlags): DownloadSettings | undefined {
  const options: DownloadOptions = {};
  if (flags.proxy) {
    if (!/^(https?|socks5h?|socks4a?):\/\//.test(flags.proxy))
      throw new UsageError('--proxy must be a URL such as http://user:password@host:port or socks5://host:port');
    options.proxy = flags.proxy;
  }
  if (flags.limitRate) {
    if (!/^\d+(\.\d+)?[KMG]?$/i.test(flags.limitRate))
      throw new UsageError('--limit-rate must be a rate such as 500K or 4M (bytes per second)');
    options.limitRate = flags.limitRate;
  }
  if (flags.sleepInterval) {
    const seconds = Number(flags.sleepInterval);
    if (!(seconds >= 0)) throw new UsageError('--sleep-interval must be a number of seconds');
    options.sleepIntervalSeconds = seconds;
  }
  if (flags.ytDlpArg?.length) options.extraArgs = flags.ytDlpArg;
  let cookiesSource: string | undefined;
  let cookieText: string | undefined;
  if (flags.cookies) {
    cookiesSource = resolve(flags.cookies);
    try {
      cookieText = readFileSync(cookiesSource, 'utf8');
    } catch (err) {
      throw new UsageError(`--cookies: cannot read ${cookiesSource}: ${(err as Error).message}`);
    }
  }
  if (Object.keys(options).length === 0 && !cookiesSource) return undefined;
  return { options, cookiesSource, secrets: secretsOf(options, cookieText) };
}

/**
 * Starts yt-dlp's runner (forked from a warm process where it can: ytdlp-runner.ts) and
 * warns, once it answers, when the yt-dlp in use is older than 90 days (YouTube changes often).
 */
export function startYtDlp(ytDlpPath: string, logger: Logger): YtDlpRunner {
  const runner =
    process.env[YTDLP_WARM_ENV] === '0'
      ? spawnedYtDlp(ytDlpPath)
      : startYtDlpRunner(ytDlpPath, (reason) => logger.warn({}, reason));
  void runner.version().then((version) => {
    const warning = ytDlpAgeWarning(version ?? '');
    if (warning) logger.warn({}, warning);
  });
  return runner;
}

/** A warning when yt-dlp `version` is older than 90 days, else null. */
export function ytDlpAgeWarning(version: string): string | null {
  const age = ytDlpAgeDays(version, new Date());
  return age !== null && age > YT_DLP_MAX_AGE_DAYS
    ? `yt-dlp ${version} is ${age} days old: YouTube downloads may fail; run 'npm run setup' (or pip install -U yt-dlp)`
    : null;
}
