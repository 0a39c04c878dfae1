// Where a run's progress goes, kept apart from the progress queries so a run can print
// (and settle from a stored report) before the Temporal SDK is loaded.
import { createLogUpdate } from 'log-update';
import { PROGRESS_DEFAULTS } from '../config.js';
import {
  advance,
  emptyTally,
  liveLines,
  plainLines,
  statusLineDue,
  type PlainState,
  type ProgressSnapshot,
} from '../core/progress-view.js';

type Out = (line: string) => void;

/** Where progress goes: a live block on a terminal, or plain lines. */
export interface ProgressScreen {
  /** A line that stays (above the live block, when there is one). */
  line: Out;
  show(snapshot: ProgressSnapshot): void;
  /** Takes the live block away; lines still print after. */
  close(): void;
  /**
   * Whether a snapshot taken at `at` needs each video's activities (a describe per video
   * in flight, the costly part of a look: about 1.4 CPU s a minute with 4 in flight).
   */
  wantsActivities(at: number): boolean;
}

/** Lines for pipes, files and CI: the permanent lines and a status line now and then; no escape codes. */
export function plainScreen(out: Out, quietMs: number = PROGRESS_DEFAULTS.plainStatusEveryMs): ProgressScreen {
  let state: PlainState = { tally: emptyTally(), lastPrintAt: 0, statusShown: false };
  return {
    line: out,
    show(snapshot) {
      const shown = plainLines(state, snapshot, quietMs);
      state = shown.state;
      for (const line of shown.lines) out(line);
    },
    close: () => undefined,
    // Only status lines name what each video is doing.
    wantsActivities: (at) => statusLineDue(state, at, quietMs),
  };
}

/** On a terminal: finished videos scroll above a block redrawn in place (log-update). */
export function liveScreen(stream: NodeJS.WriteStream): ProgressScreen {
  const draw = createLogUpdate(stream);
  let tally = emptyTally();
  let frame: string | null = null;
  const line: Out = (text) => {
    draw.persist(`${text}\n`);
    if (frame !== null) draw(frame);
  };
  return {
    line,
    show(snapshot) {
      const shown = advance(tally, snapshot);
      tally = shown.tally;
      if (shown.lines.length > 0) draw.persist(`${shown.lines.join('\n')}\n`);
      frame = liveLines(tally, snapshot).join('\n');
      draw(frame);
    },
    close() {
      if (frame === null) return;
      frame = null;
      draw.clear();
      draw.done();
    },
    wantsActivities: () => true,
  };
}

/**
 * A live block when stdout is a terminal; plain lines when it is not (a pipe, a file,
 * nohup) and with --log-level debug or trace, whose log lines would tear the block.
 */
export function progressScreen(out: Out, logLevel: string): ProgressScreen {
  const debugging = logLevel === 'debug' || logLevel === 'trace';
  return process.stdout.isTTY === true && !debugging ? liveScreen(process.stdout) : plainScreen(out);
}
