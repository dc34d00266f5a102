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
    return toResult(path, issue.message.replace(/^Invalid input: /, ''));
  });
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
