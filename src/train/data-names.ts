// The names of the datasets runs train on, which the command line builds its choices from
// (setup.ts prepares the data itself), and the type of what runs train on: one of them, or the
// user's own files.

import type { CorpusName, ImageDatasetName } from '../data/index.ts';
import { corpusLabel, type OwnCorpus } from '../data/index.ts';

export type ClassificationDataName = 'brown-genre';
export const textDataNames: readonly CorpusName[] = ['sotu', 'brown', 'moby-dick', 'all'];
export const imageDataNames: readonly ImageDatasetName[] = ['mnist', 'fashion-mnist'];
export const classificationDataNames: readonly ClassificationDataName[] = ['brown-genre'];
/** What growth and language-model / image training read (`ligo grow --data`). */
export type DataName = CorpusName | ImageDatasetName;
/** What `ligo train --data` takes: DataName plus the fine-tuning (classification) datasets. */
export type TrainDataName = DataName | ClassificationDataName;
/** `ligo grow --data`'s choices and `ligo train --data`'s. */
export const dataNames: readonly DataName[] = [...textDataNames, ...imageDataNames];
export const trainDataNames: readonly TrainDataName[] = [...dataNames, ...classificationDataNames];
/** What a run trains on: a built-in dataset, or the user's own files (`--data PATH`). */
export type TrainData = TrainDataName | OwnCorpus;
export const isDataName = (v: string): v is TrainDataName => (trainDataNames as readonly string[]).includes(v);
/** The data as the user named it, for messages. */
export const dataLabel = (d: TrainData): string => (typeof d === 'string' ? d : corpusLabel(d));
