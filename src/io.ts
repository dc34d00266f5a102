// The edges: YAML text in, YAML text out, through the `yaml` Document API so that comments, key
// order and scalar styles survive. Untouched documents of a plain stream are copied through as
// their original text.
import { Composer, CST, Document, isMap, isScalar, isSeq, Parser, YAMLMap, YAMLSeq, visit, type ToStringOptions } from 'yaml';
import { FunctionError } from './results.js';

/** Aliases are legal YAML, but a handful is all a Kubernetes manifest ever needs. */
export const MAX_ALIASES = 1000;
/** How far toJS may expand aliases, relative to document size (the `yaml` library's guard). */
export const MAX_ALIAS_EXPANSION = 100;

/** One KRM object in the input, and the document that owns its nodes. */
export interface ItemNode {
  node: YAMLMap;
  doc: Document;
  /** Set by the apply step when it changed anything in this item. */
  touched: boolean;
}

/** Text from bytes; invalid UTF-8 is an error, never silently replaced. */
export function decodeUtf8(input: string | Uint8Array, where: string): string {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    let at = 0;
    // Find the first bad byte for the message: decode growing prefixes is too slow, so scan.
    for (let i = 0; i < input.length; ) {
      const b = input[i]!;
      const len = b < 0x80 ? 1 : b >> 5 === 6 ? 2 : b >> 4 === 14 ? 3 : b >> 3 === 30 ? 4 : 0;
      if (len === 0 || i + len > input.length || [...input.subarray(i + 1, i + len)].some((c) => c >> 6 !== 2)) {
        at = i;
        break;
      }
      i += len;
    }
    throw new FunctionError(`${where} is not valid UTF-8 (first bad byte at offset ${at})`);
  }
}

function describeYamlError(doc: Document, where: string): never {
  const e = doc.errors[0]!;
  if (/Maximum call stack/.test(e.message)) throw new FunctionError(`${where} nests too deeply to parse`);
  const pos = e.linePos?.[0];
  const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
  const firstLine = e.message.split('\n')[0];
  throw new FunctionError(`${where} is not valid YAML${at}: ${firstLine}`);
}

function checkAliases(doc: Document, src: string, where: string): void {
  if (!src.includes('*')) return;
  let aliases = 0;
  visit(doc, {
    Alias() {
      if (++aliases > MAX_ALIASES) return visit.BREAK;
    },
  });
  if (aliases > MAX_ALIASES) throw new FunctionError(`${where} has more than ${MAX_ALIASES} YAML aliases; refusing to expand them`);
}

/** Whether block sequences in this text sit at their parent key's indentation (`key:\n- a`). */
export function usesCompactSequences(text: string): boolean {
  const m = /^( *)[^\s#-][^\n]*:[ \t]*(?:#[^\n]*)?\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*( *)- /m.exec(text);
  return m ? m[1]!.length === m[2]!.length : true;
}

export function stringifyOptions(text: string): ToStringOptions {
  return { lineWidth: 0, indentSeq: !usesCompactSequences(text), flowCollectionPadding: false };
}

function guardParse<T>(where: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof FunctionError) throw e;
    if (e instanceof RangeError) throw new FunctionError(`${where} nests too deeply to parse`);
    throw new FunctionError(`${where} could not be parsed: ${(e as Error).message}`);
  }
}

export interface ParsedResourceList {
  doc: Document;
  items: ItemNode[];
  functionConfig: unknown;
  text: string;
  /** Where each item's text starts, and where the items end; undefined if items is not a block list. */
  layout?: { itemStarts: number[]; itemsEnd: number; indent: number };
}

export function parseResourceList(text: string): ParsedResourceList {
  const where = 'the input ResourceList';
  return guardParse(where, () => {
    if (text.trim() === '') throw new FunctionError('stdin is empty: expected a ResourceList (config.kubernetes.io/v1)');
    const docs = parseDocuments(text);
    if (docs.length !== 1) throw new FunctionError(`stdin holds ${docs.length} YAML documents: expected one ResourceList`);
    const doc = docs[0]!.doc;
    if (doc.errors.length) describeYamlError(doc, where);
    checkAliases(doc, text, where);
    const root = doc.contents;
    if (!isMap(root)) throw new FunctionError('stdin is not a ResourceList: expected a mapping with kind: ResourceList');
    const kind = root.get('kind');
    const apiVersion = root.get('apiVersion');
    if (kind !== 'ResourceList' || (apiVersion !== 'config.kubernetes.io/v1' && apiVersion !== 'config.kubernetes.io/v1alpha1'))
      throw new FunctionError(
        `stdin is not a ResourceList: found apiVersion ${JSON.stringify(apiVersion)}, kind ${JSON.stringify(kind)}; to transform plain manifests, pass the config file as an argument`,
        undefined,
        'kind',
      );
    const itemsNode = root.get('items', true);
    let items: ItemNode[] = [];
    if (itemsNode !== undefined && itemsNode !== null && !(isSeq(itemsNode) || isNullScalar(itemsNode)))
      throw new FunctionError('items is not a list', undefined, 'items');
    if (isSeq(itemsNode)) {
      items = (itemsNode as YAMLSeq).items.map((node, i) => {
        if (!isMap(node)) throw new FunctionError(`items[${i}] is not a mapping`, undefined, `items[${i}]`);
        return { node, doc, touched: false };
      });
    }
    const fc = root.get('functionConfig', true);
    const functionConfig =
      fc === undefined || isNullScalar(fc) ? undefined : isMap(fc) || isSeq(fc) ? toPlain(doc, fc, 'functionConfig') : root.get('functionConfig');
    const layout = itemsLayout(docs[0]!, text, items.length);
    return { doc, items, functionConfig, text, ...(layout ? { layout } : {}) };
  });
}

const lineStart = (text: string, offset: number) => text.lastIndexOf('\n', offset - 1) + 1;

/** From the CST: the offsets where each item of the top-level `items:` block list begins. */
function itemsLayout(sd: StreamDocument, text: string, count: number): ParsedResourceList['layout'] {
  const root = sd.cst?.value;
  if (!root || root.type !== 'block-map') return undefined;
  const at = root.items.findIndex((p) => p.key && 'source' in p.key && p.key.source === 'items');
  const seq = root.items[at]?.value;
  if (!seq || seq.type !== 'block-seq' || seq.items.length !== count || count === 0) return undefined;
  if (root.items.some((p) => p.key && 'source' in p.key && p.key.source === 'results')) return undefined;
  const itemStarts = seq.items.map((item) => lineStart(text, item.start[0]?.offset ?? -1));
  if (itemStarts.some((o, i) => o < 0 || (i > 0 && o <= itemStarts[i - 1]!))) return undefined;
  const next = root.items[at + 1];
  const nextOffset = next ? (next.start[0]?.offset ?? (next.key as { offset?: number } | null)?.offset) : undefined;
  const itemsEnd = nextOffset === undefined ? text.length : lineStart(text, nextOffset);
  const first = seq.items[0]!.start.find((t) => t.type === 'seq-item-ind');
  return { itemStarts, itemsEnd, indent: first ? first.offset - lineStart(text, first.offset) : 0 };
}

/** One item printed as a block list entry at the list's indentation. */
function printItem(item: ItemNode, options: ToStringOptions, indent: number): string {
  const tmp = new Document(new YAMLSeq());
  const node = item.node.clone() as YAMLMap<unknown, unknown>;
  // kyaml writes an item's head comment as `- # comment`; keep it there, or kpt copies it back in
  // and the comment doubles on every render.
  const first = node.items[0];
  if (node.commentBefore && first && isScalar(first.key)) {
    const key = first.key;
    key.commentBefore = key.commentBefore ? `${node.commentBefore}\n${key.commentBefore}` : node.commentBefore;
    node.commentBefore = undefined;
  }
  (tmp.contents as YAMLSeq).items.push(node);
  const printed = tmp.toString(options);
  if (indent === 0) return printed;
  const pad = ' '.repeat(indent);
  return printed.replace(/^(?=.)/gm, pad);
}

/** The ResourceList out: untouched items as their original text, changed items re-printed. */
export function printResourceList(list: ParsedResourceList, results: readonly unknown[]): string {
  const options = stringifyOptions(list.text);
  const { layout, text } = list;
  let out: string | undefined;
  if (layout) {
    try {
      out = text.slice(0, layout.itemStarts[0]);
      list.items.forEach((item, i) => {
        out += item.touched ? printItem(item, options, layout.indent) : text.slice(layout.itemStarts[i], layout.itemStarts[i + 1] ?? layout.itemsEnd);
      });
      out += text.slice(layout.itemsEnd);
    } catch {
      out = undefined; // an item that cannot stand alone (an alias to another item): print it all
    }
  }
  if (out === undefined) {
    const root = list.doc.contents as YAMLMap;
    if (results.length) {
      const existing = root.get('results');
      root.set('results', list.doc.createNode(Array.isArray(existing) ? [...existing, ...results] : results, { aliasDuplicateObjects: false }));
    }
    return list.doc.toString(options);
  }
  if (!results.length) return out;
  if (!out.endsWith('\n')) out += '\n';
  return out + new Document({ results }, { aliasDuplicateObjects: false }).toString(options);
}

function isNullScalar(node: unknown): boolean {
  return typeof node === 'object' && node !== null && 'value' in node && (node as { value: unknown }).value === null;
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

interface StreamDocument {
  doc: Document;
  /** The document's own text, from its first byte to the next document's. */
  source: string;
  /** Where the document starts in the whole text. */
  offset: number;
  cst: CST.Document | undefined;
}

/** Parses a YAML stream in one pass, keeping each document's source text. */
function parseDocuments(text: string): StreamDocument[] {
  const parser = new Parser();
  const composer = new Composer({ prettyErrors: true });
  const starts: number[] = [];
  const csts: CST.Document[] = [];
  const docs: Document[] = [];
  for (const token of parser.parse(text)) {
    if (token.type === 'document') {
      starts.push(token.offset);
      csts.push(token);
    }
    for (const doc of composer.next(token)) docs.push(doc as Document);
  }
  for (const doc of composer.end()) docs.push(doc as Document);
  // Comments before the first document belong to it.
  if (starts.length) starts[0] = 0;
  return docs.map((doc, i) => ({
    doc,
    source: text.slice(starts[i] ?? text.length, starts[i + 1] ?? text.length),
    offset: starts[i] ?? text.length,
    cst: csts[i],
  }));
}

export interface ParsedStream {
  documents: StreamDocument[];
  items: ItemNode[];
  /** Item index -> document index, for documents that hold an object. */
  documentOf: number[];
}

export function parseStream(text: string, where = 'the input'): ParsedStream {
  return guardParse(where, () => {
    const documents = parseDocuments(text);
    const items: ItemNode[] = [];
    const documentOf: number[] = [];
    documents.forEach(({ doc, source }, d) => {
      if (doc.errors.length) describeYamlError(doc, `${where} (document ${d + 1})`);
      checkAliases(doc, source, `${where} (document ${d + 1})`);
      if (doc.contents === null || isNullScalar(doc.contents)) return; // an empty document passes through
      if (!isMap(doc.contents)) throw new FunctionError(`${where}: document ${d + 1} is not a Kubernetes object (a mapping)`);
      items.push({ node: doc.contents as YAMLMap, doc, touched: false });
      documentOf.push(d);
    });
    return { documents, items, documentOf };
  });
}

export function printStream(stream: ParsedStream): string {
  const touched = new Set(stream.items.filter((i) => i.touched).map((i) => i.doc));
  let out = '';
  for (const { doc, source } of stream.documents) {
    if (!touched.has(doc)) {
      out += source;
      continue;
    }
    let printed = doc.toString(stringifyOptions(source));
    // A document followed by another needs a separator; yaml prints `---` only if the source had it.
    if (out !== '' && !out.endsWith('\n')) out += '\n';
    if (out !== '' && !printed.startsWith('---')) printed = `---\n${printed}`;
    out += printed;
  }
  return out;
}
