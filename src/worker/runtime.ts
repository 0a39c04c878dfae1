import { Runtime, type LogLevel, type LogMetadata, type Logger } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import { SDK_LOG_SOURCE } from '../config.js';
import { isLogEventName } from '../core/log-events.js';
import { COUNTERS_TOTAL_SUFFIX, histogramBuckets } from '../core/metrics.js';

let installed = false;

const SEVERITY: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };
const PINO_METHOD = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
/** What the SDK adds to a workflow's `log` lines; an event line needs none of it (its batchId and videoId say more). */
const WORKFLOW_CONTEXT = ['sdkComponent', 'namespace', 'taskQueue', 'workflowId', 'runId', 'workflowType'];

/**
 * The SDK's lines at `level` and up, tagged as the SDK's; our workflows' events (`log`
 * from @temporalio/workflow with an `event` field, src/core/log-events.ts) at any level,
 * as our own lines, like the activities' events.
 */
export class RuntimeLogger implements Logger {
  constructor(
    private readonly logger: PinoLogger,
    private readonly level: LogLevel,
  ) {}

  log(level: LogLevel, message: string, meta: LogMetadata = {}): void {
    if (isLogEventName(meta.event)) {
      const fields = Object.fromEntries(Object.entries(meta).filter(([key]) => !WORKFLOW_CONTEXT.includes(key)));
      this.logger[PINO_METHOD[level]](fields, message);
      return;
    }
    if (SEVERITY[level] < SEVERITY[this.level]) return;
    // Host-queue workers poll activities only, by design.
    if (message.startsWith('No workflows registered')) return;
    this.logger[PINO_METHOD[level]]({ ...meta, source: SDK_LOG_SOURCE }, message);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

export interface MetricsEndpoint {
  /** host:port of the Prometheus endpoint (/metrics). */
  bindAddress: string;
  /** The `host` label of every series, the SDK's and ours. */
  hostId: string;
}

/** Where --metrics-port and --metrics-address listen (IPv6 in brackets), or undefined: no metrics. */
export function metricsEndpoint(
  metrics: { port: number; address: string } | null,
  hostId: string,
): MetricsEndpoint | undefined {
  if (!metrics) return undefined;
  const host = metrics.address.includes(':') ? `[${metrics.address}]` : metrics.address;
  return { bindAddress: `${host}:${metrics.port}`, hostId };
}

/** The runtime's Prometheus exporter: the SDK's metrics and ours (src/core/metrics.ts), every series labelled with the host. */
export function metricsTelemetry(endpoint: MetricsEndpoint) {
  return {
    prometheus: {
      bindAddress: endpoint.bindAddress,
      countersTotalSuffix: COUNTERS_TOTAL_SUFFIX,
      useSecondsForDurations: true,
      histogramBucketOverrides: histogramBuckets(),
    },
    globalTags: { host: endpoint.hostId },
  };
}

/**
 * Routes the SDK's logs into our logger (warnings and up by default: the SDK is
 * chatty), and leaves signal handling to the CLI, which decides how to stop. With an
 * endpoint, serves Prometheus metrics: the runtime is installed once per process, so
 * the first call decides.
 */
export function installRuntime(logger: PinoLogger, level: LogLevel = 'WARN', metrics?: MetricsEndpoint): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    shutdownSignals: [],
    telemetryOptions: {
      // Core's own (Rust) lines too, instead of raw ANSI lines on stderr.
      logging: { filter: { core: level, other: level }, forward: {} },
      ...(metrics ? { metrics: metricsTelemetry(metrics) } : {}),
    },
    logger: new RuntimeLogger(logger, level),
  });
}
