import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clipFileName, parseClipFile } from '../../src/core/clip-file.js';

test('zero-padded and plain lines, CRLF, blank lines and comments', () => {
  const parsed = parseClipFile('0021750 0023550\r\n\r\n# a comment\n10 50\n  7   9  \n');
  assert.deepEqual(parsed.errors, []);
  assert.deepEqual(parsed.clips, [
    { line: 1, startFrame: 21750, endFrame: 23550 },
    { line: 4, startFrame: 10, endFrame: 50 },
    { line: 5, startFrame: 7, endFrame: 9 },
  ]);
});

test('malformed lines are listed with number and reason; the others are kept', () => {
  const parsed = parseClipFile(
    ['10 20', 'abc def', '30', '40 40', '50 45', '1 2 3', '-5 10', '1.5 3', '10 20', '0 10000000', '60 90'].join('\n'),
  );
  assert.deepEqual(
    parsed.clips.map((c) => [c.line, c.startFrame, c.endFrame]),
    [
      [1, 10, 20],
      [11, 60, 90],
    ],
  );
  assert.deepEqual(
    parsed.errors.map((e) => [e.line, e.reason]),
    [
      [2, "expected two non-negative integers '<start> <end>'"],
      [3, "expected two integers '<start> <end>'"],
      [4, 'end (40) must be greater than start (40)'],
      [5, 'end (45) must be greater than start (50)'],
      [6, "expected two integers '<start> <end>'"],
      [7, "expected two non-negative integers '<start> <end>'"],
      [8, "expected two non-negative integers '<start> <end>'"],
      [9, 'same clip as line 1'],
      [10, 'end 10000000 is above 9999999, the largest 7-digit frame index'],
    ],
  );
  assert.equal(parsed.errors[0]?.text, 'abc def');
});

test('clip file names are zero-padded to 7 digits', () => {
  assert.equal(clipFileName('au1ts-L8MXQ', { startFrame: 21750, endFrame: 23550 }), 'au1ts-L8MXQ_0021750_0023550.hevc');
  assert.equal(clipFileName('-x', { startFrame: 0, endFrame: 1 }), '-x_0000000_0000001.hevc');
});
