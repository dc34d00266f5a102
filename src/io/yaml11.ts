// The function reads and writes YAML 1.2; kubectl, Helm and Go's YAML libraries (and PyYAML) read
// YAML 1.1, where some plain scalars have other types: `On`, `no`, `y` are booleans, `0755` is
// octal, `1_000` a number, `1:20` sexagesimal, `2001-12-14` a timestamp, `~` null. A string this
// function writes must reach those readers as the same string, so every new scalar that a YAML 1.1
// reader would take for something else is written double-quoted. Text the user wrote stays as
// written: a plain scalar in an edited object that the two readings disagree on is named instead.
import {
  Document,
  type DocumentOptions,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Scalar,
  type SchemaOptions,
  visit,
} from 'yaml';

interface ScalarTag {
  default?: boolean | 'key';
  tag: string;
  test?: RegExp;
  resolve: (value: string, onError: (message: string) => void, options: object) => unknown;
}

const implicitTags = (version: '1.1' | '1.2') =>
  (new Document(null, { version }).schema.tags as unknown as ScalarTag[]).filter(
    (t) => t.default === true && t.test !== undefined && t.tag !== 'tag:yaml.org,2002:str',
  );
let tags11: readonly ScalarTag[] | undefined;
let tags12: readonly ScalarTag[] | undefined;

/** The YAML 1.1 schema's implicit scalar tags (the `yaml` library's own table). */
function yaml11Tags(): readonly ScalarTag[] {
  tags11 ??= implicitTags('1.1');
  return tags11;
}

function readingWith(tags: readonly ScalarTag[], text: string): unknown {
  const tag = tags.find((t) => t.test!.test(text));
  if (!tag) return text;
  const value = tag.resolve(text, () => {}, {});
  return isScalar(value) ? value.value : value;
}

/** What a YAML 1.1 reader makes of a plain scalar's text. */
export const yaml11Reading = (text: string): unknown => readingWith(yaml11Tags(), text);

/** What this function's reader (YAML 1.2, core schema) makes of it. */
function yaml12Reading(text: string): unknown {
  tags12 ??= implicitTags('1.2');
  return readingWith(tags12, text);
}

/** Whether this string, written plain, would reach a YAML 1.1 reader as something else. */
export const ambiguousIn11 = (value: string): boolean => yaml11Tags().some((t) => t.test!.test(value));

/**
 * A string the `yaml` library writes plain (YAML 1.2 reads it as a string) that a YAML 1.1 reader
 * takes for another type: `On`, `no`, `0755`, `1:20`. What an earlier version of this function
 * wrote unquoted.
 */
const plainOnlyIn12 = (value: string): boolean => ambiguousIn11(value) && typeof yaml12Reading(value) === 'string';

const sameReading = (a: unknown, b: unknown) =>
  a === b ||
  (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b)) ||
  (typeof a === 'bigint' && typeof b === 'number' && Number(a) === b) ||
  (typeof a === 'number' && typeof b === 'bigint' && a === Number(b));

/** How a value is named in a message: `the boolean true`, `the number 493`, `a timestamp`. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Date) return 'a timestamp';
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${value}`;
  return `the string ${JSON.stringify(value)}`;
}

/** How every text YAML 1.1 reads as other than a string begins (`~`, a digit, a sign, a dot, y/n/on/off/true/false/null). */
const MAYBE_AMBIGUOUS = /^(?:[-+.~0-9]|[yYnNoOtTfF])/;
/** A whole number as both YAML versions read it alike: no sign, no leading zero, no underscore. */
const PLAIN_DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** A plain scalar the user wrote that YAML 1.1 and 1.2 read differently. */
export interface Yaml11Difference {
  field: string;
  message: string;
}

const fieldKey = (key: string) => (/^[A-Za-z0-9_-]+$/.test(key) ? key : `[${key}]`);
const join = (base: string, key: string) => {
  const k = fieldKey(key);
  return base === '' || k.startsWith('[') ? `${base}${k}` : `${base}.${k}`;
};

/**
 * Walks an object's nodes once: new string scalars (no source range: the function made them) that a
 * YAML 1.1 reader would read as another type are set to be written double-quoted; plain scalars
 * from the input that the two readings disagree on are returned, each with its field.
 */
export function settleYaml11(object: Node): Yaml11Difference[] {
  const found: Yaml11Difference[] = [];
  // The path is kept as keys and indexes and made a string only for a value that is named.
  const path: (string | number)[] = [];
  const fieldOf = () => path.reduce<string>((f, k) => (typeof k === 'number' ? `${f}[${k}]` : join(f, k)), '');
  const scalar = (node: Scalar, isKey: boolean) => {
    // A parsed node whose value the edit replaced keeps its old source: it is the function's now.
    const asWritten =
      node.range !== undefined &&
      node.range !== null &&
      (node.type !== 'PLAIN' ||
        node.source === node.value ||
        (typeof node.value === 'number' &&
          PLAIN_DECIMAL.test(String(node.source)) &&
          Number(node.source) === node.value) ||
        sameReading(yaml12Reading(String(node.source)), node.value));
    if (!asWritten) {
      if (typeof node.value === 'string' && (node.type === undefined || node.type === 'PLAIN')) {
        if (ambiguousIn11(node.value)) node.type = 'QUOTE_DOUBLE';
      }
      return;
    }
    if (node.type !== 'PLAIN' || typeof node.source !== 'string' || !MAYBE_AMBIGUOUS.test(node.source)) return;
    // A decimal without a leading zero (8080) is the same number to both.
    if (typeof node.value === 'number' && PLAIN_DECIMAL.test(node.source)) return;
    const reading = yaml11Reading(node.source);
    if (sameReading(reading, node.value)) return;
    const what = isKey ? 'key' : 'value';
    const remedy =
      typeof node.value === 'string'
        ? 'quote it to keep it a string'
        : typeof node.value === 'number' && typeof reading === 'number'
          ? `write ${node.value} if the decimal is meant, ${reading} if the octal`
          : 'write it so that both read the same';
    found.push({
      field: fieldOf(),
      message: `plain ${what} ${node.source} is ${describe(node.value)} to this function (YAML 1.2) but ${describe(reading)} to kubectl, Helm and other YAML 1.1 readers; ${remedy}`,
    });
  };
  const walk = (node: unknown) => {
    if (isAlias(node)) return;
    if (isScalar(node)) scalar(node, false);
    else if (isMap(node))
      for (const pair of node.items) {
        path.push(isScalar(pair.key) ? String(pair.key.value) : '?');
        if (isScalar(pair.key)) scalar(pair.key, true);
        walk(pair.value);
        path.pop();
      }
    else if (isSeq(node))
      for (let i = 0; i < node.items.length; i++) {
        path.push(i);
        walk(node.items[i]);
        path.pop();
      }
  };
  walk(object);
  return found;
}

/** A node as it was written, with each plain string YAML 1.1 reads as another type quoted. */
export function quotePlainOnlyIn12(node: Node): void {
  visit(node, {
    Scalar(_, scalar) {
      if (scalar.type === 'PLAIN' && typeof scalar.value === 'string' && plainOnlyIn12(scalar.value))
        scalar.type = 'QUOTE_DOUBLE';
    },
  });
}

/** Whether plain data holds a string that YAML 1.2 writes plain and YAML 1.1 reads as another type. */
export function holdsYaml11Ambiguity(value: unknown): boolean {
  if (typeof value === 'string') return plainOnlyIn12(value);
  if (Array.isArray(value)) return value.some(holdsYaml11Ambiguity);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value as Record<string, unknown>).some(
      ([k, v]) => plainOnlyIn12(k) || holdsYaml11Ambiguity(v),
    );
  return false;
}

/**
 * `0755` is the decimal 755 to YAML 1.2 and the octal 493 to YAML 1.1 readers. Read as YAML 1.2
 * reads it, but printed as written while its value stands: the `yaml` library would print `755`
 * when an edit elsewhere reprints the object, and kubectl would then read another number.
 */
const leadingZeroInt = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  format: 'LEADING_ZERO',
  test: /^[-+]?0[0-9]+$/,
  identify: (value: unknown) => typeof value === 'number',
  resolve: (text: string) => Number.parseInt(text, 10),
  stringify: ({ source, value }: Scalar) =>
    typeof source === 'string' && Number.parseInt(source, 10) === value ? source : String(value),
};

/**
 * Options for every document that holds the user's text: numbers printed as they were written, and
 * `<<` merge keys expanded when read, as kubectl and kustomize (YAML 1.1 readers) expand them; a
 * label written as `<<: *labels` is those labels, not one named `<<`. The text keeps its `<<`.
 */
export const asWritten = {
  customTags: (tags: unknown[]) => [leadingZeroInt, ...tags],
  merge: true,
} as unknown as Pick<DocumentOptions & SchemaOptions, 'customTags' | 'merge'>;

/** New documents (results, added objects, a rejected list): every string written for YAML 1.1 too. */
export const yaml11Safe = { compat: 'yaml-1.1' } as const;
