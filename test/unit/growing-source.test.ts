import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  boxHeader,
  downloadSecondsLeft,
  growingLayout,
  indexCoversMedia,
  passMayReadGrowing,
} from '../../src/core/growing-source.js';

/** An MP4 box: 32-bit size, type, then `body` bytes of zeros (or a 64-bit size when `large`). */
function box(type: string, body: number, large = false): Uint8Array {
  const header = large ? 16 : 8;
  const bytes = new Uint8Array(header + body);
  const view = new DataView(bytes.buffer);
  if (large) {
    view.setUint32(0, 1);
    view.setBigUint64(8, BigInt(header + body));
  } else view.setUint32(0, header + body);
  bytes.set(
    [...type].map((c) => c.charCodeAt(0)),
    4,
  );
  return bytes;
}

const join = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('boxHeader and indexCoversMedia', () => {
  test('a box header gives its type and size, 32- or 64-bit; a short head gives none', () => {
    assert.deepEqual(boxHeader(box('mdat', 100)), { type: 'mdat', size: 108 });
    assert.deepEqual(boxHeader(box('mdat', 100, true)), { type: 'mdat', size: 116 });
    assert.equal(boxHeader(box('mdat', 100, true).subarray(0, 12)), null);
    assert.equal(boxHeader(new Uint8Array(4)), null);
  });

  test('the index describes the whole file only when plain media follows it to the end', () => {
    const boxes = (...types: string[]) => types.map((type) => ({ type, size: 100 }));
    assert.equal(indexCoversMedia(boxes('mdat'), 100), true);
    assert.equal(indexCoversMedia(boxes('free', 'mdat', 'udta'), 300), true);
    // Fragments add frames the index does not list; nothing after it is no media at all.
    assert.equal(indexCoversMedia(boxes('moof', 'mdat'), 200), false);
    assert.equal(indexCoversMedia(boxes('mdat', 'moof', 'mdat'), 300), false);
    assert.equal(indexCoversMedia([], 0), false);
    assert.equal(indexCoversMedia(boxes('free'), 100), false);
    // The boxes read stop short of the end (a box cut off, or more than were read): unknown.
    assert.equal(indexCoversMedia(boxes('mdat'), 150), false);
  });
});

describe('growingLayout', () => {
  const ftyp = box('ftyp', 24);
  const moov = box('moov', 1000);

  test('faststart: the index before the media is readable once it is all on disk', () => {
    const file = join(ftyp, moov, box('mdat', 5000));
    assert.deepEqual(growingLayout(file, file.length), { kind: 'readable', indexEnd: 32 + 1008 });
    // Only part of the index written yet: wait for its end.
    assert.deepEqual(growingLayout(file.subarray(0, 500), 500), { kind: 'need-more', bytes: 1040 });
    // The head read was short but the file already holds the index.
    assert.deepEqual(growingLayout(file.subarray(0, 64), file.length), { kind: 'readable', indexEnd: 1040 });
  });

  test('fragmented MP4 (free and sidx boxes before the index, 64-bit sizes) is readable', () => {
    const file = join(ftyp, box('free', 8), box('sidx', 40, true), moov, box('moof', 100), box('mdat', 900));
    assert.equal(growingLayout(file, file.length).kind, 'readable');
  });

  test('the index after the media, or not an MP4 at all, is not', () => {
    const late = join(ftyp, box('mdat', 5000), moov);
    assert.deepEqual(growingLayout(late, late.length), {
      kind: 'unreadable',
      why: 'the MP4 index comes after its mdat box',
    });
    const webm = Uint8Array.from([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(growingLayout(webm, 1000), { kind: 'unreadable', why: 'not an MP4 file' });
    const broken = join(ftyp, box('free', 0));
    new DataView(broken.buffer).setUint32(32, 4);
    assert.equal(growingLayout(join(broken, new Uint8Array(16)), 100).kind, 'unreadable');
  });

  test('a head shorter than a box header asks for more', () => {
    assert.deepEqual(growingLayout(new Uint8Array(0), 0), { kind: 'need-more', bytes: 16 });
    assert.deepEqual(growingLayout(ftyp.subarray(0, 8), 8), { kind: 'need-more', bytes: 16 });
  });
});

describe('passMayReadGrowing', () => {
  const clips = [{ endFrame: 60 }, { endFrame: 270 }];
  test('only clips ending a margin before the source ends', () => {
    assert.equal(passMayReadGrowing(clips, 30, 10, 1), true); // 9 s + 1 s <= 10 s
    assert.equal(passMayReadGrowing(clips, 30, 9.5, 1), false);
    assert.equal(passMayReadGrowing([{ endFrame: 300 }], 30, 10, 1), false);
  });
  test('an unknown duration or no clips: never', () => {
    assert.equal(passMayReadGrowing(clips, 30, null, 1), false);
    assert.equal(passMayReadGrowing([], 30, 10, 1), false);
  });
});

test('downloadSecondsLeft: the bytes left at the current speed, null while either is unknown', () => {
  assert.equal(downloadSecondsLeft({ downloadedBytes: 1_000, totalBytes: 9_000, speedBytesPerSecond: 2_000 }), 4);
  assert.equal(downloadSecondsLeft({ downloadedBytes: 9_500, totalBytes: 9_000, speedBytesPerSecond: 2_000 }), 0);
  assert.equal(downloadSecondsLeft({ downloadedBytes: 1_000, totalBytes: null, speedBytesPerSecond: 2_000 }), null);
  assert.equal(downloadSecondsLeft({ downloadedBytes: 1_000, totalBytes: 9_000 }), null);
  assert.equal(downloadSecondsLeft(null), null);
});
