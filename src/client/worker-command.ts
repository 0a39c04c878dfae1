import { NativeConnection } from '@temporalio/worker';
import { resolveMediaTools } from '../tools/binaries.js';
import { describeEncoder, selectEncoder } from '../tools/encoder.js';
import { ScratchFiles } from '../tools/scratch.js';
import { TempBudget } from '../tools/temp-budget.js';
import { installRuntime } from '../worker/runtime.js';
import { createVstreamWorkers } from '../worker/workers.js';
import { ExitCode } from './exit-codes.js';
import { createLogger } from './logger.js';
import type { WorkerOptions } from './options.js';
import { Stopper } from './stopper.js';

/**
 * `vstream worker`: a long-lived worker against a given Temporal server. SIGINT or
 * SIGTERM drains it (no new tasks; running activities get the grace time); a second
 * signal stops it at once.
 */
export async function workerCommand(options: WorkerOptions, out: (line: string) => void = console.log): Promise<number> {
  const logger = createLogger(options.logLevel);
  const tools = resolveMediaTools();
  installRuntime(logger);
  const selection = await selectEncoder(options.encoder, { ffmpeg: tools.ffmpeg, deviceId: options.deviceId, x265Preset: options.x265Preset });
  if (selection.warning) logger.warn({}, selection.warning);
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const scratch = new ScratchFiles();
  const workers = await createVstreamWorkers({
    connection,
    namespace: options.namespace,
    hostId: options.hostId,
    deps: { tools, encoder: selection.encoder, logger, scratch, tempBudget: options.maxTempGb ? new TempBudget(options.maxTempGb * 1024 ** 3) : undefined },
    hostSlots: options.slots,
  });
  const stopper = new Stopper(out, scratch, 'vstream worker: draining: no new tasks, running ones may finish (signal again to stop at once)');
  void stopper.requested.then(() => workers.shutdown());
  out(`vstream worker: host ${options.hostId} (queue ${workers.hostQueue}), ${describeEncoder(selection.encoder)}, ${options.slots} slots, server ${options.temporalAddress}`);
  try {
    await workers.run();
  } finally {
    stopper.dispose();
    await connection.close();
  }
  return ExitCode.ok;
}
