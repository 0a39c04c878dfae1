// report.html: the report for people, one self-contained file (the chart library is
// inlined, nothing is fetched), built in pieces so that a report of 100,000 videos
// streams: `start()`, one `row()` per video, `end()`. The table's rows go into the
// page as one compact JSON array of arrays and the browser shows them a page at a
// time; the charts get numbers binned here (report-digest.ts).
import { videoWorkflowId, type ReportRunSettings } from './batch-input.js';
import { ReportDigest } from './report-digest.js';
import { REPORT_PAGE_SCRIPT, REPORT_PAGE_SIZE, REPORT_PAGE_STYLE, STATUS_COLOURS } from './report-page.js';
import type { Report, ReportHead } from './report.js';
import type { EncodeSettings, VideoResult } from './types.js';
import { VIDEO_STATUSES } from './types.js';
import { workflowPageUrl } from './ui-links.js';

export interface ReportHtmlOptions {
  /** The chart library's browser build (Chart.js UMD), inlined as it is. */
  chartLibrary: string;
  /** Where the batch's Temporal UI is (links to each video's workflow); null: unknown, IDs only. */
  ui: { uiUrl: string; namespace: string } | null;
  encodeSettings: EncodeSettings | null;
  run?: ReportRunSettings;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

/** JSON that is safe inside a <script> element: no `<`, `>` or `&` can close it or open a comment. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A library's source inside <script>: a literal `</script` in it would end the element. */
const inlineScript = (source: string) => `<script>${source.replace(/<\/script/gi, '<\\/script')}</script>`;

/** One table row: [line, videoId, status, clips, errorType, reason, downloadSeconds, encodeSeconds]. */
export type ReportRow = [number, string, string, number, string | null, string | null, number | null, number | null];

export function reportRow(video: VideoResult): ReportRow {
  const t = video.timings;
  return [
    video.line,
    video.videoId,
    video.status,
    video.clips.length,
    video.errorType,
    video.reason,
    t?.downloadSeconds ?? null,
    t?.encodeSeconds ?? null,
  ];
}

/** The settings section's rows, label and value. */
export function settingsRows(
  encode: EncodeSettings | null,
  run: ReportRunSettings | undefined,
  encoders: Record<string, number>,
): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  const usedEncoders = Object.entries(encoders).map(([name, clips]) => `${name} (${clips} clips)`);
  rows.push(['encoder', usedEncoders.length > 0 ? usedEncoders.join('; ') : 'no clip made']);
  if (encode) {
    rows.push(['size', `${encode.width}x${encode.height}`]);
    rows.push(['frame rate', `${encode.fps} fps`]);
    // NVENC keeps the original's VBR whatever crf says: crf is the libx265 encoder's reading.
    const mode = encode.crf === undefined ? 'VBR' : `libx265 CRF ${encode.crf} (NVENC VBR)`;
    rows.push([
      'rate control',
      `${mode}, max ${encode.maxrateKbps} kbit/s, buffer ${encode.bufsizeKbits} kbit, GOP ${encode.gop}`,
    ]);
  }
  if (run) {
    rows.push(['download mode', run.downloadMode]);
    rows.push(['format', run.format ?? "vstream's default"]);
    rows.push(['videos in flight', String(run.workers)]);
    if (run.downloadAhead) rows.push(['downloaded ahead of the encoders', String(run.downloadAhead)]);
    rows.push(['retry failed', run.retryFailed ? 'yes' : 'no']);
  }
  return rows;
}

/** Only http(s) addresses become links: anything else is shown as an ID. */
const isWebAddress = (url: string) => /^https?:\/\/[^\s"'<>]+$/.test(url);

const figure = (id: string, caption: string, empty: string) =>
  `<figure><figcaption>${escapeHtml(caption)}</figcaption>` +
  `<div class="chart"><canvas id="${id}" data-empty="${escapeHtml(empty)}"></canvas></div></figure>`;

const countCell = (key: string, label: string, value: number) =>
  `<tr><th>${escapeHtml(label)}</th><td class="num" data-count="${escapeHtml(key)}">${value}</td></tr>`;

/** Builds report.html in pieces; the caller writes each piece as it comes. */
export class ReportHtmlBuilder {
  private readonly digest = new ReportDigest();
  private rows = 0;

  constructor(
    private readonly head: ReportHead,
    private readonly options: ReportHtmlOptions,
  ) {}

  /** Everything before the rows: the counts, the charts' places, the table's frame. */
  start(): string {
    const { head, options } = this;
    const { counts } = head;
    const batchUrl = options.ui ? workflowPageUrl(options.ui.uiUrl, options.ui.namespace, head.batchId) : null;
    const uiLink =
      batchUrl && isWebAddress(batchUrl)
        ? ` · <a id="batch-link" href="${escapeHtml(batchUrl)}">the batch in the Temporal UI</a>`
        : '';
    const statusRows = VIDEO_STATUSES.map((s) => countCell(s, s, counts[s])).join('');
    const errorRows = Object.entries(counts.byErrorType ?? {})
      .map(
        ([type, n]) =>
          `<tr><th>${escapeHtml(type)}</th><td class="num" data-error-type="${escapeHtml(type)}">${n}</td></tr>`,
      )
      .join('');
    const statusOptions = VIDEO_STATUSES.map((s) => `<option value="${s}">${s} (${counts[s]})</option>`).join('');
    return [
      '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">',
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
      `<title>vstream report: ${escapeHtml(head.batchId)}</title><style>${REPORT_PAGE_STYLE}</style></head><body>`,
      `<header><h1>vstream report</h1><p>batch <code id="batch-id">${escapeHtml(head.batchId)}</code>`,
      ` · started ${escapeHtml(head.startedAt)} · finished ${escapeHtml(head.finishedAt)}${uiLink}</p></header>`,
      '<section id="counts"><h2>Counts</h2><div class="grid"><table><tbody>',
      countCell('videos', 'videos', counts.videos),
      statusRows,
      countCell('clips', 'clips made', counts.clips),
      countCell('rejectedLines', 'URL lines rejected', counts.rejectedLines),
      '</tbody></table><table id="error-types"><thead><tr><th>failed, by error type</th><th>videos</th></tr></thead>',
      `<tbody>${errorRows || '<tr><td colspan="2" class="empty">no failed video</td></tr>'}</tbody></table></div></section>`,
      '<section id="charts"><h2>Charts</h2><div class="grid">',
      figure('chart-status', 'Videos by status', 'no video'),
      figure('chart-errors', 'Failed videos by error type', 'no failed video'),
      figure(
        'chart-throughput',
        'Throughput: videos finished and clips made per time bucket (UTC)',
        'no finish recorded',
      ),
      figure('chart-download', 'Download time per video (seconds)', 'no download timed'),
      figure('chart-encode', 'Encode time per video (seconds)', 'no encode timed'),
      '</div></section>',
      '<section id="videos"><h2>Videos</h2><div class="controls">',
      `<label>status <select id="status-filter"><option value="">all (${counts.videos})</option>${statusOptions}</select></label>`,
      '<label>video ID <input id="search" type="search"></label>',
      '<button id="page-prev" type="button">previous</button><span id="page-info"></span>',
      '<button id="page-next" type="button">next</button></div>',
      `<p class="empty">${REPORT_PAGE_SIZE} videos a page, in URL-list order.` +
        (batchUrl ? ' Links open the Temporal UI; after the run, start it with <code>vstream ui -o OUT</code>.' : '') +
        '</p>',
      '<table id="video-table"><thead><tr><th class="num">line</th><th>video</th><th>status</th><th class="num">clips</th>',
      '<th>error type</th><th>reason</th><th class="num">download s</th><th class="num">encode s</th></tr></thead>',
      '<tbody></tbody></table></section>\n',
      '<script type="application/json" id="report-rows">[',
    ].join('');
  }

  /** One video's row (and its part of the charts). */
  row(video: VideoResult): string {
    this.digest.add(video);
    return `${this.rows++ === 0 ? '' : ','}\n${scriptJson(reportRow(video))}`;
  }

  /** The rest: the settings, the charts' numbers, the scripts. */
  end(): string {
    const { head, options } = this;
    const charts = this.digest.charts();
    const errors = Object.entries(head.counts.byErrorType ?? {});
    const uiPrefix = options.ui ? workflowPageUrl(options.ui.uiUrl, options.ui.namespace, '') : null;
    const data = {
      statuses: {
        labels: VIDEO_STATUSES,
        counts: VIDEO_STATUSES.map((s) => head.counts[s]),
        colours: VIDEO_STATUSES.map((s) => STATUS_COLOURS[s]),
      },
      errorTypes: { labels: errors.map(([type]) => type), counts: errors.map(([, n]) => n) },
      throughput: charts.throughput,
      download: charts.download,
      encode: charts.encode,
      workflowUrlPrefix: uiPrefix && isWebAddress(uiPrefix) ? uiPrefix : null,
      workflowIdPrefix: videoWorkflowId(head.batchId, ''),
    };
    const settings = settingsRows(options.encodeSettings, options.run, charts.encoders)
      .map(([label, value]) => `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`)
      .join('');
    return [
      '\n]</script>\n',
      `<section id="settings"><h2>Settings</h2><table><tbody>${settings}</tbody></table></section>`,
      `<script type="application/json" id="report-data">${scriptJson(data)}</script>\n`,
      inlineScript(options.chartLibrary),
      `\n<script>${REPORT_PAGE_SCRIPT}</script></body></html>\n`,
    ].join('');
  }
}

/** The whole page at once, for a report held in memory. */
export function buildReportHtml(report: Report, options: ReportHtmlOptions): string {
  const { videos, ...head } = report;
  const builder = new ReportHtmlBuilder(head, options);
  return builder.start() + videos.map((video) => builder.row(video)).join('') + builder.end();
}
