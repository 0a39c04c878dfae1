// report.html's style and browser script, inlined by report-html.ts. The script reads
// two JSON blocks (never HTML): every text it shows goes in through textContent, so a
// reason taken from a tool's stderr cannot become markup.

export const REPORT_PAGE_STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1300px; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
code { background: #f4f4f4; padding: 0 0.2em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap: 1em; }
.grid > table { align-self: start; }
figure { margin: 0; border: 1px solid #ddd; padding: 0.5em; }
figcaption { font-weight: 600; margin-bottom: 0.3em; }
.chart { position: relative; height: 260px; }
.empty { color: #777; font-style: italic; }
.controls { display: flex; gap: 1em; align-items: center; margin: 0.5em 0; flex-wrap: wrap; }
#video-table { width: 100%; } #video-table td.reason { max-width: 40em; overflow-wrap: anywhere; }
.status-succeeded { color: #1a7f37; } .status-partial { color: #9a6700; } .status-failed { color: #cf222e; }
.status-skipped { color: #57606a; } .status-cancelled { color: #8250df; }
`;

/** Colours of the statuses, in VIDEO_STATUSES order, shared by the chart and the table. */
export const STATUS_COLOURS: Record<string, string> = {
  succeeded: '#2da44e',
  partial: '#d4a72c',
  skipped: '#8c959f',
  failed: '#cf222e',
  cancelled: '#8250df',
};

/** The table shows this many videos a page; the rest wait in the page's JSON. */
export const REPORT_PAGE_SIZE = 100;

export const REPORT_PAGE_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var rows = JSON.parse(document.getElementById('report-rows').textContent);
  var PAGE_SIZE = ${REPORT_PAGE_SIZE};

  function chart(id, labels, datasets, legend) {
    var canvas = document.getElementById(id);
    if (labels.length === 0) {
      var note = document.createElement('p');
      note.className = 'empty';
      note.textContent = canvas.getAttribute('data-empty');
      canvas.parentNode.replaceWith(note);
      return;
    }
    new Chart(canvas, {
      type: 'bar',
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        plugins: { legend: { display: legend } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }
  chart('chart-status', data.statuses.labels, [{ label: 'videos', data: data.statuses.counts, backgroundColor: data.statuses.colours }], false);
  chart('chart-errors', data.errorTypes.labels, [{ label: 'failed videos', data: data.errorTypes.counts, backgroundColor: '#cf222e' }], false);
  chart('chart-throughput', data.throughput.labels, [
    { label: 'videos finished', data: data.throughput.videos, backgroundColor: '#0969da' },
    { label: 'clips made', data: data.throughput.clips, backgroundColor: '#8c959f' }
  ], true);
  chart('chart-download', data.download.labels, [{ label: 'videos', data: data.download.counts, backgroundColor: '#0969da' }], false);
  chart('chart-encode', data.encode.labels, [{ label: 'videos', data: data.encode.counts, backgroundColor: '#2da44e' }], false);

  // The table: rows are [line, videoId, status, clips, errorType, reason, downloadSeconds, encodeSeconds].
  var state = { status: '', search: '', page: 0 };
  var shown = rows;
  var body = document.querySelector('#video-table tbody');
  var info = document.getElementById('page-info');
  var prev = document.getElementById('page-prev');
  var next = document.getElementById('page-next');

  function cell(text, className) {
    var td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '' : String(text);
    if (className) td.className = className;
    return td;
  }
  function videoCell(videoId) {
    var td = document.createElement('td');
    if (data.workflowUrlPrefix === null) {
      td.textContent = data.workflowIdPrefix + videoId;
      return td;
    }
    var a = document.createElement('a');
    a.href = data.workflowUrlPrefix + encodeURIComponent(data.workflowIdPrefix + videoId);
    a.textContent = videoId;
    a.title = 'its workflow in the Temporal UI';
    td.appendChild(a);
    return td;
  }
  function filter() {
    var search = state.search.toLowerCase();
    shown = rows.filter(function (r) {
      return (state.status === '' || r[2] === state.status) && (search === '' || r[1].toLowerCase().indexOf(search) >= 0);
    });
    state.page = 0;
  }
  function render() {
    var pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    var fragment = document.createDocumentFragment();
    shown.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE).forEach(function (r) {
      var tr = document.createElement('tr');
      tr.appendChild(cell(r[0], 'num'));
      tr.appendChild(videoCell(r[1]));
      tr.appendChild(cell(r[2], 'status-' + r[2]));
      tr.appendChild(cell(r[3], 'num'));
      tr.appendChild(cell(r[4]));
      tr.appendChild(cell(r[5], 'reason'));
      tr.appendChild(cell(r[6], 'num'));
      tr.appendChild(cell(r[7], 'num'));
      fragment.appendChild(tr);
    });
    body.replaceChildren(fragment);
    info.textContent = 'page ' + (state.page + 1) + ' of ' + pages + ' (' + shown.length + ' videos)';
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
  }
  document.getElementById('status-filter').addEventListener('change', function (e) {
    state.status = e.target.value; filter(); render();
  });
  document.getElementById('search').addEventListener('input', function (e) {
    state.search = e.target.value; filter(); render();
  });
  prev.addEventListener('click', function () { state.page--; render(); });
  next.addEventListener('click', function () { state.page++; render(); });
  render();
  document.body.setAttribute('data-rendered', 'true');
})();
`;
