import { NativeConnection } from '@temporalio/worker';
import { resolveMediaTools } from '../tools/binaries.js';
import { describeEncoder, selectEncoder } from '../tools/encoder.js';
import { installRuntime } from '../worker/runtime.js';
import { createVstreamWorkers } from '../worker/workers.js';
import { ExitCode } from './exit-codes.js';
import { createLogger } from './logger.js';
import type { WorkerOptions } from './options.js';

/**
 * `vstream worker`: a long-lived worker against a given Temporal server. SIGINT or
 * SIGTERM drains it: no new tasks, running activities get the grace time.
 */
export async function workerCommand(options: WorkerOptions, out: (line: string) => void = console.log): Promise<number> {
  const logger = createLogger(options.logLevel);
  const tools = resolveMediaTools();
  installRuntime(logger);
  const selection = await selectEncoder(options.encoder, { ffmpeg: tools.ffmpeg, deviceId: options.deviceId, x265Preset: options.x265Preset });
  if (selection.warning) logger.warn({}, selection.warning);
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const workers = await createVstreamWorkers({
    connection,
    namespace: options.namespace,
    hostId: options.hostId,
    deps: { tools, encoder: selection.encoder, logger },
    hostSlots: options.slots,
  });
  let signalled = false;
  const stop = () => {
    if (signalled) process.exit(ExitCode.interrupted);
    signalled = true;
    out('vstream worker: draining (signal again to stop at once)');
    workers.shutdown();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  out(`vstream worker: host ${options.hostId} (queue ${workers.hostQueue}), ${describeEncoder(selection.encoder)}, ${options.slots} slots, server ${options.temporalAddress}`);
  try {
    await workers.run();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await connection.close();
  }
  return ExitCode.ok;
}
