// Small readers shared by every object kind: plain maps, string maps, shape checks that name the
// field, and the JSON annotations this function writes to remember what it changed.
import type * as z from 'zod/mini';
import { problem, type Result, ResultsError, result, type Subject } from '../results.js';

export type Obj = Record<string, unknown>;
/** Labels, annotations, a Service selector: string keys to string values. */
export type StringMap = Readonly<Record<string, string>>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const has = (map: object, key: string) => Object.hasOwn(map, key);

/**
 * Deep equality of plain data, what toJS and JSON give (key order aside). node:util's
 * isDeepStrictEqual loads and warms a module of Node's own on every run; this is in the code cache.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => has(b, k) && sameData((a as Obj)[k], (b as Obj)[k]));
}

/** `spec.ports[0].name`, the way kubectl and kustomize write a field path. */
export function pathString(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

/** A field path below `base`. */
export const below = (base: string, field: string) =>
  base === '' ? field : field.startsWith('[') ? `${base}${field}` : `${base}.${field}`;

/** Every issue zod found, each as an error result at its field. */
export function issueResults(error: z.core.$ZodError, toResult: (path: string, message: string) => Result): Result[] {
  return error.issues.map((issue) => {
    const path = pathString(issue.path);
    if (issue.code === 'unrecognized_keys')
      return toResult(below(path, issue.keys.join(', ')), 'unknown field (check the spelling)');
    const message = issue.message.replace(/^Invalid input: /, '');
    // A value outside an enum: say what was written, and the allowed value it is closest to.
    if (issue.code === 'invalid_value' && typeof issue.input === 'string') {
      const allowed = issue.values.map(String);
      const near = allowed.length > 1 ? closest(issue.input, allowed) : undefined;
      const what = /^Invalid (option|input)/.test(message) ? ` is not one of ${allowed.join(', ')}` : `: ${message}`;
      return toResult(path, `${JSON.stringify(issue.input)}${what}${near ? `; did you mean ${near}?` : ''}`);
    }
    return toResult(path, message);
  });
}

/** The allowed value a written one most likely meant: the same but for case, or a typo or two away. */
export function closest(written: string, allowed: readonly string[]): string | undefined {
  const lower = written.toLowerCase();
  const sameButCase = allowed.find((a) => a.toLowerCase() === lower);
  if (sameButCase) return sameButCase;
  let best: { value: string; distance: number } | undefined;
  for (const a of allowed) {
    const distance = editDistance(lower, a.toLowerCase());
    if (!best || distance < best.distance) best = { value: a, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(written.length / 3)) ? best.value : undefined;
}

/** Edit distance with a swap of two neighbours as one edit (`gprc` is one from `grpc`). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  return d[a.length]![b.length]!;
}

/** The value if it has the shape; otherwise every mismatch, each an error at its field. */
export function checkShape<T>(schema: z.ZodMiniType<T>, value: unknown, about: Subject, field: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ResultsError(
    issueResults(parsed.error, (path, message) => {
      const at = path === '' ? field : below(field, path);
      return result('error', message, about, at);
    }),
  );
}

export function stringMap(value: unknown, about: Subject, field: string): StringMap {
  if (value === undefined || value === null) return {};
  if (!isObj(value)) throw problem('is not a map', about, field);
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' ? v : String(v);
  return out;
}

/**
 * An object's key for a map: its namespace (none is a namespace of its own), then its kind where
 * kinds can share a name, then its name.
 */
export const objectKey = (namespace: string | undefined, ...kindAndName: string[]) =>
  [namespace ?? '', ...kindAndName].join('/');

/** Adds a value to the list at `key` of a map of lists, starting the list with the first. */
export function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Items by a key, in their order: an index, so a scan over all items is not repeated per item. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) addTo(groups, keyOf(item), item);
  return groups;
}
