// The Temporal UI of a finished batch, in a real browser (Debian's headless Chromium through
// playwright-core): a small real batch with one 404 video, then `vstream ui -o DIR` on its
// history, on the port its run used. The links `run` printed open on the batch's videos;
// the failed video's page loads (no HTTP 500) and shows its ID. Screenshots are kept in the
// test's temporary folder, their paths printed.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import * as layout from '../../src/core/layout.js';
import { ExitCode } from '../../src/client/exit-codes.js';
import type { MediaServer } from '../../src/devkit/media-server.js';
import { launchBrowser, openPage, screenshot as screenshotIn } from '../helpers/browser.js';
import {
  exitWithin,
  runBatchWithMissingVideo,
  runCli,
  startCli,
  waitFor,
  type BatchDirs,
  type CliRun,
  type StartedCli,
} from '../helpers/e2e.js';

const OK = ['ok0', 'ok1'];
const GONE = 'gone';
let dirs: BatchDirs;
let media: MediaServer;
let run: CliRun;
let batchId: string;
let ui: StartedCli;
let uiUrl: string;
let browser: Browser;

/** The link `run` printed after `label: `. */
const printedLink = (label: string) => run.stdout.match(new RegExp(`^\\s*${label}: (http\\S+)$`, 'm'))?.[1];

before(async () => {
  ({ dirs, media, run } = await runBatchWithMissingVideo('ui', OK, GONE));
  batchId = run.stdout.match(/batch (vstream-[0-9a-f]+)/)?.[1] ?? '';
  ui = startCli(['ui', '-o', dirs.out]);
  uiUrl = await waitFor(
    'vstream ui to print its address and its latest batch’s links',
    () => /its videos: /.test(ui.output.stdout) && ui.output.stdout.match(/Temporal UI: (http:\/\/[^/\s]+)/)?.[1],
    90_000,
  );
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (ui?.child.exitCode === null) {
    ui.child.kill('SIGINT');
    await exitWithin(ui, 30_000);
  }
  await media?.close();
});

test('run prints the batch page, its videos list and `vstream ui -o DIR`; vstream ui serves on the same port', async () => {
  assert.equal(run.code, ExitCode.incomplete, run.stdout + run.stderr);
  assert.ok(batchId, run.stdout);
  const stored = JSON.parse(await readFile(layout.uiPortPath(dirs.out), 'utf8')) as { port: number };
  assert.equal(new URL(printedLink('Temporal UI') ?? 'http://x').port, String(stored.port));
  assert.equal(new URL(uiUrl).port, String(stored.port), 'vstream ui reuses the run’s port: its links stay valid');
  assert.ok(printedLink('its videos'), run.stdout);
  assert.match(run.stdout, new RegExp(`^Temporal UI after this run: vstream ui -o ${dirs.out}$`, 'm'));

  // vstream ui prints them again for the folder's latest batch.
  for (const label of ['Temporal UI', 'its videos'])
    assert.ok(ui.output.stdout.includes(`${label}: ${printedLink(label)}\n`), ui.output.stdout);

  // While `vstream ui` serves the folder, status prints the same links.
  const status = await runCli(['status', '-o', dirs.out]);
  assert.equal(status.code, 0, status.stderr);
  for (const label of ['Temporal UI', 'its videos'])
    assert.ok(status.stdout.includes(`  ${label}: ${printedLink(label)}\n`), status.stdout);
});

const screenshot = (t: { diagnostic(message: string): void }, page: Page, name: string) =>
  screenshotIn(t, page, dirs.root, name);

/** Waits until the page shows `text` (the UI renders after its API calls return). */
const shows = (page: Page, text: string) => page.getByText(text, { exact: false }).first().waitFor({ timeout: 30_000 });

test('the videos link lists exactly this batch’s videos', async (t) => {
  const { page, serverErrors } = await openPage(browser, printedLink('its videos') as string);
  for (const videoId of [...OK, GONE]) await shows(page, `${batchId}/${videoId}`);
  await screenshot(t, page, 'batch-videos');
  const listed = await page.locator(`a:has-text("${batchId}/")`).allTextContents();
  assert.deepEqual(new Set(listed.map((text) => text.trim())), new Set([...OK, GONE].map((id) => `${batchId}/${id}`)));
  assert.deepEqual(serverErrors, []);
});

test('the batch’s page and the failed video’s page load without a server error', async (t) => {
  const batchPage = await openPage(browser, printedLink('Temporal UI') as string);
  await shows(batchPage.page, batchId);
  await screenshot(t, batchPage.page, 'batch');
  assert.deepEqual(batchPage.serverErrors, []);

  const failedId = `${batchId}/${GONE}`;
  const failed = await openPage(browser, `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(failedId)}`);
  await shows(failed.page, failedId);
  await screenshot(t, failed.page, 'failed-video');
  assert.deepEqual(failed.serverErrors, []);
  // TODO(issue 11, failed videos as Failed workflows): assert the page shows Failed and the
  // errorType (VideoUnavailable) once the video workflow ends failed.
});

test('with search attributes, the failed-videos link lists exactly the failed video', async (t) => {
  // Printed only when the batch uses vstream's search attributes.
  const link = printedLink('failed videos');
  if (!link) return t.skip('this batch runs without search attributes: run printed no failed-videos link');
  const { page, serverErrors } = await openPage(browser, link);
  await shows(page, `${batchId}/${GONE}`);
  await screenshot(t, page, 'failed-videos');
  const listed = await page.locator(`a:has-text("${batchId}/")`).allTextContents();
  assert.deepEqual(
    listed.map((text) => text.trim()),
    [`${batchId}/${GONE}`],
  );
  assert.deepEqual(serverErrors, []);
});
