#!/usr/bin/env node
// The `ligo` command. In a checkout of the repository it runs the TypeScript CLI (src/) through
// tsx, so no build step is needed; an installed package has no src/ and runs the compiled
// dist/ that `npm pack` builds (npm run build).
//
// The command runs in a child process; this one only watches Ctrl-C and SIGTERM, so that they are
// answered at once even while the command computes (the protocol, and the child's side, are in
// src/cli/interrupt.ts): while the command can stop cleanly, the first signal prints its plan's
// first line and asks it to stop (it exits 130, or 143 for SIGTERM); a second prints the plan's
// second line, kills it, removes what the plan names (its lock, an --out it created) and ends by
// the signal. Otherwise the signal goes on to the command. The exit is the command's.
//
// The command's process also asks glibc's malloc for transparent huge pages (commandEnv below).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.env.LIGO_SUPERVISOR) await runCommand();
else supervise();

async function runCommand() {
  const source = new URL('../src/cli/main.ts', import.meta.url);
  if (fs.existsSync(source)) {
    const { register } = await import('tsx/esm/api');
    register();
    await import(source.href);
  } else {
    await import('../dist/cli/main.js');
  }
}

function supervise() {
  const control = fs.mkdtempSync(join(os.tmpdir(), 'ligo-'));
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: commandEnv(process.env, control) });
  const say = (line) => {
    try {
      fs.writeSync(2, `ligo: ${line}\n`);
    } catch {
      // stderr is gone (a closed pipe): nothing to tell
    }
  };
  let stopped = false;
  let quit = null;
  const onSignal = (signal) => {
    let plan = null;
    try {
      plan = JSON.parse(fs.readFileSync(join(control, 'interrupt.json'), 'utf8'));
    } catch {
      // no plan: the command is not in a part that stops cleanly
    }
    if (!plan) return void child.kill(signal);
    if (!stopped) {
      stopped = true;
      say(plan.first);
      fs.writeFileSync(join(control, 'stop'), signal);
      return;
    }
    quit = { signal, plan };
    child.kill('SIGKILL');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  child.on('exit', (code, signal) => {
    if (quit) {
      for (const path of quit.plan.remove ?? []) fs.rmSync(path, { recursive: true, force: true });
      say(quit.plan.second);
    }
    fs.rmSync(control, { recursive: true, force: true });
    const ending = quit?.signal ?? signal;
    if (!ending) process.exit(code ?? 1);
    process.removeAllListeners(ending);
    process.kill(process.pid, ending);
  });
}

/**
 * The command's environment: LIGO_SUPERVISOR, and glibc.malloc.hugetlb=1 added to GLIBC_TUNABLES
 * (glibc 2.35 and later: malloc advises transparent huge pages on the memory it takes from the
 * system; other C libraries ignore the variable). oneDNN allocates a packing buffer on every matrix
 * product, from the main thread's heap; in about one process in three that heap then grows by fresh
 * pages on every call, faulting 4 KiB at a time (~12 us each on the VMs measured), and the whole
 * process runs 5-25% slower. With the tunable, 0 of 10 reference-step processes fell into that mode
 * (3 of 10 without) and GPT-2's step at the study's shapes ran 1-8% faster (BENCHMARKS.md "The
 * slow-run mode"). bench/malloc-env.sh sets the same for the benchmarks. A hugetlb value the user
 * set is kept; LIGO_HUGE_PAGES=0 leaves malloc as it is (and the tensor buffers: src/tensor/native.ts).
 */
function commandEnv(env, control) {
  const tunables = env.GLIBC_TUNABLES ?? '';
  const own = env.LIGO_HUGE_PAGES === '0' || /(^|:)glibc\.malloc\.hugetlb=/.test(tunables);
  return { ...env, LIGO_SUPERVISOR: control, ...(own ? {} : { GLIBC_TUNABLES: tunables ? `${tunables}:glibc.malloc.hugetlb=1` : 'glibc.malloc.hugetlb=1' }) };
}
