import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { findOnPath } from './binaries.js';

/** Every tool process running now (by pid), so a hard stop can kill them before exiting. */
const running = new Set<number>();

/**
 * Tools run in their own process group (`detached`): a terminal's Ctrl-C, which goes to
 * vstream's foreground group, reaches vstream alone, and vstream decides how they stop.
 * A signal goes to the whole group: yt-dlp's own ffmpeg goes with it.
 */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGKILL to every tool still running (a second Ctrl-C): the exit must not wait for them. */
export function killRunningTools(): number {
  for (const pid of running) signalGroup(pid, 'SIGKILL');
  return running.size;
}

/** Tracks a started tool; on cancellation its group gets SIGTERM, then SIGKILL. Returns the clean-up. */
export function trackTool(pid: number | undefined, cancelSignal: AbortSignal | undefined): () => void {
  if (pid === undefined) return () => undefined;
  running.add(pid);
  let forceKill: NodeJS.Timeout | undefined;
  const cancel = () => {
    signalGroup(pid, 'SIGTERM');
    forceKill = setTimeout(() => signalGroup(pid, 'SIGKILL'), FORCE_KILL_AFTER_MS);
  };
  if (cancelSignal?.aborted) cancel();
  else cancelSignal?.addEventListener('abort', cancel, { once: true });
  return () => {
    running.delete(pid);
    cancelSignal?.removeEventListener('abort', cancel);
    if (forceKill) clearTimeout(forceKill);
  };
}

/** How long a process gets after SIGTERM before SIGKILL. */
const FORCE_KILL_AFTER_MS = 5_000;
export const DEFAULT_STDERR_TAIL = 40;

/** Appends `line`, keeping the last `size` lines: never a whole stream, which can be huge. */
export function keepTail(lines: string[], line: string, size: number): void {
  lines.push(line);
  if (lines.length > size) lines.shift();
}

let setprivPath: string | null | undefined;

/**
 * util-linux's setpriv sets PR_SET_PDEATHSIG before exec'ing the tool, so the
 * kernel kills it when vstream dies, even by kill -9. Absent (not Linux, old
 * util-linux): tools run without it and die with the process group only.
 */
function parentDeathWrapper(): string | null {
  if (setprivPath === undefined) {
    const found = process.platform === 'linux' ? findOnPath('setpriv') : undefined;
    setprivPath = found && spawnSync(found, ['--pdeathsig', 'KILL', '--', 'true']).status === 0 ? found : null;
  }
  return setprivPath;
}

/** The command line that runs `file args` and dies with this process. */
export function withParentDeathSignal(file: string, args: readonly string[]): [string, string[]] {
  const wrapper = parentDeathWrapper();
  return wrapper ? [wrapper, ['--pdeathsig', 'KILL', '--', file, ...args]] : [file, [...args]];
}

export interface RunToolOptions {
  cancelSignal?: AbortSignal;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** How many trailing stderr lines to keep: never the whole stream, which can be huge. */
  stderrTailLines?: number;
  cwd?: string;
  /** Called with the pid once the process started. */
  onSpawn?: (pid: number | undefined) => void;
}

export interface ToolRun {
  ok: boolean;
  exitCode: number | undefined;
  signal: string | undefined;
  canceled: boolean;
  stderrTail: string[];
}

/** Runs a tool from an argument array (never a shell), streaming its output line by line. */
export async function runTool(file: string, args: readonly string[], options: RunToolOptions = {}): Promise<ToolRun> {
  const [command, commandArgs] = withParentDeathSignal(file, args);
  const subprocess = execa(command, commandArgs, {
    reject: false,
    buffer: false,
    stdin: 'ignore',
    cwd: options.cwd,
    detached: true,
  });
  options.onSpawn?.(subprocess.pid);
  const untrack = trackTool(subprocess.pid, options.cancelSignal);

  const tailSize = options.stderrTailLines ?? DEFAULT_STDERR_TAIL;
  const stderrTail: string[] = [];
  const readers: Promise<void>[] = [];
  if (subprocess.stdout) {
    const lines = createInterface({ input: subprocess.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => options.onStdoutLine?.(line));
    readers.push(new Promise((resolve) => lines.once('close', resolve)));
  }
  if (subprocess.stderr) {
    const lines = createInterface({ input: subprocess.stderr, crlfDelay: Infinity });
    lines.on('line', (line) => {
      keepTail(stderrTail, line, tailSize);
      options.onStderrLine?.(line);
    });
    readers.push(new Promise((resolve) => lines.once('close', resolve)));
  }
  const result = await subprocess.finally(untrack);
  await Promise.all(readers);
  return {
    ok: !result.failed,
    exitCode: result.exitCode,
    signal: result.signal,
    canceled: options.cancelSignal?.aborted ?? false,
    stderrTail,
  };
}

/** Runs a tool whose small stdout is the answer (ffprobe JSON). */
export async function captureTool(
  file: string,
  args: readonly string[],
  options: { cancelSignal?: AbortSignal; timeoutMs?: number } = {},
): Promise<{ ok: boolean; stdout: string; stderr: string; exitCode: number | undefined }> {
  const [command, commandArgs] = withParentDeathSignal(file, args);
  const subprocess = execa(command, commandArgs, {
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
    forceKillAfterDelay: FORCE_KILL_AFTER_MS,
    detached: true,
  });
  const untrack = trackTool(subprocess.pid, options.cancelSignal);
  const result = await subprocess.finally(untrack);
  return {
    ok: !result.failed,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    exitCode: result.exitCode,
  };
}
