import { STATE_DIR_NAME } from '../config.js';

/** Every video ID that reaches a path or a tool's argument list matches this. */
export const VIDEO_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const YOUTUBE_ID_PATTERN = /^[A-Za-z0-9_-]{11}$/;
const YOUTUBE_HOSTS = new Set([
  'youtube.com',
  'www.youtube.com',
  'm.youtube.com',
  'music.youtube.com',
  'youtube-nocookie.com',
  'www.youtube-nocookie.com',
]);
const YOUTUBE_PATH_PREFIXES = ['shorts', 'embed', 'live', 'v', 'e'];

export type VideoIdResult = { ok: true; videoId: string; url: string } | { ok: false; reason: string };

export function videoIdProblem(videoId: string): string | null {
  if (!VIDEO_ID_PATTERN.test(videoId)) {
    return `video ID '${videoId}' must match [A-Za-z0-9_-]{1,64}`;
  }
  if (videoId === STATE_DIR_NAME) return `video ID '${videoId}' is reserved for vstream's state folder`;
  return null;
}

/** Throws unless the ID is safe to use in a path or an argument list. */
export function assertVideoId(videoId: string): string {
  const problem = videoIdProblem(videoId);
  if (problem) throw new Error(problem);
  return videoId;
}

function accept(videoId: string, url: string): VideoIdResult {
  const problem = videoIdProblem(videoId);
  return problem ? { ok: false, reason: problem } : { ok: true, videoId, url };
}

function youtubeId(candidate: string | null | undefined, what: string): VideoIdResult {
  if (!candidate) return { ok: false, reason: `YouTube URL without a video ID (${what})` };
  if (!YOUTUBE_ID_PATTERN.test(candidate)) {
    return { ok: false, reason: `'${candidate}' is not an 11-character YouTube video ID` };
  }
  return accept(candidate, `https://www.youtube.com/watch?v=${candidate}`);
}

/**
 * Derives the video ID from one URL-list entry, offline. YouTube forms give the
 * YouTube ID (and a canonical watch URL); other http(s) URLs give their last
 * path segment without extension.
 */
export function deriveVideoId(entry: string): VideoIdResult {
  const text = entry.trim();
  if (YOUTUBE_ID_PATTERN.test(text)) return youtubeId(text, 'bare ID');

  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'not a URL or an 11-character YouTube video ID' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `unsupported scheme '${url.protocol}' (only http and https)` };
  }
  const host = url.hostname.toLowerCase();
  const segments = url.pathname.split('/').filter((s) => s.length > 0);

  if (host === 'youtu.be') return youtubeId(segments[0], 'youtu.be link without a path');
  if (YOUTUBE_HOSTS.has(host)) {
    if (segments[0] === 'watch') return youtubeId(url.searchParams.get('v'), 'watch link without v=');
    if (segments[0] && YOUTUBE_PATH_PREFIXES.includes(segments[0])) {
      return youtubeId(segments[1], `/${segments[0]}/ link without an ID`);
    }
    return { ok: false, reason: 'YouTube URL without a video ID (playlists and channels are not supported)' };
  }

  const last = segments.at(-1);
  if (!last) return { ok: false, reason: 'URL has no path segment to derive a video ID from' };
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    return { ok: false, reason: `URL path segment '${last}' is not valid percent-encoding` };
  }
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  return accept(stem, url.href);
}
