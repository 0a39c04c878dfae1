import type { LineError, VideoEntry } from './types.js';
import { deriveVideoId } from './video-id.js';

const MAX_ECHOED_TEXT = 300;

export type UrlLineOutcome =
  | { kind: 'ignored' }
  | { kind: 'repeat' }
  | { kind: 'video'; video: VideoEntry }
  | { kind: 'rejected'; error: LineError };

export function clipText(text: string): string {
  return text.length > MAX_ECHOED_TEXT ? `${text.slice(0, MAX_ECHOED_TEXT)}…` : text;
}

/**
 * Reads a URL list one line at a time, so a list of any length streams through it.
 * A URL repeated verbatim is processed once; another URL reaching an ID already
 * seen is rejected as a collision.
 */
export class UrlListParser {
  private readonly firstLineOfUrl = new Map<string, number>();
  private readonly firstByVideoId = new Map<string, { line: number; url: string }>();
  private count = 0;

  get videoCount(): number {
    return this.count;
  }

  accept(lineNumber: number, rawLine: string): UrlLineOutcome {
    const text = rawLine.replace(/\r$/, '').trim();
    if (text === '' || text.startsWith('#')) return { kind: 'ignored' };
    if (this.firstLineOfUrl.has(text)) return { kind: 'repeat' };
    this.firstLineOfUrl.set(text, lineNumber);

    const derived = deriveVideoId(text);
    if (!derived.ok) return this.reject(lineNumber, text, derived.reason);
    const earlier = this.firstByVideoId.get(derived.videoId);
    if (earlier) {
      return this.reject(
        lineNumber,
        text,
        `video ID '${derived.videoId}' collides with line ${earlier.line} (${clipText(earlier.url)})`,
      );
    }
    this.firstByVideoId.set(derived.videoId, { line: lineNumber, url: text });
    const video: VideoEntry = { index: this.count++, line: lineNumber, url: derived.url, videoId: derived.videoId };
    return { kind: 'video', video };
  }

  private reject(line: number, text: string, reason: string): UrlLineOutcome {
    return { kind: 'rejected', error: { line, text: clipText(text), reason } };
  }
}

export interface ParsedUrlList {
  videos: VideoEntry[];
  rejected: LineError[];
  repeats: number;
}

export function parseUrlList(text: string): ParsedUrlList {
  const parser = new UrlListParser();
  const result: ParsedUrlList = { videos: [], rejected: [], repeats: 0 };
  text.split('\n').forEach((line, i) => {
    const outcome = parser.accept(i + 1, line);
    if (outcome.kind === 'video') result.videos.push(outcome.video);
    else if (outcome.kind === 'rejected') result.rejected.push(outcome.error);
    else if (outcome.kind === 'repeat') result.repeats++;
  });
  return result;
}
