// The host's last steps for a video free what it held on the host: its source folder and
// an encode place its download reserved but no encode used (a video cancelled between
// its download and its encode held the host's only encoder until the reservation expired).
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createFinishActivities } from '../../src/activities/finish.js';
import * as layout from '../../src/core/layout.js';
import { EncodeQueues, encodeReservationKey } from '../../src/tools/sessions.js';
import { tempDir } from '../helpers/e2e.js';
import { silentLogger } from '../helpers/activity-env.js';

test('deleteSource removes the source folder and frees the encode place its download reserved', async () => {
  const workDir = await tempDir('finish');
  const source = join(layout.sourceDir(workDir, 'b1', 'v1'), 'source.mp4');
  await mkdir(join(source, '..'), { recursive: true });
  await writeFile(source, 'video');
  const encodeQueues = new EncodeQueues([{ name: 'cpu', capacity: 1 }], { pollMs: 10_000 });
  assert.equal(await encodeQueues.pickWhenFree(encodeReservationKey(source)), 'cpu');
  const next = encodeQueues.pickWhenFree(encodeReservationKey(join(layout.sourceDir(workDir, 'b1', 'v2'), 'x.mp4')));

  const finish = createFinishActivities({ workDir: undefined, logger: silentLogger, encodeQueues });
  await finish.deleteSource({ batchId: 'b1', videoId: 'v1', workDir });

  const stillWaiting = new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 2_000));
  assert.equal(await Promise.race([next, stillWaiting]), 'cpu', "the next video's encode got the place");
  assert.deepEqual(await readdir(layout.batchWorkDir(workDir, 'b1')).catch(() => []), []);
});
