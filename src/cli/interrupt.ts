// Ctrl-C and SIGTERM for commands that can stop cleanly (`ligo train`, `ligo grow`, tokenising):
// the first asks the work to stop (train writes a checkpoint at the step reached, grow and
// tokenising write nothing) and says at once what happens, the second quits at once without
// saving. Exit code after a clean stop: 128 + the signal number, as a shell reports a process the
// signal ended (130 for Ctrl-C, 143 for SIGTERM).
//
// JavaScript sees a signal only between synchronous steps (a training update takes seconds on
// larger models), so `ligo` (bin/ligo.js) runs each command in a child process and watches the
// signals itself; LIGO_SUPERVISOR names its control directory. While a command can stop, this
// module keeps there PLAN_FILE: the line the supervisor prints at the first signal, the line
// for a second, and what a quit removes (the run's lock, an --out this command created). At the
// first signal the supervisor prints its line and creates STOP_FILE (holding the signal's name);
// reading `signal` (`aborted`, `throwIfAborted()`) looks for that file, so loops that never
// yield to the event loop (LiGO's operator steps, tokenising) stop at their next check. At the
// second the supervisor kills this process, removes what the plan names and says `second`.
// A signal sent to this process itself (a terminal's Ctrl-C reaches both) is the same request.
// When the supervisor is gone (killed with SIGKILL), this process ends the same way at its next
// check or within half a second (followSupervisor), as it would have without a supervisor.
//
// Without a supervisor (the library, `node src/cli/main.ts`) this process prints the first line
// when the signal reaches JavaScript and puts the signals back to their default, so a second one
// ends it at once.
//
// `ligo ... | head`: once stdout or stderr has no reader (EPIPE), the command ends as SIGPIPE
// would end it, but cleanly (endOnBrokenPipe): work that can stop stops as at a Ctrl-C (train
// saves a checkpoint and releases its lock), anything else exits at once; exit code 141.

import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/index.ts';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const SUPERVISOR = process.env.LIGO_SUPERVISOR || null;
const PLAN_FILE = 'interrupt.json';
const STOP_FILE = 'stop';

/** The supervisor's pid while it runs (this process's parent then), or null without one. */
const supervisorPid = SUPERVISOR ? process.ppid : null;
/** Ends this process as its killed supervisor ended. */
const endIfOrphaned = () => {
  if (supervisorPid !== null && process.ppid !== supervisorPid) process.kill(process.pid, 'SIGKILL');
};

/** Ends this process when the supervisor is killed (see the header); nothing without a supervisor. */
export function followSupervisor(): void {
  if (supervisorPid !== null) setInterval(endIfOrphaned, 500).unref();
}

/** The stop requests of the interrupts listening now (a broken pipe stops them). */
const listening = new Set<(s: NodeJS.Signals) => void>();

/** What a first and a second Ctrl-C do while a command runs. */
export interface StopPlan {
  /** Said at once at the first signal, e.g. 'stopping after the current step and saving a checkpoint; ...'. */
  first: string;
  /** Said when a second signal quits at once. */
  second: string;
  /** Paths a quit removes: the lock this process holds, directories this command created. */
  remove?: string[];
}

export interface Interrupt {
  /** Aborted by the first SIGINT or SIGTERM (reason: the signal's name); reading it also checks the supervisor's stop request. */
  signal: AbortSignal;
  /** The signal received, or null. */
  received(): NodeJS.Signals | null;
  /** Says what a first and a second signal do from now on. */
  plan(p: StopPlan): void;
  /** Stops listening (signals get their default action again). */
  dispose(): void;
}

export function listenForInterrupt(initial: StopPlan): Interrupt {
  const controller = new AbortController();
  const signal = controller.signal;
  let got: NodeJS.Signals | null = null;
  let current = initial;
  const stop = (s: NodeJS.Signals) => {
    if (got) return;
    got = s;
    controller.abort(s);
  };
  const stopFile = SUPERVISOR ? join(SUPERVISOR, STOP_FILE) : null;
  const poll = () => {
    endIfOrphaned();
    if (!got && stopFile && fs.existsSync(stopFile)) stop((fs.readFileSync(stopFile, 'utf8').trim() || 'SIGINT') as NodeJS.Signals);
  };
  const aborted = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')!.get!;
  Object.defineProperty(signal, 'aborted', { get: () => (poll(), aborted.call(signal)) });
  signal.throwIfAborted = () => (poll(), AbortSignal.prototype.throwIfAborted.call(signal));

  const unlisten = () => SIGNALS.forEach((s) => process.removeListener(s, onSignal));
  function onSignal(s: NodeJS.Signals): void {
    if (SUPERVISOR) return stop(s); // the supervisor has said it, and handles a second one
    process.stderr.write(`ligo: ${current.first}\n`);
    unlisten();
    stop(s);
  }
  const plan = (p: StopPlan) => {
    current = p;
    if (SUPERVISOR) writeFileAtomic(join(SUPERVISOR, PLAN_FILE), JSON.stringify(p));
  };
  SIGNALS.forEach((s) => process.on(s, onSignal));
  listening.add(stop);
  plan(initial);
  return {
    signal,
    received: () => (poll(), got),
    plan,
    dispose: () => {
      unlisten();
      listening.delete(stop);
      if (SUPERVISOR) fs.rmSync(join(SUPERVISOR, PLAN_FILE), { force: true });
    },
  };
}

/** The exit code a shell gives a process ended by `signal`. */
export const signalExitCode = (signal: NodeJS.Signals): number => 128 + (os.constants.signals[signal] ?? 2);

/** Installs the broken-pipe ending (see the header) on stdout and stderr. */
export function endOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
      if (listening.size === 0) process.exit(signalExitCode('SIGPIPE'));
      listening.forEach((stop) => stop('SIGPIPE'));
    });
  }
}
