// The edges: YAML text in, YAML text out, through the `yaml` Document API so that comments, key
// order and scalar styles survive.
//
// Each object is parsed on its own, from its own text, and an object the function does not change
// is printed as that text, byte for byte. This keeps memory bounded by the largest object rather
// than the whole input (a 50 MB list fits), and skips printing what did not change.
import { Composer, Document, isMap, isScalar, isSeq, parseDocument, Parser, YAMLMap, YAMLSeq, visit, type ToStringOptions } from 'yaml';
import { FunctionError } from './results.js';

/** Aliases are legal YAML, but a handful is all a Kubernetes manifest ever needs. */
export const MAX_ALIASES = 1000;
/** How far toJS may expand aliases, relative to document size (the `yaml` library's guard). */
export const MAX_ALIAS_EXPANSION = 100;
/** Below this input size, parsed workloads and Services stay in memory for the apply step. */
const KEEP_PARSED_BELOW = 16 * 1024 * 1024;

/** One KRM object of the input. */
export interface Item {
  /** How messages name it: `items[3]` or `document 4`. */
  where: string;
  /** Its text as a standalone YAML document; absent when it lives in a whole parsed list. */
  source?: string;
  doc?: Document;
  node?: YAMLMap;
  /** Set by the apply step when it changed anything in this item. */
  touched: boolean;
  /** Prints a changed item; absent for items that are printed with their whole list. */
  render?: (item: Item) => string;
  /** The changed item's text, printed as soon as it is changed so its nodes can go. */
  printed?: string;
}

/** Called by the apply step once an item's edits are done. */
export function commitItem(item: Item): void {
  item.touched = true;
  if (!item.render || item.source === undefined) return;
  item.printed = item.render(item);
  item.doc = undefined;
  item.node = undefined;
}

/** Text from bytes; invalid UTF-8 is an error, never silently replaced. */
export function decodeUtf8(input: string | Uint8Array, where: string): string {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    const at = Buffer.from(input).toString('utf8').indexOf('\uFFFD');
    throw new FunctionError(`${where} is not valid UTF-8 (near character ${at})`);
  }
}

function yamlError(doc: Document, where: string): FunctionError {
  const e = doc.errors[0]!;
  if (/Maximum call stack/.test(e.message)) return new FunctionError(`${where} nests too deeply to parse`);
  const pos = e.linePos?.[0];
  const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
  return new FunctionError(`${where} is not valid YAML${at}: ${e.message.split('\n')[0]}`);
}

function checkDocument(doc: Document, src: string, where: string): void {
  if (doc.errors.length) throw yamlError(doc, where);
  if (!src.includes('*')) return;
  let aliases = 0;
  visit(doc, {
    Alias() {
      if (++aliases > MAX_ALIASES) return visit.BREAK;
    },
  });
  if (aliases > MAX_ALIASES) throw new FunctionError(`${where} has more than ${MAX_ALIASES} YAML aliases; refusing to expand them`);
}

function guard<T>(where: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof FunctionError) throw e;
    if (e instanceof RangeError) throw new FunctionError(`${where} nests too deeply to parse`);
    throw new FunctionError(`${where} could not be parsed: ${(e as Error).message}`);
  }
}

/** Whether block sequences in this text sit at their parent key's indentation (`key:\n- a`). */
export function usesCompactSequences(text: string): boolean {
  const m = /^( *)[^\s#-][^\n]*:[ \t]*(?:#[^\n]*)?\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*( *)- /m.exec(text);
  return m ? m[1]!.length === m[2]!.length : true;
}

export function stringifyOptions(text: string): ToStringOptions {
  return { lineWidth: 0, indentSeq: !usesCompactSequences(text), flowCollectionPadding: false };
}

const isNullScalar = (node: unknown) => isScalar(node) && node.value === null;

/** The item's nodes, parsing its text on first use. */
export function loadItem(item: Item): YAMLMap {
  if (item.node) return item.node;
  const source = item.source!;
  const doc = guard(item.where, () => parseDocument(source, { prettyErrors: true }));
  checkDocument(doc, source, item.where);
  if (!isMap(doc.contents)) throw new FunctionError(`${item.where} is not a Kubernetes object (a mapping)`, undefined, item.where);
  item.doc = doc;
  item.node = doc.contents as YAMLMap;
  return item.node;
}

/** Lets go of an item's nodes when they can be parsed again from its text, to bound memory. */
export function releaseItem(item: Item, mayChange: boolean, inputSize: number): void {
  if (item.source === undefined || (mayChange && inputSize < KEEP_PARSED_BELOW)) return;
  item.doc = undefined;
  item.node = undefined;
}

/** Plain data for one node, with aliases expanded under the library's exhaustion guard. */
export function toPlain(doc: Document, node: YAMLMap | YAMLSeq, where: string): unknown {
  try {
    return node.toJS(doc, { maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (e) {
    if (e instanceof ReferenceError) throw new FunctionError(`${where}: YAML aliases expand beyond a sane bound; refusing to expand them`);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// ResourceList

export interface ResourceListInput {
  items: Item[];
  functionConfig: unknown;
  print(results: readonly unknown[]): string;
}

/** The `items:` block of a ResourceList cut into each item's text, or undefined for a layout this
 * scan does not handle (flow style, markers inside items); those take the whole-document path. */
interface ItemsLayout {
  head: string;
  tail: string;
  indent: number;
  /** Each item's original text, from its first line (leading comments included). */
  raw: string[];
  /** Each item as a standalone document: the dash removed and the lines dedented. */
  standalone: string[];
}

function scanItems(text: string): ItemsLayout | undefined {
  const start = /^items:[ \t]*(?:#.*)?\r?\n/m.exec(text);
  if (!start) return undefined;
  const bodyStart = start.index + start[0].length;
  const lines = text.slice(bodyStart).split(/(?<=\n)/);
  let indent = -1;
  const raw: string[] = [];
  const standalone: string[] = [];
  let pending = '';
  let pendingStandalone = '';
  let offset = bodyStart;
  let tailAt = text.length;
  const leading = (line: string) => line.length - line.trimStart().length;
  for (const line of lines) {
    const trimmed = line.trim();
    const lineIndent = leading(line.replace(/\r?\n$/, ''));
    if (trimmed === '' || trimmed.startsWith('#')) {
      // Blank and comment lines go with whatever comes next.
      pending += line;
      pendingStandalone += trimmed === '' ? line.replace(/^[ \t]+/, '') : line.slice(Math.min(lineIndent, indent < 0 ? lineIndent : indent + 2));
      offset += line.length;
      continue;
    }
    if (indent < 0) {
      if (!/^-(\s|$)/.test(line.trimStart())) return undefined;
      indent = lineIndent;
    }
    const isDash = lineIndent === indent && /^-(\s|$)/.test(line.slice(indent));
    if (lineIndent < indent || (lineIndent === indent && !isDash)) {
      // The next top-level key: the items end here.
      tailAt = offset - pending.length;
      pending = '';
      break;
    }
    if (isDash) {
      raw.push(pending + line);
      const rest = line.slice(indent + 1);
      standalone.push(pendingStandalone + (rest.startsWith(' ') ? rest.slice(1) : rest.replace(/^[ \t]*/, '')));
    } else {
      if (raw.length === 0 || lineIndent < indent + 2) return undefined;
      const dedented = line.slice(indent + 2);
      if (/^(---|\.\.\.)(\s|$)/.test(dedented)) return undefined;
      raw[raw.length - 1] += pending + line;
      standalone[standalone.length - 1] += pendingStandalone + dedented;
    }
    pending = '';
    pendingStandalone = '';
    offset += line.length;
  }
  if (raw.length === 0) return undefined;
  // Trailing blank or comment lines after the last item stay with it.
  if (pending) {
    raw[raw.length - 1] += pending;
    standalone[standalone.length - 1] += pendingStandalone;
  }
  const head = text.slice(0, bodyStart);
  const tail = text.slice(tailAt);
  // Results from before, or a second document: the whole-document path reports or merges those.
  if (/^results:/m.test(tail) || /^results:/m.test(head) || /^(---|\.\.\.)(\s|$)/m.test(tail)) return undefined;
  return { head, tail, indent, raw, standalone };
}

function checkEnvelope(root: unknown): YAMLMap {
  if (!isMap(root)) throw new FunctionError('stdin is not a ResourceList: expected a mapping with kind: ResourceList');
  const kind = root.get('kind');
  const apiVersion = root.get('apiVersion');
  if (kind !== 'ResourceList' || (apiVersion !== 'config.kubernetes.io/v1' && apiVersion !== 'config.kubernetes.io/v1alpha1'))
    throw new FunctionError(
      `stdin is not a ResourceList (found kind ${JSON.stringify(kind ?? null)}, apiVersion ${JSON.stringify(apiVersion ?? null)}); to transform plain manifests, pass the config file as an argument`,
      undefined,
      'kind',
    );
  return root;
}

function functionConfigOf(doc: Document, root: YAMLMap): unknown {
  const fc = root.get('functionConfig', true);
  if (fc === undefined || isNullScalar(fc)) return undefined;
  return isMap(fc) || isSeq(fc) ? toPlain(doc, fc, 'functionConfig') : root.get('functionConfig');
}

export function readResourceList(text: string): ResourceListInput {
  if (text.trim() === '') throw new FunctionError('stdin is empty: expected a ResourceList (config.kubernetes.io/v1)');
  const layout = scanItems(text);
  if (layout) {
    const envelope = guard('the input ResourceList', () => parseDocument(layout.head + layout.tail, { prettyErrors: true }));
    checkDocument(envelope, layout.head + layout.tail, 'the input ResourceList');
    const root = checkEnvelope(envelope.contents);
    const options = stringifyOptions(text);
    const render = (item: Item) => printItem(item, options, layout.indent);
    const items: Item[] = layout.standalone.map((source, i) => ({ where: `items[${i}]`, source, touched: false, render }));
    return {
      items,
      functionConfig: functionConfigOf(envelope, root),
      print(results) {
        const parts = [layout.head];
        items.forEach((item, i) => parts.push(item.touched ? (item.printed ?? render(item)) : layout.raw[i]!));
        parts.push(layout.tail);
        const body = parts.join('');
        if (!results.length) return body;
        return `${body}${body.endsWith('\n') ? '' : '\n'}${new Document({ results }, { aliasDuplicateObjects: false }).toString(options)}`;
      },
    };
  }
  return readWholeResourceList(text);
}

/** The general path: the whole list as one Document, printed whole. */
function readWholeResourceList(text: string): ResourceListInput {
  const where = 'the input ResourceList';
  return guard(where, () => {
    const docs = parseStreamDocuments(text);
    if (docs.length !== 1) throw new FunctionError(`stdin holds ${docs.length} YAML documents: expected one ResourceList`);
    const doc = docs[0]!.doc;
    checkDocument(doc, text, where);
    const root = checkEnvelope(doc.contents);
    const itemsNode = root.get('items', true);
    if (itemsNode !== undefined && itemsNode !== null && !isSeq(itemsNode) && !isNullScalar(itemsNode)) throw new FunctionError('items is not a list', undefined, 'items');
    const items: Item[] = isSeq(itemsNode)
      ? (itemsNode as YAMLSeq).items.map((node, i) => {
          if (!isMap(node)) throw new FunctionError(`items[${i}] is not a Kubernetes object (a mapping)`, undefined, `items[${i}]`);
          return { where: `items[${i}]`, doc, node, touched: false };
        })
      : [];
    return {
      items,
      functionConfig: functionConfigOf(doc, root),
      print(results) {
        if (results.length) {
          const existing = root.get('results');
          root.set('results', doc.createNode(Array.isArray(existing) ? [...existing, ...results] : results, { aliasDuplicateObjects: false }));
        }
        return doc.toString(stringifyOptions(text));
      },
    };
  });
}

/** One item printed as a block list entry at the list's indentation. */
function printItem(item: Item, options: ToStringOptions, indent: number): string {
  // The item is printed once, after its last edit, so its node can be rearranged in place.
  const node = item.node! as YAMLMap<unknown, unknown>;
  // kyaml writes an item's head comment as `- # comment`; keep it there, or kpt copies it back in
  // and the comment doubles on every render. Parsed standalone, that comment is the document's.
  const head = [item.doc?.commentBefore, node.commentBefore].filter(Boolean).join('\n');
  const first = node.items[0];
  if (head && first && isScalar(first.key)) {
    first.key.commentBefore = first.key.commentBefore ? `${head}\n${first.key.commentBefore}` : head;
    node.commentBefore = undefined;
    if (item.doc) item.doc.commentBefore = null;
  }
  const seq = new YAMLSeq();
  seq.items.push(node);
  const printed = new Document(seq).toString(options);
  return indent === 0 ? printed : printed.replace(/^(?=.)/gm, ' '.repeat(indent));
}

// ---------------------------------------------------------------------------------------------
// Plain multi-document streams

interface StreamDocument {
  doc: Document;
  /** The document's own text, from its first byte to the next document's. */
  source: string;
}

/** Parses a YAML stream one document at a time, keeping each document's source text. */
function* streamDocuments(text: string): Generator<StreamDocument> {
  const parser = new Parser();
  const composer = new Composer({ prettyErrors: true });
  const starts: number[] = [];
  const ready: Document[] = [];
  let k = 0;
  // The composer hands out a document once the next one starts, so its end is known by then.
  function* drain(final: boolean): Generator<StreamDocument> {
    while (ready.length && (final || starts.length > k + 1)) {
      const doc = ready.shift()!;
      // Comments before the first document belong to it.
      const start = k === 0 ? 0 : (starts[k] ?? text.length);
      const end = starts[k + 1] ?? text.length;
      k++;
      yield { doc, source: text.slice(start, end) };
    }
  }
  for (const token of parser.parse(text)) {
    if (token.type === 'document') starts.push(token.offset);
    for (const doc of composer.next(token)) ready.push(doc as Document);
    yield* drain(false);
  }
  for (const doc of composer.end()) ready.push(doc as Document);
  yield* drain(true);
}

function parseStreamDocuments(text: string): StreamDocument[] {
  return [...streamDocuments(text)];
}

export interface StreamInput {
  items: Item[];
  print(): string;
}

const renderDocument = (item: Item) => item.doc!.toString(stringifyOptions(item.source!));

export function readStream(text: string, where = 'the input'): StreamInput {
  const segments: { source: string; item?: Item }[] = [];
  const items: Item[] = [];
  // A large stream is parsed again where it changes rather than held whole in memory.
  const keep = text.length < KEEP_PARSED_BELOW;
  guard(where, () => {
    let d = 0;
    for (const { doc, source } of streamDocuments(text)) {
      d++;
      const at = `${where} (document ${d})`;
      checkDocument(doc, source, at);
      if (doc.contents === null || isNullScalar(doc.contents)) {
        segments.push({ source }); // an empty document passes through
        continue;
      }
      if (!isMap(doc.contents)) throw new FunctionError(`${where}: document ${d} is not a Kubernetes object (a mapping)`);
      const item: Item = { where: `document ${d}`, source, touched: false, render: renderDocument, ...(keep ? { doc, node: doc.contents as YAMLMap } : {}) };
      items.push(item);
      segments.push({ source, item });
    }
  });
  return {
    items,
    print() {
      // Parts joined once: checking the end of a growing string would flatten it every time.
      const parts: string[] = [];
      let endsWithNewline = true;
      for (const { source, item } of segments) {
        let text = source;
        if (item?.touched) {
          text = item.printed ?? renderDocument(item);
          if (!endsWithNewline) parts.push('\n');
          // A document after another needs its separator; yaml prints `---` only if the source had it.
          if (parts.length > 0 && !text.startsWith('---')) text = `---\n${text}`;
        }
        if (text === '') continue;
        parts.push(text);
        endsWithNewline = text.endsWith('\n');
      }
      return parts.join('');
    },
  };
}
