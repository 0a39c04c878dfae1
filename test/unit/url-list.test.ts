import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUrlList } from '../../src/core/url-list.js';

test('blank and # lines are ignored, line numbers are kept, CRLF is tolerated', () => {
  const text = '# my list\r\n\r\nhttps://youtu.be/aaaaaaaaaaa\r\n   \r\nhttp://127.0.0.1:9/v1.mp4\r\n';
  const parsed = parseUrlList(text);
  assert.deepEqual(parsed.rejected, []);
  assert.deepEqual(
    parsed.videos.map((v) => [v.index, v.line, v.videoId]),
    [
      [0, 3, 'aaaaaaaaaaa'],
      [1, 5, 'v1'],
    ],
  );
});

test('a URL repeated verbatim is processed once and not rejected', () => {
  const parsed = parseUrlList('http://h/a.mp4\nhttp://h/a.mp4\n  http://h/a.mp4  \n');
  assert.equal(parsed.videos.length, 1);
  assert.equal(parsed.repeats, 2);
  assert.deepEqual(parsed.rejected, []);
});

test('the same video ID through another URL is rejected as a collision with the earlier line', () => {
  const parsed = parseUrlList(
    'https://youtu.be/aaaaaaaaaaa\nhttps://www.youtube.com/watch?v=aaaaaaaaaaa\nhttp://other/aaaaaaaaaaa.mp4\n',
  );
  assert.equal(parsed.videos.length, 1);
  assert.deepEqual(
    parsed.rejected.map((r) => [r.line, r.reason]),
    [
      [2, "video ID 'aaaaaaaaaaa' collides with line 1 (https://youtu.be/aaaaaaaaaaa)"],
      [3, "video ID 'aaaaaaaaaaa' collides with line 1 (https://youtu.be/aaaaaaaaaaa)"],
    ],
  );
});

test('bad lines are reported with number, text and reason; the rest still count', () => {
  const parsed = parseUrlList('http://h/ok.mp4\nnot a url\nmailto:x@y\nhttp://h/ok2.mp4\n');
  assert.deepEqual(
    parsed.videos.map((v) => v.videoId),
    ['ok', 'ok2'],
  );
  assert.deepEqual(
    parsed.rejected.map((r) => [r.line, r.text]),
    [
      [2, 'not a url'],
      [3, 'mailto:x@y'],
    ],
  );
  assert.ok(parsed.rejected.every((r) => r.reason.length > 0));
});

test('very long lines are shortened in the report', () => {
  const parsed = parseUrlList(`${'x'.repeat(5000)}\n`);
  assert.equal(parsed.rejected.length, 1);
  assert.ok((parsed.rejected[0]?.text.length ?? 0) < 400);
});
