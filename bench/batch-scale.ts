// Batch throughput and memory with stub activities (same workflows, no real I/O) on
// the embedded server: videos/s, the largest history of any workflow run, the batch's
// runs (continue-as-new) and the worker's peak RSS, for several list lengths side by side.
// `--server native`: on the production stack instead (src/devkit/native-cluster.ts: the
// Temporal server built from Go on PostgreSQL, a fresh one per size), with the CPU of the
// server and of PostgreSQL (postmaster and its backends) apart.
//
//   npm run bench:scale -- [--sizes 1000,10000] [--workers 50] [--server embedded|native]
//   npm run bench:scale -- --search-attributes-cost [--rounds 3] [--sizes 1000]
//   npm run bench:scale -- --metrics-cost [--rounds 3] [--sizes 1000]
// The second form runs the first size with and without vstream's search attributes
// (the batch's `searchAttributes` input), alternating, and prints both medians and their
// ratio; the third the same with and without metrics (the stub worker serves them and
// records what the real activities record; the bench scrapes it as Prometheus would).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { SHARED_TASK_QUEUE, WORKFLOW_TYPES } from '../src/config.js';
import type { BatchInput } from '../src/core/batch-input.js';
import type { BatchSummary } from '../src/core/types.js';
import { scrapedValue } from '../src/core/metrics.js';
import { ensureServerBuild, startNativeCluster } from '../src/devkit/native-cluster.js';
import { freePort, startDevServer } from '../src/server/dev-server.js';
import { resolveTool } from '../src/tools/binaries.js';
import { PROJECT_ROOT } from '../src/tools/project.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000' },
    workers: { type: 'string', default: '50' },
    'search-attributes-cost': { type: 'boolean', default: false },
    'metrics-cost': { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    server: { type: 'string', default: 'embedded' },
  },
});
const SERVER = values.server as string;
if (SERVER !== 'embedded' && SERVER !== 'native') throw new Error(`--server: embedded or native, not ${SERVER}`);
const SIZES = (values.sizes as string).split(',').map(Number);
const WINDOW = Number(values.workers);

/** proc(5)'s stat fields after the command name: [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime. */
function statFields(pid: number): string[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
}

/** User + system CPU seconds a process has used so far (proc(5): utime, stime). */
function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A process's CPU seconds with its children's: the live ones' and those it has reaped (cutime, cstime). */
function treeCpuSecondsOf(pid: number): number {
  const own = statFields(pid);
  let seconds = cpuSecondsOf(pid) + (Number(own[13]) + Number(own[14])) / 100;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(Number(entry))[1]) === pid) seconds += cpuSecondsOf(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return seconds;
}

/** The Temporal server a measurement runs on; CPU seconds of its processes so far. */
interface BenchServer {
  address: string;
  serverCpuSeconds(): number;
  /** PostgreSQL's (native); 0 for the embedded server, whose SQLite is in its own process. */
  databaseCpuSeconds(): number;
  stop(): Promise<void>;
}

async function startBenchServer(dir: string): Promise<BenchServer> {
  if (SERVER === 'native') {
    const cluster = await startNativeCluster({ dir: join(dir, 'stack'), build: await ensureServerBuild(), tied: true });
    return {
      address: cluster.address,
      serverCpuSeconds: () => cpuSecondsOf(cluster.state.serverPid),
      databaseCpuSeconds: () => treeCpuSecondsOf(cluster.state.postgresPid),
      stop: () => cluster.stop(),
    };
  }
  const server = await startDevServer({
    temporalBin: resolveTool('temporal'),
    dbFile: join(dir, 'temporal.db'),
    logFile: join(dir, 'server.log'),
  });
  return {
    address: server.address,
    serverCpuSeconds: () => cpuSecondsOf(server.pid),
    databaseCpuSeconds: () => 0,
    stop: () => server.stop(),
  };
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

interface Row {
  videos: number;
  seconds: number;
  perSecond: number;
  maxHistory: number;
  maxHistoryWorkflow: string;
  batchRuns: number;
  peakRssMb: number;
  /** CPU seconds of the server and the worker: less swayed by other work on the machine than wall time. */
  cpuSeconds: number;
  serverCpuSeconds: number;
  databaseCpuSeconds: number;
}

/** How often the bench scrapes a worker that serves metrics (Prometheus's default is 15 s; this is harsher). */
const SCRAPE_EVERY_MS = 5_000;

interface Variant {
  searchAttributes?: boolean;
  metrics?: boolean;
}

async function measure(videos: number, variant: Variant = {}): Promise<Row> {
  const dir = join(PROJECT_ROOT, 'bench-out', 'scale', String(videos));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const server = await startBenchServer(dir);
  const metricsPort = variant.metrics ? await freePort() : null;
  const worker = spawn(process.execPath, [join(PROJECT_ROOT, 'dist', 'bench', 'stub-worker.js'), server.address], {
    env: {
      ...process.env,
      BENCH_VIDEOS: String(videos),
      BENCH_SLOTS: String(WINDOW * 2),
      ...(metricsPort ? { BENCH_METRICS_PORT: String(metricsPort) } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    worker.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    worker.on('exit', (code) => reject(new Error(`the stub worker exited (${code}) before it was ready`)));
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const scraper = metricsPort ? setInterval(() => void scrape().catch(() => undefined), SCRAPE_EVERY_MS) : undefined;
  try {
    const batchId = `scale-${videos}`;
    const input: BatchInput = {
      urlsFile: '/u',
      clipDir: '/c',
      outDir: '/o',
      workDir: '/w',
      workers: WINDOW,
      startDelaySeconds: 0,
      searchAttributes: variant.searchAttributes ?? false,
    };
    const started = Date.now();
    const handle = await client.workflow.start(WORKFLOW_TYPES.batch, {
      taskQueue: SHARED_TASK_QUEUE,
      workflowId: batchId,
      args: [input],
    });
    const summary = (await handle.result()) as BatchSummary;
    const seconds = (Date.now() - started) / 1000;
    if (summary.counts.succeeded !== videos)
      throw new Error(`only ${summary.counts.succeeded} of ${videos} videos succeeded`);
    if (metricsPort) {
      // The recording really ran: every video is counted on the endpoint.
      const counted = scrapedValue(await scrape(), 'vstream_videos_total', { status: 'succeeded' });
      if (counted !== videos) throw new Error(`the endpoint counts ${counted} of ${videos} succeeded videos`);
    }
    let maxHistory = 0;
    let maxHistoryWorkflow = '';
    let batchRuns = 0;
    for await (const execution of client.workflow.list()) {
      if (execution.workflowId === batchId) batchRuns++;
      if ((execution.historyLength ?? 0) > maxHistory) {
        maxHistory = execution.historyLength ?? 0;
        maxHistoryWorkflow = execution.workflowId === batchId ? 'batch run' : 'video';
      }
    }
    return {
      videos,
      seconds,
      perSecond: videos / seconds,
      maxHistory,
      maxHistoryWorkflow,
      batchRuns,
      peakRssMb: peakRssMb(worker.pid as number),
      cpuSeconds: server.serverCpuSeconds() + cpuSecondsOf(worker.pid),
      serverCpuSeconds: server.serverCpuSeconds(),
      databaseCpuSeconds: server.databaseCpuSeconds(),
    };
  } finally {
    clearInterval(scraper);
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.on('exit', resolve));
    await connection.close();
    await server.stop();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** The cost of a feature (search attribute upserts, metrics): the same batch with and without, alternating. */
async function featureCost(feature: keyof Variant, label: string, videos: number, rounds: number): Promise<void> {
  console.log(
    `bench: ${videos} stub videos, window of ${WINDOW}, ${rounds} alternating rounds with and without ${label}`,
  );
  const rows: Record<'with' | 'without', Row[]> = { with: [], without: [] };
  for (let round = 1; round <= rounds; round++) {
    for (const kind of round % 2 === 1 ? (['without', 'with'] as const) : (['with', 'without'] as const)) {
      const row = await measure(videos, { [feature]: kind === 'with' });
      rows[kind].push(row);
      console.log(
        `round ${round}, ${kind}: ${row.seconds.toFixed(1)} s (${row.perSecond.toFixed(1)} videos/s), ${row.cpuSeconds.toFixed(1)} CPU s (server ${row.serverCpuSeconds.toFixed(1)})`,
      );
    }
  }
  const ratioOf = (pick: (row: Row) => number) => {
    const [withMedian, withoutMedian] = [median(rows.with.map(pick)), median(rows.without.map(pick))];
    // Each round's pair ran back to back: their ratio is less swayed by a slow spell of the machine.
    const paired = median(rows.with.map((row, i) => pick(row) / pick(rows.without[i] as Row)));
    return { withMedian, withoutMedian, ratio: withMedian / withoutMedian, paired };
  };
  const wall = ratioOf((row) => row.seconds);
  const cpu = ratioOf((row) => row.cpuSeconds);
  const workerCpu = ratioOf((row) => row.cpuSeconds - row.serverCpuSeconds);
  console.log(
    `\nmedian wall: with ${wall.withMedian.toFixed(1)} s, without ${wall.withoutMedian.toFixed(1)} s: ${wall.ratio.toFixed(3)}x ` +
      `(median of the rounds' own ratios ${wall.paired.toFixed(3)}x; target: at most 1.05x)`,
  );
  console.log(
    `median CPU of server and worker: with ${cpu.withMedian.toFixed(1)} s, without ${cpu.withoutMedian.toFixed(1)} s: ` +
      `${cpu.ratio.toFixed(3)}x (rounds' own ratios ${cpu.paired.toFixed(3)}x)`,
  );
  console.log(
    `median CPU of the worker alone: with ${workerCpu.withMedian.toFixed(1)} s, without ${workerCpu.withoutMedian.toFixed(1)} s: ` +
      `${workerCpu.ratio.toFixed(3)}x (rounds' own ratios ${workerCpu.paired.toFixed(3)}x)`,
  );
}

async function main(): Promise<void> {
  const [firstSize, rounds] = [SIZES[0] as number, Number(values.rounds)];
  if (values['search-attributes-cost']) return featureCost('searchAttributes', 'search attributes', firstSize, rounds);
  if (values['metrics-cost']) return featureCost('metrics', 'metrics', firstSize, rounds);
  const place =
    SERVER === 'native' ? 'Temporal server built from Go on PostgreSQL (native stack)' : 'embedded dev server (SQLite)';
  console.log(`bench: stub activities, window of ${WINDOW} videos, ${place}, ${cpus().length}-core machine`);
  const rows: Row[] = [];
  for (const size of SIZES) {
    const row = await measure(size);
    rows.push(row);
    console.log(`${size} videos: ${row.seconds.toFixed(1)} s`);
  }
  console.log(
    '\nvideos   wall (s)   videos/s   largest history (events)   batch runs   worker peak RSS (MB)   CPU s: server   database   worker',
  );
  for (const r of rows) {
    console.log(
      `${String(r.videos).padStart(6)}   ${r.seconds.toFixed(1).padStart(8)}   ${r.perSecond.toFixed(1).padStart(8)}   ${`${r.maxHistory} (${r.maxHistoryWorkflow})`.padStart(24)}   ${String(r.batchRuns).padStart(10)}   ${r.peakRssMb.toFixed(0).padStart(20)}   ${r.serverCpuSeconds.toFixed(1).padStart(13)}   ${r.databaseCpuSeconds.toFixed(1).padStart(8)}   ${(r.cpuSeconds - r.serverCpuSeconds).toFixed(1).padStart(6)}`,
    );
  }
  const first = rows[0];
  const last = rows.at(-1);
  if (first && last && rows.length > 1) {
    console.log(
      `\npeak RSS ${last.videos} / ${first.videos} videos: ${(last.peakRssMb / first.peakRssMb).toFixed(2)}x`,
    );
  }
  console.log('targets: >= 10 videos/s, no run above 10,240 events, RSS < 600 MB and flat with list length');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
