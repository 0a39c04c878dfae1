import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planEncodes, planSourcePasses } from '../../src/core/encode-plan.js';
import type { ClipSpec } from '../../src/core/types.js';

const clip = (startFrame: number, endFrame: number, line = 1): ClipSpec => ({ line, startFrame, endFrame });
const ranges = (passes: ClipSpec[][]) => passes.map((p) => p.map((c) => `${c.startFrame}-${c.endFrame}`));

test('dense clips share one pass', () => {
  const plan = planEncodes([clip(0, 60), clip(60, 120), clip(130, 190)], { mergeGapFrames: 60, maxClipsPerPass: 8 });
  assert.deepEqual(ranges(plan.passes), [['0-60', '60-120', '130-190']]);
  assert.equal(plan.mode, 'one-pass');
});

test('sparse clips get a process each', () => {
  const plan = planEncodes([clip(0, 60), clip(900, 960), clip(5000, 5060)], { mergeGapFrames: 60, maxClipsPerPass: 8 });
  assert.deepEqual(ranges(plan.passes), [['0-60'], ['900-960'], ['5000-5060']]);
  assert.equal(plan.mode, 'per-clip');
});

test('overlapping clips always share a pass; input order does not matter', () => {
  const plan = planEncodes([clip(100, 400), clip(0, 200), clip(150, 160)], { mergeGapFrames: 0, maxClipsPerPass: 8 });
  assert.deepEqual(ranges(plan.passes), [['0-200', '100-400', '150-160']]);
});

test('a pass never writes more clips than allowed (NVENC sessions)', () => {
  const dense = Array.from({ length: 5 }, (_, i) => clip(i * 30, i * 30 + 30));
  const plan = planEncodes(dense, { mergeGapFrames: 300, maxClipsPerPass: 2 });
  assert.deepEqual(
    plan.passes.map((p) => p.length),
    [2, 2, 1],
  );
  assert.equal(plan.mode, 'mixed');
});

test('one clip is one process', () => {
  assert.deepEqual(planEncodes([clip(0, 10)], { mergeGapFrames: 60, maxClipsPerPass: 8 }), {
    passes: [[clip(0, 10)]],
    mode: 'per-clip',
  });
  assert.deepEqual(planEncodes([], { mergeGapFrames: 60, maxClipsPerPass: 8 }).passes, []);
});

test('the gap is measured from the furthest end of the pass so far', () => {
  const plan = planEncodes([clip(0, 1000), clip(10, 20), clip(1050, 1100)], { mergeGapFrames: 60, maxClipsPerPass: 8 });
  assert.equal(plan.passes.length, 1);
});

test('planSourcePasses refuses clips past the source end, then clips outside its sections, and plans per file', () => {
  const source = {
    path: '/s/a.mp4',
    bytes: 1,
    width: 1280,
    height: 720,
    fps: 30,
    durationSeconds: 10,
    sections: [
      { path: '/s/a.s0.mp4', start: 0, end: 2, fileStartSeconds: 0, bytes: 1 },
      { path: '/s/a.s5.mp4', start: 5, end: 7, fileStartSeconds: 4.9, bytes: 1 },
    ],
  };
  const clips = [clip(0, 30, 1), clip(90, 120, 2), clip(150, 180, 3), clip(280, 400, 4), clip(30, 45, 5)];
  const plan = planSourcePasses(clips, source, 30, { mergeGapFrames: 60, maxClipsPerPass: 8 });
  assert.deepEqual(
    plan.refused.map((r) => [r.clip.line, r.reason]),
    [
      [4, 'clip ends at 13.333 s but the source lasts 10.000 s'],
      [2, 'the clip is outside the downloaded sections'],
    ],
  );
  assert.deepEqual(
    plan.passes.map((p) => [p.path, p.fileStartSeconds, ranges([p.clips])[0]]),
    [
      ['/s/a.s0.mp4', 0, ['0-30', '30-45']],
      ['/s/a.s5.mp4', 4.9, ['150-180']],
    ],
  );
});
