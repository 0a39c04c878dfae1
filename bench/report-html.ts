// report.html for a large batch: writes a synthetic report.jsonl of N videos (default
// 100,000; statuses, reasons, 5 clips and timings each), then times writeReportHtml,
// the function the writeReport activity runs. Prints seconds and the file's size.
//
//   npm run bench:report -- [--videos 100000]
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_ENCODE_SETTINGS } from '../src/config.js';
import { ReportTally, type ReportHead } from '../src/core/report.js';
import { SYNTHETIC_START, syntheticVideo } from '../src/devkit/synthetic-report.js';
import { PROJECT_ROOT } from '../src/tools/project.js';
import { readChartLibrary, writeReportHtml } from '../src/tools/report-html-file.js';

const { values } = parseArgs({ options: { videos: { type: 'string', default: '100000' } } });
const VIDEOS = Number(values.videos);
const DIR = join(PROJECT_ROOT, 'bench-out', 'report-html');
async function main(): Promise<void> {
  await mkdir(DIR, { recursive: true });
  const linesPath = join(DIR, 'report.jsonl');
  const lines = createWriteStream(linesPath);
  const tally = new ReportTally();
  for (let i = 0; i < VIDEOS; i++) {
    const video = syntheticVideo(i);
    tally.add(video);
    if (!lines.write(`${JSON.stringify(video)}\n`)) await once(lines, 'drain');
  }
  lines.end();
  await finished(lines);
  const head: ReportHead = {
    batchId: 'bench',
    startedAt: new Date(SYNTHETIC_START).toISOString(),
    finishedAt: new Date(SYNTHETIC_START + VIDEOS * 3000).toISOString(),
    counts: tally.counts(0),
    rejectedLines: [],
  };
  const htmlPath = join(DIR, 'report.html');
  const started = process.hrtime.bigint();
  await writeReportHtml(htmlPath, head, linesPath, {
    chartLibrary: await readChartLibrary(),
    ui: { uiUrl: 'http://127.0.0.1:8233', namespace: 'default' },
    encodeSettings: DEFAULT_ENCODE_SETTINGS,
    run: { workers: 8, downloadMode: 'full', retryFailed: false },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { size } = await stat(htmlPath);
  const jsonlSize = (await stat(linesPath)).size;
  console.log(`report.html for ${VIDEOS} videos: ${seconds.toFixed(2)} s, ${(size / 1e6).toFixed(1)} MB`);
  console.log(
    `  (from a report.jsonl of ${(jsonlSize / 1e6).toFixed(1)} MB; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB)`,
  );
  console.log(`  ${htmlPath}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
