import { closeSync, openSync, readSync } from 'node:fs';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { findOnPath } from './binaries.js';
import {
  captureTool,
  DEFAULT_STDERR_TAIL,
  keepTail,
  runTool,
  trackTool,
  withParentDeathSignal,
  type RunToolOptions,
  type ToolRun,
} from './process.js';
import { PROJECT_ROOT } from './project.js';

export interface CaptureOptions {
  cancelSignal?: AbortSignal;
  timeoutMs?: number;
}

export interface CapturedRun {
  ok: boolean;
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

/** yt-dlp runs: each a process of its own, or a fork of one warm yt-dlp (ytdlp_forkserver.py). */
export interface YtDlpRunner {
  /** `warm`: forked from the warm process (a failed start falls back); `process`: a process per run. */
  readonly kind: 'warm' | 'process';
  /** Streams the run's output line by line; as runTool. */
  run(args: readonly string[], options?: RunToolOptions): Promise<ToolRun>;
  /** A run whose small stdout is the answer (metadata JSON); as captureTool. */
  capture(args: readonly string[], options?: CaptureOptions): Promise<CapturedRun>;
  /** `yt-dlp --version`, or null when it does not run. */
  version(): Promise<string | null>;
  close(): Promise<void>;
}

/** A process per run: any yt-dlp (a standalone binary, a wrapper script). */
export function spawnedYtDlp(path: string): YtDlpRunner {
  return {
    kind: 'process',
    run: (args, options) => runTool(path, args, options),
    capture: (args, options) => captureTool(path, args, options),
    version: async () => {
      const run = await captureTool(path, ['--version'], { timeoutMs: 30_000 }).catch(() => null);
      return run?.ok ? run.stdout.trim() : null;
    },
    close: async () => undefined,
  };
}

export const FORKSERVER_SCRIPT = join(PROJECT_ROOT, 'src', 'tools', 'ytdlp_forkserver.py');
/** `VSTREAM_YTDLP_WARM=0`: a yt-dlp process per run, as before the warm process. */
export const YTDLP_WARM_ENV = 'VSTREAM_YTDLP_WARM';

const ENTRY_SCRIPT_MAX_BYTES = 1024;
/** The lines of pip's and Debian's yt-dlp entry scripts: imports, the __main__ check, argv[0], main(). */
const ENTRY_SCRIPT_LINE =
  /^(?:import (?:re|sys|yt_dlp)|from yt_dlp import main|if __name__ == ['"]__main__['"]:|sys\.argv\[0\] = .*|(?:sys\.exit\()?(?:yt_dlp\.)?main\(\)\)?)$/;

/**
 * The Python that runs `path`, when `path` is yt-dlp's own entry script (pip's or a
 * distribution's: a python shebang, a few lines that import yt_dlp's main); else null,
 * and yt-dlp runs as a process of its own (a standalone binary, a wrapper script).
 */
export function entryScriptPython(scriptText: string, pathVariable = process.env.PATH ?? ''): string | null {
  if (scriptText.length > ENTRY_SCRIPT_MAX_BYTES) return null;
  const statements = scriptText
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  if (!statements.every((line) => ENTRY_SCRIPT_LINE.test(line))) return null;
  if (!statements.some((line) => /^(?:from yt_dlp import main|import yt_dlp)$/.test(line))) return null;
  const shebang = /^#!\s*(\S+)(?:[ \t]+(\S+))?[ \t]*\r?\n/.exec(scriptText);
  if (!shebang) return null;
  const interpreter = shebang[1] as string;
  const argument = shebang[2];
  const python = basename(interpreter) !== 'env' ? interpreter : argument && findOnPath(argument, pathVariable);
  return python && /^python[\d.]*$/.test(basename(python)) ? python : null;
}

/** The file's first bytes (a standalone yt-dlp is tens of MB): enough to tell an entry script. */
function readHead(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(ENTRY_SCRIPT_MAX_BYTES + 1);
    return head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('latin1');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

type ServerMessage =
  | { ready: string }
  | { id: number; stale: string }
  | { id: number; pid: number }
  | { id: number; fd: 1 | 2; line: string }
  | { id: number; exit: number | null; signal: number | null };

interface PendingRun {
  onStale(reason: string): void;
  onPid(pid: number): void;
  onLine(fd: 1 | 2, line: string): void;
  onExit(exitCode: number | undefined, signal: string | undefined): void;
}

/** A fork of a warm process; `stale`: yt-dlp changed on disk since it warmed up, nothing ran. */
type ForkResult = ToolRun | { stale: string };

/** One warm Python process (ytdlp_forkserver.py) and the runs forked from it. */
class WarmProcess {
  /** Its yt-dlp version once warm; null when it stopped before. */
  readonly ready: Promise<string | null>;
  alive = true;
  private closing = false;
  private nextId = 1;
  private readonly pending = new Map<number, PendingRun>();
  private readonly server;

  constructor(python: string, entryScript: string, onStopped: (reason: string) => void) {
    const [command, args] = withParentDeathSignal(python, [FORKSERVER_SCRIPT, entryScript]);
    // Its own process group: a terminal's Ctrl-C reaches vstream, which decides how runs stop.
    this.server = execa(command, args, {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      detached: true,
      reject: false,
      buffer: false,
      cleanup: true,
    });
    let resolveReady: (version: string | null) => void = () => undefined;
    this.ready = new Promise((resolve) => (resolveReady = resolve));
    const serverErrors: string[] = [];
    createInterface({ input: this.server.stderr, crlfDelay: Infinity }).on('line', (line) => {
      keepTail(serverErrors, line, 5);
    });
    createInterface({ input: this.server.stdout, crlfDelay: Infinity }).on('line', (line) => {
      const message = JSON.parse(line) as ServerMessage;
      if ('ready' in message) return resolveReady(message.ready);
      const run = this.pending.get(message.id);
      if (!run) return;
      if ('stale' in message) {
        this.pending.delete(message.id);
        run.onStale(message.stale);
      } else if ('pid' in message) run.onPid(message.pid);
      else if ('line' in message) run.onLine(message.fd, message.line);
      else {
        this.pending.delete(message.id);
        run.onExit(message.exit ?? undefined, message.signal === null ? undefined : SIGNAL_NAMES.get(message.signal));
        if (this.closing && this.pending.size === 0) this.server.stdin.end();
      }
    });
    this.server.stdin.on('error', () => undefined);
    void this.server.then(() => {
      this.alive = false;
      resolveReady(null);
      for (const run of this.pending.values()) run.onExit(undefined, 'SIGKILL');
      this.pending.clear();
      if (!this.closing) onStopped(serverErrors.at(-1) ?? 'it exited');
    });
  }

  fork(runArgs: readonly string[], options: RunToolOptions): Promise<ForkResult> {
    const stderrTail: string[] = [];
    const tailSize = options.stderrTailLines ?? DEFAULT_STDERR_TAIL;
    let untrack: () => void = () => undefined;
    const id = this.nextId++;
    return new Promise<ForkResult>((resolve) => {
      this.pending.set(id, {
        onStale: (reason) => resolve({ stale: reason }),
        onPid: (pid) => {
          options.onSpawn?.(pid);
          untrack = trackTool(pid, options.cancelSignal);
        },
        onLine: (fd, line) => {
          if (fd === 1) return options.onStdoutLine?.(line);
          keepTail(stderrTail, line, tailSize);
          options.onStderrLine?.(line);
        },
        onExit: (exitCode, signal) => {
          untrack();
          resolve({
            ok: exitCode === 0,
            exitCode,
            signal,
            canceled: options.cancelSignal?.aborted ?? false,
            stderrTail,
          });
        },
      });
      this.server.stdin.write(`${JSON.stringify({ id, argv: runArgs })}\n`);
    });
  }

  /** Ends once its runs have: they die with it. */
  retire(): void {
    this.closing = true;
    if (this.pending.size === 0) this.server.stdin.end();
  }

  async stop(): Promise<void> {
    this.closing = true;
    // It may still be warming up (a batch with nothing to download): no need to wait for that.
    this.server.kill('SIGTERM');
    await this.server;
  }
}

/**
 * yt-dlp forked from one warm Python process: about 0.3 CPU s less a download (the
 * import and the extractors' URL patterns are paid once). Falls back to a process per
 * run when yt-dlp is not an entry script or the process does not start; one that dies
 * fails the runs it held (yt-dlp's own failure, retried as such) and hands later ones to
 * processes of their own. A yt-dlp upgraded on disk (its entry script or version file
 * changed) is warmed up again for the next runs; runs under way finish on the old one.
 */
export function startYtDlpRunner(path: string, onFallback: (reason: string) => void = () => undefined): YtDlpRunner {
  const spawned = spawnedYtDlp(path);
  const python = entryScriptPython(readHead(path));
  if (!python) return spawned;
  let closing = false;
  const launched = new Set<WarmProcess>();
  const launch = (): WarmProcess => {
    const started = new WarmProcess(python, path, (reason) => {
      if (!closing) onFallback(`yt-dlp's warm process stopped (${reason}): each download runs yt-dlp on its own`);
    });
    launched.add(started);
    return started;
  };
  let warm = launch();

  const forked = async (runArgs: readonly string[], options: RunToolOptions): Promise<ToolRun | null> => {
    for (;;) {
      const current = warm;
      if ((await current.ready) === null || !current.alive) return null;
      // Cancelled while the warm process started: nothing to run.
      if (options.cancelSignal?.aborted)
        return { ok: false, exitCode: undefined, signal: undefined, canceled: true, stderrTail: [] };
      const result = await current.fork(runArgs, options);
      if (!('stale' in result)) return result;
      if (warm === current) {
        onFallback(`${result.stale}: warming it up again`);
        warm = launch();
        current.retire();
      }
    }
  };

  const run = async (runArgs: readonly string[], options: RunToolOptions = {}) =>
    (await forked(runArgs, options)) ?? spawned.run(runArgs, options);

  return {
    kind: 'warm',
    run,
    capture: async (runArgs, options = {}) => {
      const timedOut = new AbortController();
      const timer = options.timeoutMs ? setTimeout(() => timedOut.abort(), options.timeoutMs) : undefined;
      const stdout: string[] = [];
      const cancelSignal = options.cancelSignal
        ? AbortSignal.any([options.cancelSignal, timedOut.signal])
        : timedOut.signal;
      const result = await forked(runArgs, {
        cancelSignal,
        stderrTailLines: Infinity,
        onStdoutLine: (line) => stdout.push(line),
      }).finally(() => clearTimeout(timer));
      if (!result) return spawned.capture(runArgs, options);
      return {
        ok: result.ok,
        stdout: stdout.map((line) => `${line}\n`).join(''),
        stderr: result.stderrTail.join('\n'),
        exitCode: result.exitCode,
      };
    },
    version: async () => (await warm.ready) ?? spawned.version(),
    close: async () => {
      closing = true;
      await Promise.all([...launched].map((warmProcess) => warmProcess.stop()));
    },
  };
}
