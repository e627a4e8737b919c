// Training: the loop (train), its schedule, tasks, objective (KI, MSG ramps) and which KI teacher fits (teacher.ts), optimizer update,
// progressive layer dropping and token dropping, checkpoints, run lock, JSONL log and progress
// display. AdamW itself lives in src/optim/adamw.ts (re-exported here).

export * from '../optim/index.ts';
export * from './schedule.ts';
export * from './tasks.ts';
export * from './objective.ts';
export * from './teacher.ts';
export * from './layer-drop.ts';
export * from './token-drop.ts';
export * from './update.ts';
export * from './checkpoint.ts';
export * from './lock.ts';
export * from './log.ts';
export * from './progress.ts';
export * from './data-names.ts';
export * from './setup.ts';
export * from './own-data.ts';
export * from './run-flags.ts';
export * from './grow-schedule.ts';
export * from './budget.ts';
export * from './options.ts';
export * from './assemble.ts';
export * from './loop.ts';
