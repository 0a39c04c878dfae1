import { killRunningTools } from '../tools/process.js';
import type { ScratchFiles } from '../tools/scratch.js';
import { ExitCode } from './exit-codes.js';

/**
 * Ctrl-C (or SIGTERM) once: `requested` resolves and the command stops gracefully.
 * Twice: running tools are killed, temporary files removed, and the process exits 130.
 */
export class Stopper {
  readonly requested: Promise<'stop'>;
  private resolve: (value: 'stop') => void = () => undefined;
  private signalled = false;
  private readonly onSignal = () => this.handle();

  constructor(
    private readonly out: (line: string) => void,
    private readonly scratch: ScratchFiles | null,
    private readonly firstMessage: string,
  ) {
    this.requested = new Promise((resolve) => {
      this.resolve = resolve;
    });
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  private handle(): void {
    if (this.signalled) {
      const killed = killRunningTools();
      const removed = this.scratch?.removeAll() ?? 0;
      this.out(
        `vstream: stopped at once (${killed} processes killed, ${removed} temporary files removed); running the same command again resumes`,
      );
      process.exit(ExitCode.interrupted);
    }
    this.signalled = true;
    this.out(this.firstMessage);
    this.resolve('stop');
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
