import { hostname } from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_X265_CRF } from '../config.js';
import { connectionFailureLine, type GivenSecurity } from '../core/connection-errors.js';
import { DevServerStartError } from '../core/dev-server-failure.js';
import { ToolMissingError } from '../tools/binaries.js';
import { EncoderUnavailableError } from '../tools/encoder.js';
import { vstreamVersion } from '../worker/deployment.js';
import { WorkflowBundleError } from '../worker/workflow-source.js';
import { CliError, ExitCode, UsageError } from './exit-codes.js';
import { ENCODER_CHOICES, OPTION_DEFAULTS, X265_PRESETS, parseRunOptions, parseWorkerOptions } from './options.js';
import { connectionSecurity, securityFromEnv, type SecurityOptions } from './connection-options.js';
import { buildDownloadSettings } from './download-settings.js';

/** Every command that connects to a Temporal server can reach a secured cluster. */
function addConnectionOptions(command: Command): Command {
  return command
    .option('--tls-cert <file>', 'client certificate for mTLS (env VSTREAM_TLS_CERT or TEMPORAL_TLS_CERT)')
    .option('--tls-key <file>', 'client key for mTLS (env VSTREAM_TLS_KEY or TEMPORAL_TLS_KEY)')
    .option('--tls-ca <file>', 'CA certificate of the server (env VSTREAM_TLS_CA or TEMPORAL_TLS_CA)')
    .option('--api-key <key>', 'Temporal Cloud API key (env VSTREAM_API_KEY or TEMPORAL_API_KEY)');
}

const security = (raw: SecurityOptions) => connectionSecurity(securityFromEnv(raw));

function addWorkerOptions(command: Command): Command {
  return command
    .option(
      '--encoder <kind>',
      `encoder: ${ENCODER_CHOICES.join(', ')} (auto: NVENC when a real encode works, else libx265)`,
      OPTION_DEFAULTS.encoder,
    )
    .addOption(
      new Option('--x265-preset <preset>', 'libx265 preset of the CPU encoder')
        .choices(X265_PRESETS)
        .default(OPTION_DEFAULTS.x265Preset),
    )
    .option('--namespace <name>', 'Temporal namespace', OPTION_DEFAULTS.namespace)
    .option('--log-level <level>', 'trace, debug, info, warn, error', OPTION_DEFAULTS.logLevel)
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port, at /metrics (default: none)')
    .option('--metrics-address <address>', 'address the metrics port listens on', OPTION_DEFAULTS.metricsAddress)
    .option('--max-temp-gb <GB>', 'temporary disk for sources: a download waits until it fits (default: no limit)')
    .option(
      '--no-encode-while-downloading',
      'start each encode only once its whole source is on disk (default: an idle encoder starts while it downloads)',
    )
    .option('--cookies <file>', 'Netscape cookies file for yt-dlp (stays on this host)')
    .option('--proxy <url>', 'proxy for yt-dlp, e.g. http://user:password@host:port (stays on this host)')
    .option('--limit-rate <rate>', "yt-dlp's download rate limit, e.g. 4M")
    .option('--sleep-interval <seconds>', 'yt-dlp sleeps this long before each download')
    .option('--yt-dlp-arg <arg>', 'one more yt-dlp argument (repeatable)', (value: string, all: string[] = []) => [
      ...all,
      value,
    ]);
}

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('vstream')
    .description('Durable YouTube-to-HEVC-clip pipeline on Temporal')
    .version(vstreamVersion(), '-V, --version', "print vstream's version")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`vstream: ${text.replace(/^error: /, '').trim()}\n`) })
    .showSuggestionAfterError(true);

  addWorkerOptions(
    addConnectionOptions(program.command('run'))
      .description('run a batch: download each video, cut and encode its clips, delete the source')
      .requiredOption('-u, --urls-file <file>', 'URL list, one per line')
      .requiredOption('-c, --input-clip-dir <dir>', 'folder of <videoId>.txt clip files')
      .requiredOption('-o, --output-dir <dir>', 'where <videoId>/<videoId>_<start>_<end>.hevc go')
      .option('-w, --workers <n>', 'videos encoded (and downloaded) at once', OPTION_DEFAULTS.workers)
      .option(
        '--download-ahead <n>',
        'videos downloaded ahead of the encoders, each waiting for the next free encoder (default: as many as --workers)',
      )
      .option(
        '-d, --start-delay <seconds>',
        'stagger of the first videos, as the original processes',
        OPTION_DEFAULTS.startDelay,
      )
      .option('--width <px>', 'output width', OPTION_DEFAULTS.width)
      .option('--height <px>', 'output height', OPTION_DEFAULTS.height)
      .option('--fps <n>', 'output frame rate (clip frame indices are at this rate)', OPTION_DEFAULTS.fps)
      .option(
        '--crf <n|off>',
        `libx265: constant quality n (0-51) capped by the 4 Mbit/s VBV, or off: ABR at 4 Mbit/s as the original; NVENC keeps the original's VBR (default: ${DEFAULT_X265_CRF} for a new output folder, else the folder's)`,
      )
      .option('--work-dir <dir>', 'where sources are downloaded (default <output-dir>/_vstream/work)')
      .option('--temporal-address <host:port>', 'use this Temporal server instead of an embedded one')
      .option('--batch-id <id>', 'batch ID (default: derived from the paths and encode settings)')
      .option('--retry-failed', 'run the failed and partial videos of a finished batch again')
      .option(
        '--heartbeat-timeout <seconds>',
        'how soon a lost download or encode is retried',
        OPTION_DEFAULTS.heartbeatTimeout,
      )
      .option(
        '--grace-time <seconds>',
        'on Ctrl-C, how long running downloads and encodes may finish',
        OPTION_DEFAULTS.graceTime,
      )
      .option('--device-id <n>', 'GPU for NVENC', OPTION_DEFAULTS.deviceId)
      .option(
        '--format <selector>',
        'yt-dlp format selection (default: 299, then H.264, then VP9 up to 1080p, never AV1)',
      )
      .option(
        '--backoff <seconds>',
        'first pause of all downloads after a rate limit or bot check; doubles each time',
        OPTION_DEFAULTS.backoff,
      )
      .option(
        '--max-pauses <n>',
        'pauses without a successful download before the remaining videos fail',
        OPTION_DEFAULTS.maxPauses,
      )
      .option(
        '--download-attempts <n>',
        'tries of a download that fails on the network',
        OPTION_DEFAULTS.downloadAttempts,
      )
      .option(
        '--download-retry-interval <seconds>',
        'first wait before a download is tried again (doubles)',
        OPTION_DEFAULTS.downloadRetryInterval,
      )
      .option(
        '--download-mode <mode>',
        'full, sections (only the clip ranges), or auto (sections when clips cover little)',
        OPTION_DEFAULTS.downloadMode,
      ),
  ).action(async (raw: Record<string, unknown>) => {
    const { runCommand } = await import('./run-command.js');
    setExitCode(await runCommand(parseRunOptions(raw), security(raw), buildDownloadSettings(raw)));
  });

  addWorkerOptions(
    addConnectionOptions(program.command('worker'))
      .description('run a long-lived worker against a Temporal server')
      .option('--temporal-address <host:port>', 'Temporal server', OPTION_DEFAULTS.temporalAddress)
      .option('--host-id <name>', "names this host's task queues", hostname().replace(/[^A-Za-z0-9._-]/g, '-'))
      .option('--gpus <list>', 'GPUs to encode on, e.g. 0,1 (default: every GPU nvidia-smi lists)')
      .option('--sessions-per-gpu <n>', 'concurrent NVENC sessions per GPU', OPTION_DEFAULTS.sessionsPerGpu)
      .option('--download-slots <n>', 'downloads at once on this host', OPTION_DEFAULTS.downloadSlots)
      .option('--cpu-slots <n>', 'libx265 encodes at once on a host without NVENC (default: cores / 4)')
      .option('--work-dir <dir>', "this host's folder for sources (default: the batch's)")
      .addOption(
        new Option('--deployment-name <name>', 'Worker Deployment this host belongs to')
          .env('VSTREAM_DEPLOYMENT_NAME')
          .default(OPTION_DEFAULTS.deploymentName),
      )
      .addOption(
        new Option('--build-id <id>', "this worker's version in the deployment (default: vstream's version)").env(
          'VSTREAM_BUILD_ID',
        ),
      )
      .option(
        '--no-versioning',
        'poll unversioned (servers without Worker Deployments); see README, upgrading a fleet',
      ),
  ).action(async (raw: Record<string, unknown>) => {
    const { workerCommand } = await import('./worker-command.js');
    setExitCode(await workerCommand(parseWorkerOptions(raw), security(raw), buildDownloadSettings(raw)));
  });

  for (const [name, description] of [
    ['cancel', 'cancel a batch for good: its downloads and encodes stop, unfinished videos are reported cancelled'],
    ['status', 'print the progress of a running or finished batch'],
  ] as const) {
    const command = addConnectionOptions(program.command(name))
      .description(description)
      .argument('[batchId]', "the batch (default: the output folder's latest)")
      .option('-o, --output-dir <dir>', 'the output folder of the batch (embedded server)')
      .option('--temporal-address <host:port>', 'the Temporal server of the batch')
      .option('--namespace <name>', 'Temporal namespace', OPTION_DEFAULTS.namespace);
    if (name === 'status')
      command.option('-w, --watch', 'follow a running batch live until it ends (Ctrl-C stops watching)');
    command.action(
      async (
        batchId: string | undefined,
        raw: { outputDir?: string; temporalAddress?: string; namespace: string; watch?: boolean } & SecurityOptions,
      ) => {
        const commands = await import('./batch-commands.js');
        const action = name === 'cancel' ? commands.cancelCommand : commands.statusCommand;
        setExitCode(
          await action({
            batchId,
            outDir: raw.outputDir,
            temporalAddress: raw.temporalAddress,
            namespace: raw.namespace,
            security: security(raw),
            watch: raw.watch ?? false,
          }),
        );
      },
    );
  }

  addConnectionOptions(program.command('doctor'))
    .description('check this host: ffmpeg, encoders, NVENC per GPU, yt-dlp and its age, Temporal, free space')
    .option('--work-dir <dir>', 'the folder sources would go to', '.')
    .option('--temporal-address <host:port>', 'check this server answers (default: check the CLI for the embedded one)')
    .option('--namespace <name>', 'the namespace whose search attributes are checked', OPTION_DEFAULTS.namespace)
    .option('--min-free-gb <GB>', 'free space the work dir needs', '10')
    .action(
      async (
        raw: { workDir: string; temporalAddress?: string; namespace: string; minFreeGb: string } & SecurityOptions,
      ) => {
        const { doctorCommand } = await import('./doctor-command.js');
        const options = {
          workDir: raw.workDir,
          temporalAddress: raw.temporalAddress,
          namespace: raw.namespace,
          minFreeGb: Number(raw.minFreeGb),
        };
        setExitCode(await doctorCommand(options, security(raw)));
      },
    );

  addConnectionOptions(program.command('search-attributes'))
    .description("register vstream's search attributes on a Temporal server (adds the missing ones; idempotent)")
    .option('--temporal-address <host:port>', 'Temporal server', OPTION_DEFAULTS.temporalAddress)
    .option('--namespace <name>', 'Temporal namespace', OPTION_DEFAULTS.namespace)
    .option('--wait <seconds>', 'keep trying this long while the server does not answer yet', '0')
    .action(async (raw: { temporalAddress: string; namespace: string; wait: string } & SecurityOptions) => {
      const waitSeconds = Number(raw.wait);
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0)
        throw new UsageError(`--wait: not a number of seconds: ${raw.wait}`);
      const { searchAttributesCommand } = await import('./search-attributes-command.js');
      setExitCode(
        await searchAttributesCommand(
          { address: raw.temporalAddress, namespace: raw.namespace, waitSeconds },
          security(raw),
        ),
      );
    });

  program
    .command('ui')
    .description("browse a run's history in the Temporal UI (embedded server on its SQLite file)")
    .requiredOption('-o, --output-dir <dir>', 'the output folder of a run')
    .option('--namespace <name>', 'Temporal namespace', OPTION_DEFAULTS.namespace)
    .action(async (raw: { outputDir: string; namespace: string }) => {
      const { uiCommand } = await import('./ui-command.js');
      setExitCode(await uiCommand(raw.outputDir, raw.namespace));
    });

  return program;
}

/** Runs the CLI; resolves to the process exit code. Known errors print one line. */
/** The security options the command that ran was given, flags or environment. */
function givenSecurity(program: Command): GivenSecurity {
  const command = program.commands.find((candidate) => candidate.name() === program.args[0]);
  const given = securityFromEnv((command?.opts() ?? {}) as SecurityOptions);
  return { tls: Boolean(given.tlsCa || given.tlsCert || given.apiKey), clientCertificate: Boolean(given.tlsCert) };
}

/** Node's warning for a TLS server name that is an IP address (DEP0123). */
const IP_SERVER_NAME_WARNING = 'DEP0123';

/**
 * The SDK's client (grpc-js) names the server by its address in each TLS handshake, an
 * IP address included, which Node prints a deprecation warning for on stderr: nothing a
 * user of --temporal-address 10.0.0.5:7233 can act on. Other warnings print as before.
 */
function hideIpServerNameWarning(): void {
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    if (warning.code !== IP_SERVER_NAME_WARNING) printers.forEach((print) => print(warning));
  });
}

export async function main(argv: string[]): Promise<number> {
  hideIpServerNameWarning();
  let exitCode: number = ExitCode.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; anything else commander rejects is a usage error.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof CliError) {
      console.error(`vstream: ${err.message}`);
      return err.exitCode;
    }
    if (
      err instanceof ToolMissingError ||
      err instanceof EncoderUnavailableError ||
      err instanceof WorkflowBundleError ||
      err instanceof DevServerStartError
    ) {
      console.error(`vstream: ${err.message}`);
      return ExitCode.error;
    }
    const connectionLine = err instanceof Error ? connectionFailureLine(err, givenSecurity(program)) : null;
    if (connectionLine) {
      console.error(`vstream: ${connectionLine}`);
      return ExitCode.error;
    }
    console.error(err);
    return ExitCode.error;
  }
}
