// Pure pieces of `vstream doctor`.

export type CheckLevel = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  level: CheckLevel;
  name: string;
  detail: string;
}

/** yt-dlp versions are release dates (2026.10.26, or 2026.10.26.123456 for nightlies). */
export function ytDlpAgeDays(version: string, now: Date): number | null {
  const match = /^(\d{4})\.(\d{2})\.(\d{2})/.exec(version.trim());
  if (!match) return null;
  const released = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Math.floor((now.getTime() - released) / 86_400_000);
}

/** yt-dlp older than this misses YouTube's latest changes. */
export const YT_DLP_MAX_AGE_DAYS = 90;

/** "ffmpeg version 5.1.9-0+deb12u1 Copyright ..." → "5.1.9-0+deb12u1". */
export function toolVersion(firstLine: string): string {
  return /version (\S+)/.exec(firstLine)?.[1] ?? firstLine.trim();
}

export function formatCheck(check: CheckResult): string {
  const tag = check.level === 'ok' ? 'ok  ' : check.level === 'warn' ? 'warn' : 'FAIL';
  return `${tag}  ${check.name}: ${check.detail}`;
}

/** Exit code of the doctor: any failed check is a missing requirement. */
export function doctorExitCode(checks: CheckResult[]): 0 | 1 {
  return checks.some((c) => c.level === 'fail') ? 1 : 0;
}
