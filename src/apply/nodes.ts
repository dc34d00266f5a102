// The node toolkit of the apply step: finding the node to edit below an object (an alias on the way
// replaced by a copy of what it stands for, so the edit lands on this object only), reading plain
// data back, and the annotation edits every object shares. A node of the wrong type is an error
// naming the object and the field.
import { type Document, isAlias, isMap, isScalar, isSeq, type Node, visit, type YAMLMap, type YAMLSeq } from 'yaml';
import { toPlain } from '../io/yaml.js';
import type { ObjectAt } from '../objects/read.js';
import { isObj, type StringMap } from '../objects/shape.js';
import { problem, type Subject } from '../results.js';

/** One object's edit, and how to read it back. */
export interface Edit {
  about: Subject;
  at: ObjectAt;
  edit(doc: Document, object: YAMLMap): void;
  /** Reads the edited object back: the field that is not as planned, or undefined. */
  check(read: (path: readonly (string | number)[]) => unknown): string | undefined;
}

export type Annotations = Record<string, string | undefined>;

/** The child at `key`, with an alias replaced by a copy of what it stands for. */
export function editable(doc: Document, parent: YAMLMap | YAMLSeq, key: string | number): unknown {
  const node = parent.get(key, true);
  if (!isAlias(node)) return node;
  const copy = (node.resolve(doc) as Node).clone();
  // The copy must not define the anchors a second time; aliases inside it still reach the originals.
  visit(copy as Node, {
    Node(_, n) {
      if ('anchor' in n) n.anchor = undefined;
    },
  });
  parent.set(key, copy);
  return copy;
}

/** Plain data at `path` below the object, aliases followed; only that part is converted. */
export function plainAt(doc: Document, object: YAMLMap, path: readonly (string | number)[], about: Subject): unknown {
  let at: unknown = object;
  for (const key of path) {
    const node = isMap(at) || isSeq(at) ? at.get(key, true) : undefined;
    at = isAlias(node) ? node.resolve(doc) : node;
  }
  return toPlain(doc, at, about);
}

export const isAbsent = (node: unknown) =>
  node === undefined || node === null || (isScalar(node) && node.value === null);
export const fieldOf = (path: readonly (string | number)[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

export function objectAt(doc: Document, path: readonly (string | number)[], about: Subject): YAMLMap {
  let at: unknown = isAlias(doc.contents) ? doc.contents.resolve(doc) : doc.contents;
  for (const key of path) at = isMap(at) || isSeq(at) ? editable(doc, at, key) : undefined;
  if (!isMap(at)) throw problem(`the object at ${fieldOf(path) || 'the top'} is not a mapping`, about);
  return at;
}

/** The map at `path` below `object`, created when `create` and missing. */
export function mapAt(
  doc: Document,
  object: YAMLMap,
  path: readonly string[],
  create: boolean,
  about: Subject,
): YAMLMap | undefined {
  let at = object;
  for (const [i, key] of path.entries()) {
    const next = editable(doc, at, key);
    if (isAbsent(next)) {
      if (!create) return undefined;
      const created = doc.createNode({}) as YAMLMap;
      at.set(key, created);
      at = created;
      continue;
    }
    if (!isMap(next)) throw problem('is not a mapping', about, fieldOf(path.slice(0, i + 1)));
    at = next;
  }
  return at;
}

/** The list at `path` below the object, which must be there: the plan read it. */
export function listAt(doc: Document, object: YAMLMap, path: readonly string[], about: Subject): YAMLSeq {
  const parentPath = path.slice(0, -1);
  const parent = mapAt(doc, object, parentPath, false, about);
  if (!parent) throw problem('is missing', about, fieldOf(parentPath));
  return seqAt(doc, parent, path.at(-1)!, about, fieldOf(path));
}

export function seqAt(doc: Document, parent: YAMLMap, key: string, about: Subject, field: string): YAMLSeq {
  const node = editable(doc, parent, key);
  if (!isSeq(node)) throw problem('is not a list', about, field);
  // Entries that are aliases become copies too, so each entry can be read and edited.
  for (let i = 0; i < node.items.length; i++) editable(doc, node, i);
  return node;
}

/** Only the annotation edits that change something. */
export function annotationChanges(current: StringMap, wanted: Annotations): Annotations {
  const out: Annotations = {};
  for (const [key, value] of Object.entries(wanted)) {
    const present = Object.hasOwn(current, key);
    if (value === undefined ? present : current[key] !== value) out[key] = value;
  }
  return out;
}

/** Sets or removes annotations; drops an annotations map that this leaves empty. */
export function editAnnotations(
  doc: Document,
  object: YAMLMap,
  metadataPath: readonly string[],
  edits: Annotations,
  about: Subject,
): void {
  if (Object.keys(edits).length === 0) return;
  const adds = Object.values(edits).some((v) => v !== undefined);
  const annotations = mapAt(doc, object, [...metadataPath, 'annotations'], adds, about);
  if (!annotations) return;
  for (const [key, value] of Object.entries(edits)) {
    if (value === undefined) annotations.delete(key);
    else annotations.set(key, value);
  }
  if (annotations.items.length === 0) mapAt(doc, object, metadataPath, false, about)?.delete('annotations');
}

export function annotationsDiffer(read: unknown, wanted: Annotations, field: string): string | undefined {
  const annotations = isObj(read) ? read : {};
  const key = Object.keys(wanted).find((k) => annotations[k] !== wanted[k]);
  return key === undefined ? undefined : `${field}.annotations[${key}]`;
}

export const nameOf = (node: unknown) => (isMap(node) ? node.get('name') : undefined);
