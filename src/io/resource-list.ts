// A ResourceList in and out (KRM function mode). The items are cut out of the text one by one, so
// memory is bounded by the largest item and untouched items are printed byte for byte. Layouts the
// line scan does not handle (flow style, earlier results, document markers) are parsed whole once
// and each item is turned into the same standalone text, so every item, edited or not, goes through
// one printer either way.
import {
  Composer,
  Document,
  isMap,
  isSeq,
  LineCounter,
  Parser,
  type ToStringOptions,
  YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { collect, problem, type Result } from '../results.js';
import { type Item, type ItemFormat, keeper, parseItem, printItem, textOf } from './item.js';
import {
  checkDocument,
  guard,
  isNullScalar,
  locateIn,
  NOT_AN_OBJECT,
  parseChecked,
  printOptions,
  toPlain,
  unidentified,
  unresolvedAlias,
} from './yaml.js';
import { asWritten, yaml11Safe } from './yaml11.js';

/** Reads one item's document; returns true when the item may be edited later (its document is then kept, within a budget). */
export type ItemVisitor = (item: Item, index: number, doc: Document) => boolean;

export interface ResourceListInput {
  items: Item[];
  /** How an item the function adds is printed. */
  newItemFormat: ItemFormat;
  /** Items the function adds, printed after the input's own. */
  added: Item[];
  functionConfig: unknown;
  /** Problems with single items (syntax, not a mapping); the others are still read. */
  problems: Result[];
  envelope: Envelope;
}

/** Everything around the items, as text, and the results an earlier function left. */
interface Envelope {
  head: string;
  tail: string;
  options: ToStringOptions;
  earlierResults: unknown[];
}

const STDIN = 'stdin';

export function readResourceList(text: string, visit: ItemVisitor): ResourceListInput {
  if (text.trim() === '') throw problem(`${STDIN} is empty: expected a ResourceList (config.kubernetes.io/v1)`);
  const layout = scanItems(text);
  const input = layout ? fromLayout(text, layout) : fromWholeDocument(text);
  const keep = keeper();
  input.items.forEach((item, index) => {
    collect(input.problems, () => {
      const doc = parseItem(item);
      if (visit(item, index, doc)) keep(item, doc);
    });
  });
  return input;
}

export function writeResourceList(input: ResourceListInput, results: readonly Result[]): string {
  const { head, tail, options, earlierResults } = input.envelope;
  const parts = [head, ...input.items.map(textOf), ...input.added.map(textOf), tail];
  const body = parts.join('');
  const all = [...earlierResults, ...results];
  if (all.length === 0) return body;
  const printed = new Document({ results: all }, { aliasDuplicateObjects: false, ...yaml11Safe }).toString(options);
  return `${body}${body.endsWith('\n') ? '' : '\n'}${printed}`;
}

/** The list an error leaves behind: no items, so nothing half-done can be written. */
export function rejectedResourceList(results: readonly Result[]): string {
  const list = { apiVersion: 'config.kubernetes.io/v1', kind: 'ResourceList', items: [], results };
  return new Document(list, { aliasDuplicateObjects: false, ...yaml11Safe }).toString({
    indentSeq: false,
    lineWidth: 0,
  });
}

function checkEnvelope(root: unknown): YAMLMap {
  if (!isMap(root)) throw problem(`${STDIN} is not a ResourceList: expected a mapping with kind: ResourceList`);
  const kind = root.get('kind');
  const apiVersion = root.get('apiVersion');
  const known = apiVersion === 'config.kubernetes.io/v1' || apiVersion === 'config.kubernetes.io/v1alpha1';
  if (kind !== 'ResourceList' || !known) {
    const found = `kind ${JSON.stringify(kind ?? null)}, apiVersion ${JSON.stringify(apiVersion ?? null)}`;
    const hint = 'to transform plain manifests, pass the config file as an argument';
    throw problem(`${STDIN} is not a ResourceList (found ${found}); ${hint}`, undefined, 'kind');
  }
  return root;
}

function functionConfigOf(doc: Document, root: YAMLMap): unknown {
  const node = root.get('functionConfig', true);
  if (node === undefined || isNullScalar(node)) return undefined;
  return toPlain(doc, node, 'functionConfig');
}

// ---------------------------------------------------------------------------------------------
// The line scan

interface ItemsLayout {
  head: string;
  tail: string;
  indent: number;
  /** Each item's original text, from its first line (leading comments included). */
  raw: string[];
  /** Each item as a standalone document: the dash removed and the lines dedented. */
  standalone: string[];
  /** The 0-based line each item starts on. */
  lines: number[];
}

const isDocumentMarker = (line: string) => /^(---|\.\.\.)(\s|$)/.test(line);
const isDashLine = (line: string) => /^-(\s|$)/.test(line);

/** The lines of `text` from `from` on, each with where it starts; indexOf, never all lines at once. */
function* linesFrom(text: string, from: number): Generator<{ start: number; line: string }> {
  for (let at = from; at < text.length; ) {
    const nl = text.indexOf('\n', at);
    const line = text.slice(at, nl < 0 ? text.length : nl + 1);
    yield { start: at, line };
    at += line.length;
  }
}

/** What one line of the items block is to the scan. */
type Step = 'next' | 'end' | 'decline';

/**
 * The scan's state machine, fed the block's lines one at a time. Blank and comment lines wait for
 * the line they come before; a dash at the items' indentation starts an item; a deeper line goes on
 * with the current one; a line at the items' indentation that is not a dash (or shallower) ends the
 * block. A shape this scan does not handle declines, and the whole-document path reads the input.
 */
function itemsScanner(layout: ItemsLayout, firstLine: number) {
  let pending = '';
  let pendingStandalone = '';
  let pendingLine = firstLine;
  let lineNo = firstLine;
  const waiting = (line: string, body: string, lineIndent: number): Step => {
    if (pending === '') pendingLine = lineNo;
    pending += line;
    const indent = layout.indent;
    const cut = Math.min(lineIndent, indent < 0 ? lineIndent : indent + 2);
    pendingStandalone += body === '' ? line.replace(/^[ \t]+/, '') : line.slice(cut);
    lineNo++;
    return 'next';
  };
  const startItem = (line: string) => {
    layout.lines.push(pending ? pendingLine : lineNo);
    layout.raw.push(pending + line);
    const rest = line.slice(layout.indent + 1);
    layout.standalone.push(pendingStandalone + (rest.startsWith(' ') ? rest.slice(1) : rest.replace(/^[ \t]*/, '')));
  };
  const goOn = (line: string, lineIndent: number): boolean => {
    if (layout.raw.length === 0 || lineIndent < layout.indent + 2) return false;
    const dedented = line.slice(layout.indent + 2);
    if (isDocumentMarker(dedented)) return false;
    layout.raw[layout.raw.length - 1] += pending + line;
    layout.standalone[layout.standalone.length - 1] += pendingStandalone + dedented;
    return true;
  };
  return {
    /** Blank and comment lines read but not yet given to an item (they belong to the tail at the end). */
    pendingLength: () => pending.length,
    step(line: string): Step {
      const body = line.trimStart();
      const lineIndent = line.length - body.length;
      if (body === '' || body.startsWith('#')) return waiting(line, body, lineIndent);
      if (layout.indent < 0) {
        if (!isDashLine(body)) return 'decline';
        layout.indent = lineIndent;
      }
      const isDash = lineIndent === layout.indent && isDashLine(line.slice(layout.indent));
      if (lineIndent < layout.indent || (lineIndent === layout.indent && !isDash)) return 'end';
      if (isDash) startItem(line);
      else if (!goOn(line, lineIndent)) return 'decline';
      pending = '';
      pendingStandalone = '';
      lineNo++;
      return 'next';
    },
    /** Trailing blank or comment lines after the last item stay with it. */
    finish() {
      layout.raw[layout.raw.length - 1] += pending;
      layout.standalone[layout.standalone.length - 1] += pendingStandalone;
    },
  };
}

/** The `items:` block cut into each item's text, or undefined for a layout this scan declines. */
function scanItems(text: string): ItemsLayout | undefined {
  const start = /^items:[ \t]*(?:#.*)?\r?\n/m.exec(text);
  if (!start) return undefined;
  const bodyStart = start.index + start[0].length;
  const layout: ItemsLayout = {
    head: text.slice(0, bodyStart),
    tail: '',
    indent: -1,
    raw: [],
    standalone: [],
    lines: [],
  };
  const scanner = itemsScanner(layout, text.slice(0, bodyStart).split('\n').length - 1);
  let tailAt = text.length;
  for (const { start: lineStart, line } of linesFrom(text, bodyStart)) {
    const step = scanner.step(line);
    if (step === 'decline') return undefined;
    if (step === 'end') {
      // The next top-level key: the items end here, and the comments before it go with it.
      tailAt = lineStart - scanner.pendingLength();
      break;
    }
  }
  if (layout.raw.length === 0) return undefined;
  if (tailAt === text.length) scanner.finish();
  layout.tail = text.slice(tailAt);
  // Results from before, or a second document: the whole-document path reports or merges those.
  const { head, tail } = layout;
  if (/^results:/m.test(tail) || /^results:/m.test(head) || /^(---|\.\.\.)(\s|$)/m.test(tail)) return undefined;
  return layout;
}

function fromLayout(text: string, layout: ItemsLayout): ResourceListInput {
  const where = STDIN;
  // Line numbers of errors in the envelope count from its head; the items carry their own.
  const doc = parseChecked(layout.head + layout.tail, where);
  const root = checkEnvelope(doc.contents);
  const options = printOptions(text);
  const format: ItemFormat = { options, entryIndent: layout.indent };
  const items: Item[] = layout.standalone.map((source, i) => ({
    where: `items[${i}]`,
    source,
    origin: { line: layout.lines[i]!, column: layout.indent + 2 },
    format,
    unchanged: layout.raw[i]!,
  }));
  return {
    items,
    newItemFormat: format,
    added: [],
    functionConfig: functionConfigOf(doc, root),
    problems: [],
    envelope: { head: layout.head, tail: layout.tail, options, earlierResults: [] },
  };
}

// ---------------------------------------------------------------------------------------------
// The whole-document path

function composeAll(text: string, lineCounter: LineCounter): Document[] {
  const composer = new Composer({ prettyErrors: true, ...asWritten });
  const docs: Document[] = [];
  for (const token of new Parser(lineCounter.addNewLine).parse(text))
    for (const d of composer.next(token)) docs.push(d as Document);
  for (const d of composer.end()) docs.push(d as Document);
  return docs;
}

function fromWholeDocument(text: string): ResourceListInput {
  const where = STDIN;
  const lineCounter = new LineCounter();
  const docs = guard(where, () => composeAll(text, lineCounter));
  if (docs.length !== 1) throw problem(`${STDIN} holds ${docs.length} YAML documents: expected one ResourceList`);
  const doc = docs[0]!;
  checkDocument(doc, text, where, locateIn(lineCounter));
  const root = checkEnvelope(doc.contents);
  const itemsNode = root.get('items', true);
  if (itemsNode !== undefined && !isSeq(itemsNode) && !isNullScalar(itemsNode))
    throw problem('items is not a list', undefined, 'items');
  const options = printOptions(text);
  const format: ItemFormat = { options, entryIndent: options.indentSeq ? 2 : 0 };
  const problems: Result[] = [];
  const items: Item[] = [];
  ((itemsNode as YAMLSeq | undefined)?.items ?? []).forEach((node, i) => {
    const at = `items[${i}]`;
    if (!isMap(node)) {
      problems.push(...unidentified(at, NOT_AN_OBJECT).results);
      return;
    }
    let source: string;
    try {
      source = new Document(node, asWritten).toString(options);
    } catch (e) {
      const alias = /^Unresolved alias.*: (\S+)$/.exec((e as Error).message);
      if (!alias) throw e;
      problems.push(...unresolvedAlias(alias[1], at).results);
      return;
    }
    const line = lineCounter.linePos(node.range?.[0] ?? 0).line - 1;
    const item: Item = { where: at, source, origin: { line, column: 0 }, format, unchanged: '' };
    item.unchanged = printItem(parseItem(item), format);
    items.push(item);
  });
  const [head, tail] = envelopeAround(doc, root, options, items.length > 0);
  const earlier = root.get('results', true);
  const earlierResults = isSeq(earlier) ? (toPlain(doc, earlier, 'results') as unknown[]) : [];
  return {
    items,
    newItemFormat: format,
    added: [],
    functionConfig: functionConfigOf(doc, root),
    problems,
    envelope: { head, tail, options, earlierResults },
  };
}

/** The ResourceList's other fields, printed before and after the items, in their own order. */
function envelopeAround(doc: Document, root: YAMLMap, options: ToStringOptions, hasItems: boolean): [string, string] {
  const before: string[] = [];
  const after: string[] = [];
  let seenItems = false;
  for (const pair of root.items) {
    const key = (pair.key as { value?: unknown } | null)?.value ?? pair.key;
    if (key === 'results') continue;
    if (key === 'items') {
      seenItems = true;
      before.push(hasItems ? 'items:\n' : 'items: []\n');
      continue;
    }
    const one = new YAMLMap();
    one.items.push(pair);
    (seenItems ? after : before).push(new Document(one, asWritten).toString(options));
  }
  if (!seenItems) before.push(hasItems ? 'items:\n' : 'items: []\n');
  const top = doc.commentBefore ? `${doc.commentBefore.replace(/^/gm, '#')}\n` : '';
  return [top + before.join(''), after.join('')];
}
