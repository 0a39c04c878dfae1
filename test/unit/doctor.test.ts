import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doctorExitCode, formatCheck, toolVersion, ytDlpAgeDays } from '../../src/core/doctor.js';

test('yt-dlp age from its date version', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  assert.equal(ytDlpAgeDays('2026.10.26', now), 33);
  assert.equal(ytDlpAgeDays('2023.03.04.184317', now), 1365);
  assert.equal(ytDlpAgeDays('unknown', now), null);
});

test('tool versions and check lines', () => {
  assert.equal(toolVersion('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026'), '5.1.9-0+deb12u1');
  assert.equal(formatCheck({ level: 'fail', name: 'yt-dlp', detail: 'not found' }), 'FAIL  yt-dlp: not found');
  assert.equal(
    doctorExitCode([
      { level: 'ok', name: 'a', detail: '' },
      { level: 'warn', name: 'b', detail: '' },
    ]),
    0,
  );
  assert.equal(doctorExitCode([{ level: 'fail', name: 'a', detail: '' }]), 1);
});
