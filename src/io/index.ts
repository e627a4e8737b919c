// Files: safetensors read and write (hardened against hostile files), checkpoint directories in
// HuggingFace's layout (model.safetensors, config.json, tokenizer.json), atomic writes and whether
// a file's owning process still runs, and which code version wrote a file.

export { CheckpointError, checkSafetensors, readSafetensors, writeSafetensors, type SafetensorsContents } from './safetensors.ts';
export { CONFIG_FILE, MODEL_FILE, TOKENIZER_FILE, loadCheckpoint, saveCheckpoint, type CheckpointContents, type LoadedCheckpoint } from './checkpoint.ts';
export { processAlive, writeFileAtomic } from './atomic.ts';
export { codeVersion, headCommit, type CodeVersion } from './version.ts';
