// The flags that say how to read the user's own data (`--data PATH`), shared by `ligo train` and
// `ligo grow`: which field or column holds the text, how plain text is cut into documents, the
// validation files (train only), and where the token cache lives. With a built-in dataset name
// they are refused.

import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from './common.ts';
import { ownCorpus, sampleByChoices, type OwnCorpus, type SampleBy } from '../data/index.ts';

export interface OwnDataFlags {
  valData?: string[];
  textField?: string;
  sampleBy?: SampleBy;
  cacheDir?: string;
}

/** --data's parser: one of `names`, or files (several values; never both). */
export function dataValues<N extends string>(names: readonly N[]): (v: string, previous: N | string[] | undefined) => N | string[] {
  const isName = (v: string): v is N => (names as readonly string[]).includes(v);
  return (v, previous) => {
    if (previous === undefined) return isName(v) ? v : [v];
    if (typeof previous === 'string' || isName(v)) throw new InvalidArgumentError(`give one dataset name (${names.join(', ')}) or your own files, not both`);
    return [...previous, v];
  };
}

/** Adds the own-data flags to a command (`--val-data` when it validates). */
export function dataOptions(cmd: Command, validates: boolean): Command {
  if (validates) cmd.option('--val-data <path...>', 'own data: validation files (default: 5% of the --data documents, chosen by a hash of their text)');
  return cmd
    .option('--text-field <name>', 'own data: the JSON Lines field or Parquet column holding the text (default: text)')
    .addOption(new Option('--sample-by <unit>', 'own data: the documents of .txt/.md files (default: paragraph, blocks between blank lines)').choices(sampleByChoices))
    .option('--cache-dir <dir>', 'own data: the token cache shared by runs (default: $LIGO_TOKEN_CACHE or ~/.cache/ligo/tokens)');
}

/** The user's files as a corpus (paths relative to the working directory), or null for a dataset name; own-data flags with a name are refused. */
export function ownCorpusOf(data: string | string[], flags: OwnDataFlags): OwnCorpus | null {
  if (typeof data === 'string') {
    const given = (['valData', 'textField', 'sampleBy', 'cacheDir'] as const).filter((k) => flags[k] !== undefined);
    if (given.length > 0) throw new UsageError(`--${given[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for your own files; --data ${data} is a built-in dataset`);
    return null;
  }
  return ownCorpus(data, { validation: flags.valData ?? null, read: { ...(flags.textField ? { textField: flags.textField } : {}), ...(flags.sampleBy ? { sampleBy: flags.sampleBy } : {}) } });
}
