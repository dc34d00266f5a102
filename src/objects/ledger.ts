// The ledger: what each injection changed in an object, kept in the object itself as a JSON
// annotation of records by injection name (the pod's status, a Service's rewired ports, a
// NetworkPolicy's ingress ports), as Istio keeps sidecar.istio.io/status. One home for it: read
// (an older value of one record alone is read as the LEGACY record), split (this injection's own
// record and everyone else's), write (every record, by name, in name order).
import { problem, type Subject } from '../results.js';
import { isObj, type StringMap } from './shape.js';

/** One of this function's JSON annotations, or undefined when absent; a hand-edited one is an error. */
function readJsonAnnotation<T>(
  annotations: StringMap,
  key: string,
  valid: (value: unknown) => value is T,
  about: Subject,
  field: string,
  remedy: string,
): T | undefined {
  const raw = annotations[key];
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  if (valid(value)) return value;
  throw problem(`annotation ${key} is not what this function writes; ${remedy}`, about, `${field}[${key}]`);
}

/**
 * The key of a record written before injections had names (one record, not a map by name): the
 * injection that runs next owns it.
 */
export const LEGACY = '';

/**
 * An annotation this function writes as JSON records by injection name. An older value holding one
 * record alone is read as that record under LEGACY.
 */
export function readRecords<T>(
  annotations: StringMap,
  key: string,
  isRecord: (value: unknown) => value is T,
  about: Subject,
  field: string,
  remedy: string,
): Record<string, T> {
  const byName = (v: unknown): v is Record<string, T> => isObj(v) && Object.values(v).every(isRecord);
  const valid = (v: unknown): v is T | Record<string, T> => isRecord(v) || byName(v);
  const read = readJsonAnnotation(annotations, key, valid, about, field, remedy);
  if (read === undefined) return {};
  if (isRecord(read)) return { [LEGACY]: read };
  return byName(read) ? read : {};
}

/** This injection's record and everyone else's. A record from before names existed is this one's. */
export function ownRecord<T>(name: string, records: Readonly<Record<string, T>>) {
  const key = Object.hasOwn(records, name) ? name : Object.hasOwn(records, LEGACY) ? LEGACY : undefined;
  const others: Record<string, T> = {};
  for (const [k, v] of Object.entries(records)) if (k !== key) others[k] = v;
  return { own: key === undefined ? undefined : records[key], others };
}

/** Every injection's record as one annotation value, by name in name order; undefined when none is left. */
export function recordsAnnotation<T>(
  name: string,
  others: Readonly<Record<string, T>>,
  own: T | undefined,
): string | undefined {
  const all: Record<string, T> = { ...others };
  if (own !== undefined) all[name] = own;
  const names = Object.keys(all).sort();
  if (names.length === 0) return undefined;
  return JSON.stringify(Object.fromEntries(names.map((n) => [n, all[n]])));
}
