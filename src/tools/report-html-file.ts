// Writes report.html from report.jsonl, one video at a time (src/core/report-html.ts
// builds the pieces); the chart library is read from node_modules and inlined.
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { readFile, rename } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { ReportHtmlBuilder, type ReportHtmlOptions } from '../core/report-html.js';
import type { ReportHead } from '../core/report.js';
import type { VideoResult } from '../core/types.js';

/** Chart.js's browser build (MIT, its licence header included), from the installed package. */
export async function readChartLibrary(): Promise<string> {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return readFile(join(dirname(main), 'chart.umd.min.js'), 'utf8');
}

/** Streams report.html to `path` (through a temporary file) from report.jsonl's lines. */
export async function writeReportHtml(
  path: string,
  head: ReportHead,
  linesPath: string,
  options: ReportHtmlOptions,
): Promise<void> {
  const builder = new ReportHtmlBuilder(head, options);
  const out = createWriteStream(`${path}.tmp`);
  const write = async (chunk: string) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  await write(builder.start());
  for await (const line of createInterface({ input: createReadStream(linesPath), crlfDelay: Infinity })) {
    if (line !== '') await write(builder.row(JSON.parse(line) as VideoResult));
  }
  out.end(builder.end());
  await finished(out);
  await rename(`${path}.tmp`, path);
}
