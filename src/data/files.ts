// A user's own corpus, as files: which files a `--data` value names, and their documents.
//
// A value is a file, a directory (searched recursively, hidden entries skipped), or a glob
// (`corpus/**/*.jsonl`, tinyglobby); several values add up, in the order given, each
// directory's and glob's files sorted by path, every file once. Formats, by extension, each
// also gzip-compressed (`.gz`, Node's zlib, streamed):
//   - `.txt`, `.md`: UTF-8 text; documents by `sampleBy` as HuggingFace datasets' text loader:
//     'paragraph' (the default: blocks separated by blank lines, so hard-wrapped prose stays
//     whole), 'line', or 'document' (the whole file, read at once);
//   - `.jsonl`, `.ndjson`, `.json`: JSON Lines, one object per line, the document in its string
//     field `textField` (default 'text'); blank lines are skipped. A `.json` file whose text starts
//     with `[` is one JSON array of such objects instead (what `datasets`' to_json(lines=False)
//     and many exports write), read element by element as a stream;
//   - `.parquet`: the string column `textField` (HuggingFace datasets' shards), read a row group
//     at a time with hyparquet (pure JavaScript, no dependencies, reads only the column's byte
//     ranges) and its compressors (snappy, gzip, zstd, brotli, lz4). A `.parquet.gz` is refused:
//     Parquet compresses its pages itself.
// Text is read as a stream of bytes, never a whole file (except 'document'); a byte sequence that
// is not UTF-8 stops the read with its file and byte offset (of the decompressed text for
// `.gz`); a leading byte-order mark is dropped and CRLF ends a line as LF does. Whitespace-only
// documents are skipped. Every problem with the input is a DataError: one line naming the file
// (and line, row or offset), exit code 2 at the command line.

import fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { join, relative, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import { globSync, isDynamicPattern } from 'tinyglobby';

/** Bad input data: the message names the file (and where in it). */
export class DataError extends Error {
  override name = 'DataError';
}

export type FileFormat = 'text' | 'json' | 'parquet';
export const sampleByChoices = ['paragraph', 'line', 'document'] as const;
export type SampleBy = (typeof sampleByChoices)[number];

export interface DataFile {
  path: string;
  format: FileFormat;
  gzip: boolean;
}

export interface ReadOptions {
  /** JSON Lines' field and Parquet's column holding the text (default 'text'). */
  textField: string;
  /** How `.txt`/`.md` files are cut into documents (default 'paragraph'). */
  sampleBy: SampleBy;
}

export const DEFAULT_READ_OPTIONS: ReadOptions = { textField: 'text', sampleBy: 'paragraph' };

const FORMATS: Record<string, FileFormat> = { '.txt': 'text', '.md': 'text', '.jsonl': 'json', '.ndjson': 'json', '.json': 'json', '.parquet': 'parquet' };
const SUPPORTED = '.txt, .md, .jsonl, .ndjson, .json or .parquet (text and JSON also .gz)';

/** The format of a path by its extension, or null when it is none of ours. */
export function fileFormat(path: string): DataFile | null {
  const gzip = path.endsWith('.gz');
  const bare = gzip ? path.slice(0, -3) : path;
  const dot = bare.lastIndexOf('.');
  const format = dot < 0 ? undefined : FORMATS[bare.slice(dot).toLowerCase()];
  return format ? { path, format, gzip } : null;
}

/** The files that `values` name (see the header), relative to `baseDir`; a DataError for a missing, unsupported or empty one. */
export function resolveDataFiles(values: readonly string[], baseDir = '.'): DataFile[] {
  const seen = new Set<string>();
  const out: DataFile[] = [];
  for (const value of values) {
    for (const f of filesOf(value, baseDir)) {
      if (seen.has(f.path)) continue;
      seen.add(f.path);
      if (f.format === 'parquet' && f.gzip) throw new DataError(`${f.path}: a gzip-compressed Parquet file; Parquet compresses its pages itself: gunzip it first`);
      if (fs.statSync(f.path).size === 0) throw new DataError(`${f.path}: empty file`);
      out.push(f);
    }
  }
  if (out.length === 0) throw new DataError('--data names no files');
  return out;
}

function filesOf(value: string, baseDir: string): DataFile[] {
  const path = resolve(baseDir, value);
  if (!fs.existsSync(path)) {
    if (!isDynamicPattern(value)) throw new DataError(`${value}: no such file or directory`);
    const matches = globSync(value, { cwd: baseDir, absolute: true, onlyFiles: true }).sort();
    const files = matches.map(fileFormat).filter((f): f is DataFile => f !== null);
    if (files.length === 0) throw new DataError(`${value}: no ${SUPPORTED} file matches this pattern${matches.length > 0 ? ` (${matches.length} other files do)` : ''}`);
    return files;
  }
  if (fs.statSync(path).isDirectory()) {
    const files = walk(path).map(fileFormat).filter((f): f is DataFile => f !== null);
    if (files.length === 0) throw new DataError(`${value}: a directory with no ${SUPPORTED} file in it`);
    return files;
  }
  const f = fileFormat(path);
  if (!f) throw new DataError(`${value}: unsupported file type; expected ${SUPPORTED}`);
  return [f];
}

/** Every file under dir, hidden entries skipped, sorted by path. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** A path for messages: relative to the working directory when under it. */
export function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/**
 * The documents of one file (see the header), each a non-blank string. `onBytes` hears how many
 * of the file's own (compressed, for `.gz`) bytes have been read so far.
 */
export async function* readDocuments(file: DataFile, opts: ReadOptions = DEFAULT_READ_OPTIONS, onBytes: (bytes: number) => void = () => {}): AsyncGenerator<string> {
  const name = shown(file.path);
  let count = 0;
  const docs = file.format === 'parquet' ? parquetDocuments(file.path, name, opts.textField, onBytes) : textDocuments(file, name, opts, onBytes);
  for await (const d of docs) {
    if (d.trim() === '') continue;
    count++;
    yield d;
  }
  if (count === 0) throw new DataError(`${name}: no documents (the file holds only blank text)`);
}

function textDocuments(file: DataFile, name: string, opts: ReadOptions, onBytes: (bytes: number) => void): AsyncGenerator<string> {
  const text = utf8Text(byteStream(file, name, onBytes), name, file.gzip);
  if (file.format === 'json') return jsonDocuments(text, name, opts.textField, file.path.replace(/\.gz$/, '').toLowerCase().endsWith('.json'));
  switch (opts.sampleBy) {
    case 'line':
      return texts(lines(text));
    case 'paragraph':
      return paragraphs(lines(text));
    case 'document':
      return whole(text);
  }
}

/** The file's bytes (decompressed for `.gz`) in chunks of about a megabyte. */
async function* byteStream(file: DataFile, name: string, onBytes: (bytes: number) => void): AsyncGenerator<Buffer> {
  const raw = fs.createReadStream(file.path, { highWaterMark: 1 << 20 });
  const source = file.gzip ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
  if (file.gzip) raw.on('error', (e) => source.destroy(e));
  try {
    for await (const chunk of source) {
      onBytes(raw.bytesRead);
      yield chunk as Buffer;
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (file.gzip && err.code?.startsWith('Z_')) throw new DataError(`${name}: not valid gzip data (${err.message})`);
    throw e;
  } finally {
    raw.destroy();
  }
}

/** UTF-8 text from bytes, chunk by chunk (a character split across chunks waits for its end). */
async function* utf8Text(bytes: AsyncIterable<Buffer>, name: string, decompressed: boolean): AsyncGenerator<string> {
  const where = (at: number) => `${name}: not UTF-8 at byte offset ${at}${decompressed ? ' of its decompressed text' : ''}; convert the file to UTF-8`;
  let carry: Buffer = Buffer.alloc(0);
  let offset = 0;
  for await (const chunk of bytes) {
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const end = completeEnd(buf);
    const head = buf.subarray(0, end);
    if (!isUtf8(head)) throw new DataError(where(offset + firstInvalidByte(head)));
    const text = head.toString('utf8');
    yield offset === 0 && text.startsWith('\uFEFF') ? text.slice(1) : text;
    offset += end;
    carry = Buffer.from(buf.subarray(end));
  }
  if (carry.length > 0) throw new DataError(where(offset));
}

/** Where the last complete UTF-8 character of buf ends (an incomplete one at the end waits for more bytes). */
function completeEnd(buf: Buffer): number {
  for (let i = buf.length - 1; i >= Math.max(0, buf.length - 4); i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return buf.length - i < need ? i : buf.length;
  }
  return buf.length;
}

/** The offset of the first byte that does not decode (the decoder's U+FFFD where the bytes are not EF BF BD). */
function firstInvalidByte(bytes: Buffer): number {
  const text = bytes.toString('utf8');
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) {
    const at = Buffer.byteLength(text.slice(0, i));
    if (!(bytes[at] === 0xef && bytes[at + 1] === 0xbf && bytes[at + 2] === 0xbd)) return at;
  }
  return bytes.length;
}

interface Line {
  text: string;
  /** 1-based. */
  number: number;
}

/** Lines without their LF or CRLF; a line longer than a chunk is joined once, at its end. */
async function* lines(text: AsyncIterable<string>): AsyncGenerator<Line> {
  let pending: string[] = [];
  let number = 0;
  const line = (s: string): Line => ({ text: s.endsWith('\r') ? s.slice(0, -1) : s, number: ++number });
  for await (const chunk of text) {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      yield line(pending.length > 0 ? pending.join('') + piece : piece);
      pending = [];
      start = nl + 1;
    }
    if (start < chunk.length) pending.push(chunk.slice(start));
  }
  if (pending.length > 0) yield line(pending.join(''));
}

async function* texts(ls: AsyncIterable<Line>): AsyncGenerator<string> {
  for await (const l of ls) yield l.text;
}

/** Runs of non-blank lines, joined by LF. */
async function* paragraphs(ls: AsyncIterable<Line>): AsyncGenerator<string> {
  let block: string[] = [];
  for await (const l of ls) {
    if (l.text.trim() !== '') block.push(l.text);
    else if (block.length > 0) {
      yield block.join('\n');
      block = [];
    }
  }
  if (block.length > 0) yield block.join('\n');
}

async function* whole(text: AsyncIterable<string>): AsyncGenerator<string> {
  const parts: string[] = [];
  for await (const t of text) parts.push(t);
  yield parts.join('');
}

/** A JSON Lines file's documents; with `arrays`, a file whose text starts with `[` is read as one JSON array. */
async function* jsonDocuments(text: AsyncGenerator<string>, name: string, field: string, arrays: boolean): AsyncGenerator<string> {
  const first = await text.next();
  if (first.done) return;
  const chunks = prepend(first.value, text);
  if (arrays && first.value.trimStart().startsWith('[')) {
    let index = 0;
    for await (const element of arrayElements(chunks, name)) {
      index++;
      yield fieldOf(parseJson(element, () => `${name}: element ${index} of its JSON array is not JSON`), field, `${name}: element ${index} of its JSON array`);
    }
    return;
  }
  for await (const l of lines(chunks)) {
    if (l.text.trim() === '') continue;
    const where = `${name}: line ${l.number}`;
    yield fieldOf(parseJson(l.text, () => `${where} is not JSON`, '; expected one object per line'), field, where);
  }
}

async function* prepend(head: string, rest: AsyncIterable<string>): AsyncGenerator<string> {
  yield head;
  yield* rest;
}

function parseJson(text: string, where: () => string, hint = ''): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataError(`${where()} (${(e as Error).message})${hint}`);
  }
}

/** The record's string field `field`; `where` names the record in messages. */
function fieldOf(record: unknown, field: string, where: string): string {
  const value = typeof record === 'object' && record !== null && !Array.isArray(record) ? (record as Record<string, unknown>)[field] : undefined;
  if (value === undefined) throw new DataError(`${where} has no "${field}" field${field === 'text' ? '; name the text field with --text-field' : ''}`);
  if (typeof value !== 'string') throw new DataError(`${where}: "${field}" is ${value === null ? 'null' : typeof value}, not a string`);
  return value;
}

const [OPEN_BRACKET, CLOSE_BRACKET, OPEN_BRACE, CLOSE_BRACE, QUOTE, BACKSLASH, COMMA] = [...'[]{}"\\,'].map((c) => c.charCodeAt(0));

/**
 * The source text of each element of the one JSON array `chunks` hold, in order, without holding
 * more than one element: a scan that tracks nesting and strings. What is not an array (text after
 * its end, an unterminated array) is a DataError; an element's own syntax is JSON.parse's to judge.
 */
async function* arrayElements(chunks: AsyncIterable<string>, name: string): AsyncGenerator<string> {
  let depth = 0; // 1 inside the array, more inside an element
  let inString = false;
  let escaped = false;
  let ended = false;
  let element: string[] = [];
  for await (const chunk of chunks) {
    let start = 0; // where the current element's text in this chunk begins
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (ended) {
        if (chunk[i]!.trim() !== '') throw new DataError(`${name}: text after the end of its JSON array`);
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
        if (depth++ === 0) start = i + 1;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (--depth === 0) {
          element.push(chunk.slice(start, i));
          const text = element.join('').trim();
          if (text !== '') yield text;
          element = [];
          ended = true;
        }
      } else if (c === COMMA && depth === 1) {
        element.push(chunk.slice(start, i));
        yield element.join('').trim();
        element = [];
        start = i + 1;
      }
    }
    if (!ended && depth > 0) element.push(chunk.slice(start));
  }
  if (!ended) throw new DataError(`${name}: its JSON array never ends (the file is cut short?)`);
}

/** The column's strings, a row group at a time. */
async function* parquetDocuments(path: string, name: string, column: string, onBytes: (bytes: number) => void): AsyncGenerator<string> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const file = await asyncBufferFromFile(path);
  let metadata;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    throw new DataError(`${name}: not a Parquet file (${(e as Error).message})`);
  }
  const columns = metadata.schema.slice(1).filter((s) => s.num_children === undefined || s.num_children === 0).map((s) => s.name);
  if (!metadata.schema.some((s, i) => i > 0 && s.name === column)) throw new DataError(`${name}: no column "${column}" (it has ${columns.join(', ')}); name the text column with --text-field`);
  let rowStart = 0;
  let read = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = await parquetReadObjects({ file, metadata, columns: [column], rowStart, rowEnd, compressors });
    for (let r = 0; r < rows.length; r++) {
      const v: unknown = rows[r]![column];
      if (typeof v !== 'string') throw new DataError(`${name}: row ${rowStart + r}: column "${column}" holds ${v === null || v === undefined ? 'null' : typeof v}, not text`);
      yield v;
    }
    read += Number(group.total_compressed_size ?? group.total_byte_size);
    onBytes(read);
    rowStart = rowEnd;
  }
}
