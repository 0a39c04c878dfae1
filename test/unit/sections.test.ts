import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseDownloadMode, planSections, sectionCoverage, sectionFor } from '../../src/core/sections.js';

const clip = (startFrame: number, endFrame: number) => ({ startFrame, endFrame });

test('a range per clip with margins, merged when close, clamped at 0 and past the end', () => {
  // 30 fps: 0-1 s, 1.5-2.5 s (merged: 8.5 s apart at most), 60-61 s (far)
  assert.deepEqual(planSections([clip(1800, 1830), clip(45, 75), clip(0, 30)], 30, 61.2), [
    { start: 0, end: 3.5 },
    { start: 59.5, end: 62 },
  ]);
  assert.deepEqual(planSections([clip(300, 330)], 30, null), [{ start: 9.5, end: 12 }]);
  // A clip past the end of a 60 s video: no further than a second after it.
  assert.deepEqual(planSections([clip(1800, 1830)], 30, 60), [{ start: 59.5, end: 61 }]);
});

test('ranges more than the merge gap apart stay apart; overlapping clips make one range', () => {
  assert.equal(planSections([clip(0, 30), clip(30 * 13, 30 * 14)], 30, 100).length, 2);
  assert.deepEqual(planSections([clip(300, 600), clip(450, 500)], 30, 100), [{ start: 9.5, end: 21 }]);
});

test('coverage and the auto choice', () => {
  const sections = planSections([clip(300, 330)], 30, 100);
  assert.equal(sectionCoverage(sections, 100), 0.025);
  assert.equal(sectionCoverage(sections, null), null);
  assert.equal(chooseDownloadMode('auto', 0.025), 'sections');
  assert.equal(chooseDownloadMode('auto', 0.6), 'full');
  assert.equal(chooseDownloadMode('auto', null), 'full', 'unknown duration: the whole video');
  assert.equal(chooseDownloadMode('sections', 0.9), 'sections');
  assert.equal(chooseDownloadMode('full', 0.01), 'full');
});

test('the section that holds a clip', () => {
  const sections = [
    { start: 0, end: 3.5 },
    { start: 59.5, end: 62 },
  ];
  assert.equal(sectionFor(sections, clip(45, 75), 30), sections[0]);
  assert.equal(sectionFor(sections, clip(1800, 1830), 30), sections[1]);
  assert.equal(sectionFor(sections, clip(300, 330), 30), undefined);
});
