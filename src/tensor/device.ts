// Which backend runs the kernels. Native (the C++ addon) is the default when it is built;
// otherwise the reference backend runs, and we say so once on stderr. LIGO_BACKEND=reference
// or =native forces a choice (native then fails loudly if the addon is missing).

import type { Backend } from './backend.ts';
import { loadNativeBackend, nativeLoadError } from './native.ts';
import { referenceBackend } from './reference.ts';

let current: Backend | null = null;

function pickDefault(): Backend {
  const forced = process.env.LIGO_BACKEND;
  if (forced === 'reference') return referenceBackend;
  const native = loadNativeBackend();
  if (native) return native;
  if (forced === 'native') throw new Error(`LIGO_BACKEND=native but the native addon did not load: ${nativeLoadError()}. Build it with \`npm run build:native\`.`);
  process.stderr.write(`ligo: native addon not available (${nativeLoadError()}); using the slower reference backend. Build it with \`npm run build:native\`.\n`);
  return referenceBackend;
}

export function getBackend(): Backend {
  if (!current) current = pickDefault();
  return current;
}

/** Selects a backend by name; 'native' throws with the load error if the addon is missing. */
export function setBackend(name: Backend['name']): Backend {
  if (name === 'reference') return (current = referenceBackend);
  const native = loadNativeBackend();
  if (!native) throw new Error(`native backend unavailable: ${nativeLoadError()}. Build it with \`npm run build:native\`.`);
  return (current = native);
}

/** Installs a backend object directly (e.g. a profiling wrapper from profile.ts). */
export function useBackend(backend: Backend): void {
  current = backend;
}

/** Runs fn with the given backend selected, restoring the previous one after. */
export function withBackend<T>(name: Backend['name'], fn: () => T): T {
  const prev = getBackend();
  setBackend(name);
  try {
    return fn();
  } finally {
    current = prev;
  }
}
