import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BatchInput, BatchProgress, VideoInput } from '../../src/core/batch-input.js';
import { emptyStatusCounts } from '../../src/core/report.js';
import {
  batchCurrentDetails,
  batchStaticDetails,
  batchStaticSummary,
  batchStatus,
  clipFileOf,
  downloadSummary,
  encodeSummary,
  videoStaticDetails,
  videoStaticSummary,
} from '../../src/core/workflow-story.js';

const counts = (over: Partial<ReturnType<typeof emptyStatusCounts>>) => ({ ...emptyStatusCounts(), ...over });

describe('batchStatus', () => {
  test('succeeded when every video succeeded or was skipped', () => {
    assert.equal(batchStatus(counts({ succeeded: 3, skipped: 1 }), false), 'succeeded');
    assert.equal(batchStatus(counts({}), false), 'succeeded', 'an empty list');
  });
  test('partial when some videos did not come through; failed when none did', () => {
    assert.equal(batchStatus(counts({ succeeded: 3, failed: 1 }), false), 'partial');
    assert.equal(batchStatus(counts({ partial: 2 }), false), 'partial', 'partial videos have clips');
    assert.equal(batchStatus(counts({ failed: 2, cancelled: 1 }), false), 'failed');
  });
  test('cancelled whatever the counts', () => {
    assert.equal(batchStatus(counts({ succeeded: 3 }), true), 'cancelled');
  });
});

describe('summaries and details', () => {
  const input: BatchInput = {
    urlsFile: '/in/urls.txt',
    clipDir: '/in/clips/',
    outDir: '/out',
    workDir: '/out/_vstream/work',
    settings: { width: 320, height: 180, fps: 30 },
    workers: 2,
    searchAttributes: true,
  };
  test('the batch: URL list, folders and settings, in a Markdown table', () => {
    assert.equal(batchStaticSummary(input), 'vstream batch: /in/urls.txt → /out');
    const details = batchStaticDetails(input);
    for (const row of [
      '| URL list | /in/urls.txt |',
      '| output folder | /out |',
      '| size | 320x180 |',
      '| workers | 2 |',
    ])
      assert.ok(details.includes(row), `${row} in\n${details}`);
    assert.match(batchStaticDetails({ ...input, searchAttributes: undefined }), /search attributes \| no/);
  });
  test('a video: ID, URL, clip file', () => {
    const video = { index: 4, line: 7, url: 'https://youtu.be/abc|def', videoId: 'abc' };
    const videoInput = { batchId: 'b', clipDir: '/in/clips/', outDir: '/out', video } as VideoInput;
    assert.equal(videoStaticSummary(videoInput), 'video abc (line 7)');
    const details = videoStaticDetails(videoInput);
    assert.ok(details.includes('| clip file | /in/clips/abc.txt |'), details);
    assert.ok(details.includes('| URL | https://youtu.be/abc\\|def |'), 'a | in a cell is escaped');
    assert.equal(clipFileOf('/c', 'x'), '/c/x.txt');
  });
  test('activity summaries', () => {
    assert.equal(downloadSummary('abc', undefined, 3), 'download abc (full)');
    assert.equal(downloadSummary('abc', 'full', 3), 'download abc (full)');
    assert.equal(downloadSummary('abc', 'sections', 3), 'download abc (sections, 3 clips)');
    assert.equal(encodeSummary(3, 'vstream-gpu-h-0'), 'encode 3 clips on vstream-gpu-h-0');
    assert.equal(encodeSummary(1, 'q'), 'encode 1 clip on q');
  });
});

describe('batchCurrentDetails', () => {
  const progress: BatchProgress = {
    batchId: 'b',
    phase: 'running',
    total: 10,
    rejectedLines: 0,
    started: 6,
    done: 4,
    inFlight: ['v4', 'v5'],
    counts: counts({ succeeded: 3, failed: 1 }),
    clips: 9,
    runs: 2,
    recent: [],
  };
  test('live counts', () => {
    const details = batchCurrentDetails(progress, 0);
    assert.ok(details.startsWith('**running**: 4 of 10 videos done, 2 in flight, 9 clips (run 2)'), details);
    assert.ok(details.includes('| failed | 1 |'));
    assert.ok(!details.includes('paused'));
  });
  test('a pause while it holds, then not', () => {
    const paused = { until: Date.UTC(2026, 0, 1), errorType: 'RateLimited', message: 'm', pause: 1, maxPauses: 5 };
    const details = batchCurrentDetails({ ...progress, paused }, paused.until - 1);
    assert.match(details, /Downloads paused until 2026-01-01T00:00:00.000Z \(RateLimited, pause 1 of 5\)/);
    assert.ok(!batchCurrentDetails({ ...progress, paused }, paused.until).includes('paused'));
    const abandoned = { errorType: 'BotCheck', message: 'sign in' };
    assert.match(batchCurrentDetails({ ...progress, abandoned }, 0), /Downloads given up: BotCheck: sign in/);
  });
});
