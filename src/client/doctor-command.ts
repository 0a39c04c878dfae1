import { mkdir, statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { connectionFailureLine } from '../core/connection-errors.js';
import {
  doctorExitCode,
  formatCheck,
  toolVersion,
  YT_DLP_MAX_AGE_DAYS,
  ytDlpAgeDays,
  type CheckResult,
} from '../core/doctor.js';
import { searchAttributesCheck, type ServerPlace } from '../core/search-attribute-registration.js';
import { WORKER_DEFAULTS } from '../config.js';
import { resolveTool, type ToolName } from '../tools/binaries.js';
import { listGpus, NO_GPU_LISTED, nvencProblem } from '../tools/encoder.js';
import { connectClient } from '../tools/client-connection.js';
import { captureTool } from '../tools/process.js';
import { startYtDlpRunner, YTDLP_WARM_ENV } from '../tools/ytdlp-runner.js';
import { givenSecurity, type ConnectionSecurity } from './connection-options.js';
import { readSearchAttributeState } from './search-attributes-command.js';

export interface DoctorOptions {
  workDir: string;
  temporalAddress?: string;
  /** The namespace whose search attributes are checked. */
  namespace: string;
  minFreeGb: number;
}

/** The server's namespace has vstream's search attributes; warns (batches run without them) when not. */
async function serverSearchAttributesCheck(connection: Connection, place: ServerPlace): Promise<CheckResult> {
  try {
    return searchAttributesCheck(await readSearchAttributeState(connection, place.namespace), place);
  } catch (err) {
    return {
      level: 'warn',
      name: 'search attributes',
      detail: `cannot list those of namespace ${place.namespace} on ${place.address}: ${(err as Error).message}`,
    };
  }
}

/** The default address's server, when one answers there; null otherwise (the embedded server is used). */
async function defaultServer(security: ConnectionSecurity): Promise<Connection | null> {
  return Connection.connect({ address: WORKER_DEFAULTS.temporalAddress, connectTimeout: 1_000, ...security }).catch(
    () => null,
  );
}

async function toolCheck(
  name: ToolName,
  versionArgs: string[],
): Promise<{ check: CheckResult; path: string | null; output: string }> {
  let path: string;
  try {
    path = resolveTool(name);
  } catch (err) {
    return { check: { level: 'fail', name, detail: (err as Error).message }, path: null, output: '' };
  }
  const run = await captureTool(path, versionArgs, { timeoutMs: 30_000 });
  const output = `${run.stdout}\n${run.stderr}`.trim();
  if (!run.ok)
    return {
      check: { level: 'fail', name, detail: `${path} does not run: ${output.split('\n').at(-1)}` },
      path,
      output,
    };
  return {
    check: { level: 'ok', name, detail: `${toolVersion(output.split('\n')[0] ?? '')} (${path})` },
    path,
    output,
  };
}

/**
 * `vstream doctor`: what this host has for vstream, one line per check; exits 1 when
 * something required is missing (a tool, an encoder, the server asked for, disk).
 */
/** How downloads will run yt-dlp here: forked from the warm process (started and asked), or a process each. */
async function ytDlpRunsCheck(path: string): Promise<CheckResult> {
  const name = 'yt-dlp runs';
  if (process.env[YTDLP_WARM_ENV] === '0')
    return { level: 'ok', name, detail: `a process per download (${YTDLP_WARM_ENV}=0)` };
  const problems: string[] = [];
  const runner = startYtDlpRunner(path, (reason) => problems.push(reason));
  try {
    if (runner.kind === 'process')
      return { level: 'ok', name, detail: "a process per download (not pip's or a distribution's entry script)" };
    await runner.version();
    return problems.length > 0
      ? { level: 'warn', name, detail: `${problems.join('; ')}` }
      : { level: 'ok', name, detail: 'forked from a warm yt-dlp process' };
  } finally {
    await runner.close();
  }
}

export async function doctorCommand(
  options: DoctorOptions,
  security: ConnectionSecurity,
  out: (line: string) => void = console.log,
): Promise<number> {
  const checks: CheckResult[] = [];
  const report = (check: CheckResult) => {
    checks.push(check);
    out(formatCheck(check));
  };

  report({ level: 'ok', name: 'node', detail: process.version });
  const ffmpeg = await toolCheck('ffmpeg', ['-hide_banner', '-version']);
  report(ffmpeg.check);
  report((await toolCheck('ffprobe', ['-hide_banner', '-version'])).check);

  let libx265 = false;
  if (ffmpeg.path) {
    const encoders = await captureTool(ffmpeg.path, ['-hide_banner', '-encoders'], { timeoutMs: 30_000 });
    const has = (name: string) => encoders.stdout.split('\n').some((line) => line.trim().split(/\s+/)[1] === name);
    libx265 = has('libx265');
    report({
      level: libx265 ? 'ok' : 'warn',
      name: 'libx265',
      detail: libx265 ? 'available (CPU encoder)' : 'missing: this host cannot encode on the CPU',
    });
    report({
      level: has('hevc_nvenc') ? 'ok' : 'warn',
      name: 'hevc_nvenc',
      detail: has('hevc_nvenc') ? 'compiled into ffmpeg' : 'not compiled into ffmpeg',
    });
  }

  const gpus = await listGpus();
  if (gpus.length === 0) report({ level: 'warn', name: 'GPUs', detail: `${NO_GPU_LISTED}: encoding on the CPU` });
  let nvencWorks = 0;
  for (const gpu of gpus) {
    const problem = ffmpeg.path ? await nvencProblem(ffmpeg.path, gpu) : 'no ffmpeg';
    if (!problem) nvencWorks++;
    report({
      level: problem ? 'warn' : 'ok',
      name: `GPU ${gpu} NVENC`,
      detail: problem ? `a 1-frame encode failed: ${problem}` : 'a 1-frame encode works',
    });
  }
  if (ffmpeg.path && !libx265 && nvencWorks === 0)
    report({ level: 'fail', name: 'encoder', detail: 'neither NVENC nor libx265 works here' });

  const ytDlp = await toolCheck('yt-dlp', ['--version']);
  if (ytDlp.check.level === 'ok') {
    const version = ytDlp.output.split('\n')[0] ?? '';
    const age = ytDlpAgeDays(version, new Date());
    const old = age !== null && age > YT_DLP_MAX_AGE_DAYS;
    report({
      level: old ? 'warn' : 'ok',
      name: 'yt-dlp',
      detail: `${version} (${age === null ? 'age unknown' : `${age} days old`}${old ? `: older than ${YT_DLP_MAX_AGE_DAYS} days, YouTube downloads may fail; run npm run setup` : ''}) (${ytDlp.path})`,
    });
    if (ytDlp.path) report(await ytDlpRunsCheck(ytDlp.path));
  } else report(ytDlp.check);

  if (options.temporalAddress) {
    try {
      const connection = await connectClient({
        address: options.temporalAddress,
        connectTimeout: 5_000,
        ...security,
      });
      const info = await connection.workflowService.getSystemInfo({});
      report({
        level: 'ok',
        name: 'Temporal server',
        detail: `${options.temporalAddress} answers (server ${info.serverVersion || 'version unknown'})`,
      });
      report(
        await serverSearchAttributesCheck(connection, {
          address: options.temporalAddress,
          namespace: options.namespace,
        }),
      );
      await connection.close();
    } catch (err) {
      report({
        level: 'fail',
        name: 'Temporal server',
        detail: `${options.temporalAddress} does not answer: ${connectionFailureLine(err as Error, givenSecurity(security)) ?? (err as Error).message}`,
      });
    }
  } else {
    const cli = await toolCheck('temporal', ['--version']);
    report(
      cli.check.level === 'ok'
        ? { ...cli.check, detail: `${cli.output.split('\n')[0]} (${cli.path}): runs the embedded server` }
        : cli.check,
    );
    const server = await defaultServer(security);
    if (server) {
      report(
        await serverSearchAttributesCheck(server, {
          address: WORKER_DEFAULTS.temporalAddress,
          namespace: options.namespace,
        }),
      );
      await server.close();
    }
  }

  const workDir = resolve(options.workDir);
  try {
    await mkdir(workDir, { recursive: true });
    const fs = await statfs(workDir);
    const freeGb = (fs.bavail * fs.bsize) / 1024 ** 3;
    report({
      level: freeGb < options.minFreeGb ? 'fail' : 'ok',
      name: 'work dir',
      detail: `${workDir}: ${freeGb.toFixed(1)} GB free${freeGb < options.minFreeGb ? ` (less than ${options.minFreeGb} GB)` : ''}`,
    });
  } catch (err) {
    report({ level: 'fail', name: 'work dir', detail: `${workDir}: ${(err as Error).message}` });
  }

  const code = doctorExitCode(checks);
  out(code === 0 ? 'doctor: everything required is here' : 'doctor: something required is missing (FAIL lines above)');
  return code;
}
