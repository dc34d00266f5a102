// One item of the input, and the only way to change it. An item is text: its own standalone YAML
// document, and the text to print when nothing changes (byte for byte what the input had). The
// apply step edits an item through `editItem`, which parses that text, runs the edit, and prints
// the result at once, so nodes live only as long as one edit.
import { Document, isScalar, type ToStringOptions, type YAMLMap, YAMLSeq } from 'yaml';
import { type Origin, parseChecked } from './yaml.js';
import { asWritten, yaml11Safe } from './yaml11.js';

export interface ItemFormat {
  options: ToStringOptions;
  /** Set for a ResourceList item: printed as a block list entry at this indentation. */
  entryIndent?: number;
}

export interface Item {
  /** How messages name it: `items[3]` (ResourceList, 0-based) or `document 4` (plain stream). */
  where: string;
  /** The item as a standalone YAML document. */
  source: string;
  /** Where `source` starts in the input, for syntax errors. */
  origin: Origin;
  format: ItemFormat;
  /** What is printed for the item when it is not edited. */
  unchanged: string;
  /** What is printed for the item after an edit. */
  edited?: string;
  /** Its document as parsed for reading, kept for an edit while the budget allows (see below). */
  kept?: Document;
}

export const parseItem = (item: Item): Document => parseChecked(item.source, item.where, item.origin);

/**
 * Documents kept from reading to editing, so an item the plan changes is not parsed twice. The
 * budget is counted in source characters per input: memory stays bounded by it (plus the largest
 * item) however large the input; an item read once the budget is spent is parsed again to be edited.
 */
const KEPT_BUDGET = 8 * 1024 * 1024;

export function keeper(): (item: Item, doc: Document) => void {
  let left = KEPT_BUDGET;
  return (item, doc) => {
    if (item.source.length > left) return;
    left -= item.source.length;
    item.kept = doc;
  };
}

/** Runs the edit on the item's document and prints it; the document goes with the edit. */
export function editItem(item: Item, edit: (doc: Document) => void): void {
  const doc = item.kept ?? parseItem(item);
  item.kept = undefined;
  edit(doc);
  item.edited = withTrailingBlankLines(printItem(doc, item.format), item);
}

/**
 * The blank lines the source had after a document, before the next `---`: yaml prints none after an
 * edited document, and a removal would not give the file back byte for byte.
 */
function withTrailingBlankLines(text: string, item: Item): string {
  if (item.format.entryIndent !== undefined || !text.endsWith('\n')) return text;
  const blank = /\n(?:[ \t]*\n)+$/.exec(item.unchanged)?.[0];
  return blank && !text.endsWith(blank) ? text.slice(0, -1) + blank : text;
}

export const textOf = (item: Item): string => item.edited ?? item.unchanged;

/** An item the function adds, printed the way the input's own items are. */
export function newItem(object: unknown, format: ItemFormat, where: string): Item {
  const doc = new Document(object, { aliasDuplicateObjects: false, ...yaml11Safe });
  const source = doc.toString(format.options);
  return { where, source, origin: { line: 0, column: 0 }, format, unchanged: '', edited: printItem(doc, format) };
}

/** Takes an item out of the output. */
export function dropItem(item: Item): void {
  item.kept = undefined;
  item.edited = '';
}

/** The one printer for an item, in whichever shape its input has. */
export function printItem(doc: Document, format: ItemFormat): string {
  if (format.entryIndent === undefined) return doc.toString(format.options);
  const node = doc.contents as YAMLMap<unknown, unknown>;
  // kyaml writes an item's head comment as `- # comment`; keep it there, or kpt copies it back in
  // and the comment doubles on every render. Parsed standalone, that comment is the document's.
  const head = [doc.commentBefore, node.commentBefore].filter(Boolean).join('\n');
  const first = node.items[0];
  if (head && first && isScalar(first.key)) {
    first.key.commentBefore = first.key.commentBefore ? `${head}\n${first.key.commentBefore}` : head;
    node.commentBefore = undefined;
    doc.commentBefore = null;
  }
  const seq = new YAMLSeq();
  seq.items.push(node);
  const printed = new Document(seq, asWritten).toString(format.options);
  return format.entryIndent === 0 ? printed : printed.replace(/^(?=.)/gm, ' '.repeat(format.entryIndent));
}
