import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chooseDownloadMode,
  clipsStartingBeforeTheirSection,
  planSections,
  sectionCoverage,
  sectionFor,
  sectionRuns,
  sectionStartingAt,
  sectionsShareOfSource,
} from '../../src/core/sections.js';

const clip = (startFrame: number, endFrame: number) => ({ startFrame, endFrame });

test('a range per clip, 0.1 s before and 0.5 s after, merged when close, clamped at 0 and past the end', () => {
  // 30 fps: 0-1 s and 1.5-2.5 s overlap once widened; 60-61 s is far.
  assert.deepEqual(planSections([clip(1800, 1830), clip(45, 75), clip(0, 30)], 30, 61.2), [
    { start: 0, end: 3 },
    { start: 59.9, end: 61.5 },
  ]);
  assert.deepEqual(planSections([clip(300, 330)], 30, null), [{ start: 9.9, end: 11.5 }]);
  // A clip past the end of a 60 s video: no further than a second after it.
  assert.deepEqual(planSections([clip(1800, 1830)], 30, 60), [{ start: 59.9, end: 61 }]);
});

test('ranges up to 3 s apart are fetched as one; overlapping clips make one range', () => {
  assert.equal(planSections([clip(0, 30), clip(137, 167)], 30, 100).length, 1, '2.97 s apart');
  assert.equal(planSections([clip(0, 30), clip(141, 171)], 30, 100).length, 2, '3.1 s apart');
  assert.deepEqual(planSections([clip(300, 600), clip(450, 500)], 30, 100), [{ start: 9.9, end: 20.5 }]);
});

test('bounds are whole milliseconds, widened outwards', () => {
  // 1/3 s - 0.1 s and 2/3 s + 0.5 s
  assert.deepEqual(planSections([clip(10, 20)], 30, null), [{ start: 0.233, end: 1.167 }]);
});

test('coverage and the auto choice', () => {
  const sections = planSections([clip(300, 330)], 30, 100);
  assert.ok(Math.abs((sectionCoverage(sections, 100) ?? 0) - 0.016) < 1e-9);
  assert.equal(sectionCoverage(sections, null), null);
  assert.equal(chooseDownloadMode('auto', 0.016), 'sections');
  assert.equal(chooseDownloadMode('auto', 0.6), 'full');
  assert.equal(chooseDownloadMode('auto', null), 'full', 'unknown duration: the whole video');
  assert.equal(chooseDownloadMode('sections', 0.9), 'sections');
  assert.equal(chooseDownloadMode('full', 0.01), 'full');
});

test('the section that holds a clip', () => {
  const sections = [
    { start: 0, end: 3 },
    { start: 59.9, end: 61.5 },
  ];
  assert.equal(sectionFor(sections, clip(45, 75), 30), sections[0]);
  assert.equal(sectionFor(sections, clip(1800, 1830), 30), sections[1]);
  assert.equal(sectionFor(sections, clip(300, 330), 30), undefined);
});

test('clips a section file starts too late for (a server without Range support)', () => {
  const files = (secondStart: number) => [
    { start: 0, end: 3, fileStartSeconds: 0 },
    { start: 59.9, end: 61.5, fileStartSeconds: secondStart },
  ];
  const clips = [clip(45, 75), clip(1800, 1830)];
  assert.deepEqual(clipsStartingBeforeTheirSection(files(59.5), clips, 30), [], 'the keyframe before');
  assert.deepEqual(clipsStartingBeforeTheirSection(files(60.0004), clips, 30), [], 'WebM millisecond rounding');
  assert.deepEqual(clipsStartingBeforeTheirSection(files(60.4), clips, 30), [clip(1800, 1830)]);
  assert.deepEqual(clipsStartingBeforeTheirSection(files(0), [clip(300, 330)], 30), [clip(300, 330)], 'in no section');
});

test('a section file by the start in its name; the disk share to reserve for sections', () => {
  const sections = [
    { start: 0, end: 3 },
    { start: 59.9, end: 61.5 },
  ];
  assert.equal(sectionStartingAt(sections, 59.9), sections[1]);
  assert.equal(sectionStartingAt(sections, 59.9004), sections[1]);
  assert.equal(sectionStartingAt(sections, 59.8), undefined);
  assert.ok(Math.abs(sectionsShareOfSource(sections, 100) - 0.046 * 1.1) < 1e-9);
  assert.equal(sectionsShareOfSource(sections, null), 1, 'unknown duration: the whole size');
  assert.equal(sectionsShareOfSource([{ start: 0, end: 99 }], 100), 1);
});

test('sections download side by side, one yt-dlp each, unless a rate limit asks for one run', () => {
  const sections = [
    { start: 0, end: 2.5 },
    { start: 13.9, end: 16.5 },
  ];
  assert.deepEqual(sectionRuns(sections, false), [[sections[0]], [sections[1]]]);
  assert.deepEqual(sectionRuns(sections, true), [sections]);
  assert.deepEqual(sectionRuns(null, false), [null]);
});
