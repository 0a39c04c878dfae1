import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertVideoId, deriveVideoId } from '../../src/core/video-id.js';

const ID = 'dQw4w9WgXcQ';

describe('deriveVideoId', () => {
  for (const url of [
    `https://www.youtube.com/watch?v=${ID}`,
    `https://youtube.com/watch?v=${ID}&list=PL123&t=42s`,
    `http://m.youtube.com/watch?feature=share&v=${ID}`,
    `https://youtu.be/${ID}?si=abc`,
    `https://www.youtube.com/shorts/${ID}`,
    `https://www.youtube.com/embed/${ID}`,
    `https://www.youtube-nocookie.com/embed/${ID}?rel=0`,
    `  ${ID}  `,
  ]) {
    test(`YouTube form ${url.trim()}`, () => {
      assert.deepEqual(deriveVideoId(url), { ok: true, videoId: ID, url: `https://www.youtube.com/watch?v=${ID}` });
    });
  }

  test('an ID that starts with "-" is accepted as an ID', () => {
    const result = deriveVideoId('-abcdefghij');
    assert.equal(result.ok && result.videoId, '-abcdefghij');
  });

  test('other http(s) URLs give their last path segment without extension', () => {
    assert.deepEqual(deriveVideoId('http://127.0.0.1:8000/media/clip-01.mp4'), {
      ok: true,
      videoId: 'clip-01',
      url: 'http://127.0.0.1:8000/media/clip-01.mp4',
    });
    const noExtension = deriveVideoId('https://example.com/videos/abc_DEF-9/');
    assert.equal(noExtension.ok && noExtension.videoId, 'abc_DEF-9');
  });

  const rejected: Array<[string, RegExp]> = [
    ['ftp://example.com/a.mp4', /unsupported scheme 'ftp:'/],
    ['not a url', /not a URL/],
    ['https://www.youtube.com/watch?v=short', /not an 11-character YouTube video ID/],
    ['https://www.youtube.com/playlist?list=PL1', /playlists and channels/],
    ['https://youtu.be/', /youtu.be link without a path/],
    ['https://example.com/', /no path segment/],
    ['https://example.com/bad%20name.mp4', /must match/],
    ['https://example.com/x/_vstream.mp4', /reserved/],
    [`https://example.com/${'a'.repeat(65)}.mp4`, /must match/],
  ];
  for (const [text, reason] of rejected) {
    test(`rejects ${text}`, () => {
      const result = deriveVideoId(text);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
    });
  }

  test('a path traversal never becomes an ID with a slash or dots', () => {
    const result = deriveVideoId('https://example.com/a/..%2F..%2Fescape.mp4');
    assert.equal(result.ok, false);
  });
});

describe('assertVideoId', () => {
  test('throws for IDs that are unsafe in paths', () => {
    for (const bad of ['', '../x', 'a/b', 'a b', 'é', '_vstream']) assert.throws(() => assertVideoId(bad));
    assert.equal(assertVideoId('-leading-dash'), '-leading-dash');
  });
});
