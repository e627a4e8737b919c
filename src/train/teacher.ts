// Which teacher a run may learn from (`ligo train --ki-teacher DIR`): the distillation term
// (objective.ts) compares the two models' predictions id by id, so the teacher must be of the
// student's model family and predict over the same output classes, and for text both must read
// the same tokenizer: the same token at every id. Refused otherwise, naming the difference in one
// line. Knowledge inheritance (Qin et al., 2022) learns from a smaller teacher; a teacher larger
// than the student is plain knowledge distillation: allowed, and named so.

import { outputClasses, parameterCount, type ModelConfig } from '../models/index.ts';
import type { Tokenizer } from '../tokenize/index.ts';

export type TeacherKind = 'knowledge inheritance' | 'distillation';

export interface TeacherSide {
  config: ModelConfig;
  /** The model's tokenizer; null for image models. */
  tokenizer: Tokenizer | null;
}

/** Ids at which two vocabularies hold different tokens (or one has none), out of the larger size. */
export function vocabularyDifference(a: Tokenizer, b: Tokenizer): { differing: number; of: number } {
  const of = Math.max(a.vocabSize, b.vocabSize);
  let differing = 0;
  for (let id = 0; id < of; id++) if (a.idToToken(id) !== b.idToToken(id)) differing++;
  return { differing, of };
}

/**
 * How the student learns from `teacher` (--ki-teacher DIR; its tokenizer.json is `tokenizerFile`): knowledge inheritance from a smaller
 * or equal teacher, distillation from a larger one; throws a one-line Error when it cannot.
 */
export function teacherKind(dir: string, teacher: TeacherSide & { tokenizerFile: string }, student: TeacherSide): TeacherKind {
  const [t, s] = [teacher.config, student.config];
  if (t.model_type !== s.model_type) throw new Error(`--ki-teacher ${dir} is a ${t.model_type} model but the student is ${s.model_type}: a teacher must be of the student's model family`);
  if (outputClasses(t) !== outputClasses(s)) throw new Error(`--ki-teacher ${dir} has ${outputClasses(t)} output classes but the student has ${outputClasses(s)}: teacher and student must share the vocabulary (or label set)`);
  if (student.tokenizer) {
    if (!teacher.tokenizer) throw new Error(`--ki-teacher ${dir} has no tokenizer.json, so its token ids cannot be checked against the run's tokenizer`);
    const { differing, of } = vocabularyDifference(teacher.tokenizer, student.tokenizer);
    if (differing > 0) throw new Error(`--ki-teacher ${dir} has another tokenizer: ${differing.toLocaleString('en')} of ${of.toLocaleString('en')} token ids mean different tokens than in the run's; train the student with the teacher's (--tokenizer ${teacher.tokenizerFile} on a new --out)`);
  }
  return parameterCount(t) > parameterCount(s) ? 'distillation' : 'knowledge inheritance';
}
