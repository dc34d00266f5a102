// A plain multi-document YAML stream in and out (plain mode: `inject-sidecar CONFIG < in > out`).
// Documents are composed one at a time and handed to the visitor as they are, so each is parsed
// once for reading; a document the function does not change is printed as its own text.
import { Composer, type Document, isMap, LineCounter, Parser } from 'yaml';
import { collect, type Result } from '../results.js';
import { type Item, type ItemFormat, keeper, textOf } from './item.js';
import type { ItemVisitor } from './resource-list.js';
import { checkDocument, guard, isNullScalar, locateIn, NOT_AN_OBJECT, printOptions, unidentified } from './yaml.js';
import { asWritten } from './yaml11.js';

export interface StreamInput {
  items: Item[];
  /** How an item the function adds is printed: a document after the others. */
  newItemFormat: ItemFormat;
  /** Items the function adds, printed after the input's own. */
  added: Item[];
  /** Each document's text in order, with the item read from it (empty documents have none). */
  segments: { source: string; item?: Item }[];
  problems: Result[];
}

/** Composes a YAML stream one document at a time, with each document's own text. */
function* documentsOf(
  text: string,
  lineCounter: LineCounter,
): Generator<{ doc: Document; source: string; start: number }> {
  const composer = new Composer({ prettyErrors: true, ...asWritten });
  const starts: number[] = [];
  const ready: Document[] = [];
  let k = 0;
  // The composer hands out a document once the next one starts, so its end is known by then.
  function* drain(final: boolean) {
    while (ready.length && (final || starts.length > k + 1)) {
      const doc = ready.shift()!;
      // Comments before the first document belong to it.
      const start = k === 0 ? 0 : (starts[k] ?? text.length);
      const end = starts[k + 1] ?? text.length;
      k++;
      yield { doc, source: text.slice(start, end), start };
    }
  }
  for (const token of new Parser(lineCounter.addNewLine).parse(text)) {
    if (token.type === 'document') starts.push(token.offset);
    for (const doc of composer.next(token)) ready.push(doc as Document);
    yield* drain(false);
  }
  for (const doc of composer.end()) ready.push(doc as Document);
  yield* drain(true);
}

/** Reads a stream; `where` names it when the parser itself fails, `label` names each document. */
export function readStream(
  text: string,
  where: string,
  visit: ItemVisitor,
  label = (n: number) => `document ${n}`,
): StreamInput {
  const input: StreamInput = {
    items: [],
    newItemFormat: { options: printOptions(text) },
    added: [],
    segments: [],
    problems: [],
  };
  const lineCounter = new LineCounter();
  const locate = locateIn(lineCounter);
  const documents = documentsOf(text, lineCounter);
  const keep = keeper();
  let number = 0;
  for (;;) {
    // The parser itself can fail (a stack overflow on deep nesting): that ends the stream.
    const next = guard(where, () => documents.next());
    if (next.done) break;
    const { doc, source, start } = next.value;
    number++;
    const at = label(number);
    const taken = collect(input.problems, () => {
      checkDocument(doc, source, at, locate);
      if (doc.contents === null || isNullScalar(doc.contents)) {
        input.segments.push({ source }); // an empty document passes through
        return true;
      }
      if (!isMap(doc.contents)) throw unidentified(at, NOT_AN_OBJECT);
      const format: ItemFormat = { options: printOptions(source) };
      const origin = { line: lineCounter.linePos(start).line - 1, column: 0 };
      const item: Item = { where: at, source, origin, format, unchanged: source };
      input.items.push(item);
      input.segments.push({ source, item });
      if (visit(item, input.items.length - 1, doc)) keep(item, doc);
      return true;
    });
    // A document that cannot be read is printed as it came (a failed run prints nothing anyway).
    if (!taken) input.segments.push({ source });
  }
  return input;
}

export function writeStream(input: StreamInput): string {
  // Parts joined once: checking the end of a growing string would flatten it every time.
  const parts: string[] = [];
  let endsWithNewline = true;
  for (const { source, item } of [...input.segments, ...input.added.map((item) => ({ source: '', item }))]) {
    let text = item ? textOf(item) : source;
    if (text === '') continue; // a dropped item, or an empty tail
    if (item?.edited !== undefined) {
      if (!endsWithNewline) parts.push('\n');
      // A document after another needs its separator; yaml prints `---` only if the source had it.
      if (parts.length > 0 && !text.startsWith('---')) text = `---\n${text}`;
    }
    if (text === '') continue;
    parts.push(text);
    endsWithNewline = text.endsWith('\n');
  }
  return parts.join('');
}
