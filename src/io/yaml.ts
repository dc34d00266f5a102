// YAML text to nodes and plain data, under the guards hostile input needs: invalid UTF-8, syntax
// errors with the input's own line and column, too many aliases, alias bombs, unresolved aliases,
// and nesting too deep for the parser's stack.
import {
  type Document,
  isAlias,
  isScalar,
  type LineCounter,
  type Node,
  parseDocument,
  type ToStringOptions,
  visit,
  type YAMLError,
} from 'yaml';
import { problem, ResultsError, type Subject } from '../results.js';
import { asWritten } from './yaml11.js';

/** Aliases are legal YAML, but a handful is all a Kubernetes manifest ever needs. */
const MAX_ALIASES = 1000;
/** How far toJS may expand aliases, relative to document size (the `yaml` library's guard). */
const MAX_ALIAS_EXPANSION = 100;

/** Text from bytes; invalid UTF-8 is an error, never silently replaced. */
export function decodeUtf8(input: string | Uint8Array, where: string): string {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    const at = Buffer.from(input).toString('utf8').indexOf('\uFFFD');
    throw unidentified(where, `not valid UTF-8 (near character ${at})`);
  }
}

/** Where a piece of text starts in the whole input (0-based line, and columns cut from its lines). */
export interface Origin {
  line: number;
  column: number;
}

export const wholeInput: Origin = { line: 0, column: 0 };

/**
 * A problem with an item or document the function could not identify as an object: named where it
 * is (`items[3]`, `document 4`, `stdin`), one form for all of them.
 */
export const unidentified = (where: string, message: string, field?: string): ResultsError =>
  problem(`${where}: ${message}`, undefined, field);

export const NOT_AN_OBJECT = 'not a Kubernetes object (a mapping)';

function yamlError(error: YAMLError, where: string, position?: { line: number; col: number }): ResultsError {
  if (/Maximum call stack/.test(error.message)) return unidentified(where, 'nests too deeply to parse');
  const at = position ? ` at line ${position.line}, column ${position.col}` : '';
  return unidentified(
    where,
    `not valid YAML${at}: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
  );
}

/** Fails on the document's first syntax error, or on more aliases than a manifest needs. */
export function checkDocument(
  doc: Document,
  source: string,
  where: string,
  locate: (error: YAMLError) => { line: number; col: number } | undefined,
): void {
  const error = doc.errors[0];
  if (error) throw yamlError(error, where, locate(error));
  if (!source.includes('*')) return; // no alias can be there
  let aliases = 0;
  let unresolved: string | undefined;
  visit(doc, {
    Alias(_, alias) {
      if (++aliases > MAX_ALIASES) return visit.BREAK;
      // An anchor in another item or document: the item cannot stand alone, so it cannot be read.
      if (unresolved === undefined && !alias.resolve(doc)) unresolved = alias.source;
    },
  });
  if (aliases > MAX_ALIASES)
    throw unidentified(where, `more than ${MAX_ALIASES} YAML aliases; refusing to expand them`);
  if (unresolved !== undefined) throw unresolvedAlias(unresolved, where);
}

/** Runs the parser, turning its own failures (stack overflow on deep nesting) into errors that say so. */
export function guard<T>(where: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof ResultsError) throw e;
    if (e instanceof RangeError) throw unidentified(where, 'nests too deeply to parse');
    throw unidentified(where, `could not be parsed: ${(e as Error).message}`);
  }
}

/** One standalone document, checked; syntax errors point at the whole input's lines. */
export function parseChecked(source: string, where: string, origin: Origin = wholeInput): Document {
  const doc = guard(where, () => parseDocument(source, { prettyErrors: true, ...asWritten }));
  checkDocument(doc, source, where, (e) => {
    const pos = e.linePos?.[0];
    return pos && { line: pos.line + origin.line, col: pos.col + origin.column };
  });
  return doc;
}

export function locateIn(lineCounter: LineCounter): (e: YAMLError) => { line: number; col: number } | undefined {
  return (e) => lineCounter.linePos(e.pos[0]);
}

/** Who an error is about: an identified object, or an item named by where it is (`items[3]`). */
export type About = Subject | string;

function aboutError(message: string, about: About, field?: string): ResultsError {
  return typeof about === 'string' ? unidentified(about, message) : problem(message, about, field);
}

export function unresolvedAlias(name: string | undefined, about: About, field?: string): ResultsError {
  const alias = name ? `*${name} ` : '';
  const why = 'anchors do not reach across documents or ResourceList items';
  return aboutError(`YAML alias ${alias}has no anchor before it in this object; ${why}`, about, field);
}

/** Plain data for one node, with aliases expanded under the library's exhaustion guard. */
export function toPlain(doc: Document, node: unknown, about: About, field?: string): unknown {
  if (!node || typeof node !== 'object' || !('toJS' in node)) return node;
  try {
    return (node as Node).toJS(doc, { maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    if (/unresolved alias/i.test(e.message)) throw unresolvedAlias(/: (\S+)$/.exec(e.message)?.[1], about, field);
    const message = 'YAML aliases expand beyond a sane bound (an alias bomb); refusing to expand them';
    throw aboutError(message, about, field);
  }
}

/** A node with an alias followed: what an alias stands for. */
export function resolved(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

export const isNullScalar = (node: unknown) => isScalar(node) && node.value === null;

/** Whether block sequences in this text sit at their parent key's indentation (`key:\n- a`). */
function usesCompactSequences(text: string): boolean {
  const m = /^( *)[^\s#-][^\n]*:[ \t]*(?:#[^\n]*)?\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*( *)- /m.exec(text);
  return m ? m[1]!.length === m[2]!.length : true;
}

/** Printing options that follow the input's own style, so edited objects look like their neighbours. */
export function printOptions(text: string): ToStringOptions {
  return { lineWidth: 0, indentSeq: !usesCompactSequences(text), flowCollectionPadding: false };
}
