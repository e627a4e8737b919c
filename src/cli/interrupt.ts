// Ctrl-C and SIGTERM for commands that can stop cleanly (`ligo train`): the first signal asks
// the work to stop (train writes a checkpoint at the step reached), and puts the signals back to
// their default, so a second Ctrl-C ends the process at once (signals reach JavaScript between
// training updates: two pressed within one update count as one). Exit code after a clean stop:
// 128 + the signal number, as a shell reports a process the signal ended (130 for Ctrl-C).

import os from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface Interrupt {
  /** Aborted by the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** The signal received, or null. */
  received(): NodeJS.Signals | null;
  /** Stops listening (signals get their default action again). */
  dispose(): void;
}

export function listenForInterrupt(): Interrupt {
  const controller = new AbortController();
  let got: NodeJS.Signals | null = null;
  const dispose = () => SIGNALS.forEach((s) => process.removeListener(s, onSignal));
  function onSignal(s: NodeJS.Signals): void {
    got = s;
    dispose();
    controller.abort(s);
  }
  SIGNALS.forEach((s) => process.on(s, onSignal));
  return { signal: controller.signal, received: () => got, dispose };
}

/** The exit code a shell gives a process ended by `signal`. */
export const signalExitCode = (signal: NodeJS.Signals): number => 128 + (os.constants.signals[signal] ?? 2);
