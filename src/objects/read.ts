// From items to KRM objects: each item's identity (apiVersion, kind, metadata), the file kpt says
// it came from, and a `v1 List` opened into its members, so objects inside a List (what `kubectl
// get -o yaml` prints) are read, injected and rewired like top-level ones.
import { type Document, isMap, isScalar, isSeq, type YAMLMap } from 'yaml';
import type { Item } from '../io/item.js';
import { NOT_AN_OBJECT, resolved, toPlain, unidentified } from '../io/yaml.js';
import { collect, type ResourceRef, type Result, ResultsError, result } from '../results.js';
import { isObj, type Obj } from './shape.js';

/** Where an object sits: its item, and the path inside the item (empty, or `items[i]` of a List). */
export interface ObjectAt {
  item: number;
  path: readonly (string | number)[];
}

export interface KrmObject {
  ref: ResourceRef;
  file?: Result['file'];
  /** Its place among all objects of the input, in input order. */
  order: number;
  at: ObjectAt;
  apiVersion: string;
  kind: string;
  /** The whole object as plain data, for the kinds the plan reads; absent for the rest. */
  plain?: Obj;
}

export type InputMode = 'resource-list' | 'stream';

/** Where read objects go, one at a time, so their plain data need not outlive the reading. */
export interface ObjectSink {
  /** How many objects were read so far: the next object's order. */
  count: number;
  take(object: KrmObject): void;
  problems: Result[];
}

const PATH_ANNOTATIONS = ['internal.config.kubernetes.io/path', 'config.kubernetes.io/path'];
const INDEX_ANNOTATIONS = ['internal.config.kubernetes.io/index', 'config.kubernetes.io/index'];

const isList = (apiVersion: unknown, kind: unknown) => apiVersion === 'v1' && kind === 'List';

function fileOf(metadata: Obj): Result['file'] | undefined {
  const annotations = isObj(metadata.annotations) ? metadata.annotations : {};
  const path = PATH_ANNOTATIONS.map((k) => annotations[k]).find((v) => typeof v === 'string');
  const index = INDEX_ANNOTATIONS.map((k) => annotations[k]).find((v) => v !== undefined);
  if (typeof path !== 'string') return undefined;
  return { path, ...(index !== undefined ? { index: Number(index) } : {}) };
}

function scalarAt(doc: Document, map: YAMLMap, key: string): unknown {
  const node = resolved(doc, map.get(key, true));
  return isScalar(node) ? node.value : node;
}

/**
 * Reads the objects of one item into the sink. `wants` says which objects the plan needs as plain
 * data. Problems with one object are collected; the others are still read. Returns whether the
 * item holds an object the plan reads (only those can be edited).
 */
export function readObjects(
  item: Item,
  itemIndex: number,
  doc: Document,
  mode: InputMode,
  wants: (apiVersion: string, kind: string) => boolean,
  sink: ObjectSink,
): boolean {
  let read = false;
  // Unidentified objects are named where they are: `items[3]`, `document 4`, `items[3].items[0]`.
  const top = { name: item.where, fieldBase: mode === 'resource-list' ? item.where : '' };
  const visit = (
    node: unknown,
    path: (string | number)[],
    at: { name: string; fieldBase: string },
    inherited?: Result['file'],
  ) => {
    const field = (f: string) => (at.fieldBase === '' ? f : `${at.fieldBase}.${f}`);
    const fail = (message: string, f: string) => {
      throw unidentified(at.name, message, field(f));
    };
    const map = resolved(doc, node);
    if (!isMap(map)) throw unidentified(at.name, NOT_AN_OBJECT);
    const kind = scalarAt(doc, map, 'kind');
    const apiVersion = scalarAt(doc, map, 'apiVersion');
    if (typeof kind !== 'string' || kind === '') fail('has no kind', 'kind');
    if (typeof apiVersion !== 'string' || apiVersion === '') fail(`${kind} has no apiVersion`, 'apiVersion');
    // The whole object as plain data when the plan reads it; otherwise only its metadata.
    const metadataOnly = () => toPlain(doc, map.get('metadata', true), at.name, field('metadata'));
    let plain: unknown;
    if (wants(apiVersion as string, kind as string)) {
      try {
        plain = toPlain(doc, map, at.name);
      } catch (e) {
        // An alias problem below the metadata (ours, and only ours): name the object it is in.
        if (!(e instanceof ResultsError)) throw e;
        const meta = metadataOnly();
        const text = (key: string) => (isObj(meta) && typeof meta[key] === 'string' ? (meta[key] as string) : '');
        const ref = { apiVersion: apiVersion as string, kind: kind as string, name: text('name') };
        const about = { ref: text('namespace') ? { ...ref, namespace: text('namespace') } : ref };
        throw new ResultsError(
          e.results.map((r) => result('error', r.message.replace(`${at.name}: `, ''), about, r.field?.path)),
        );
      }
    }
    const metadata = isObj(plain) ? plain.metadata : metadataOnly();
    const list = isList(apiVersion, kind);
    if (!isObj(metadata) && !(list && (metadata === undefined || metadata === null)))
      fail(`${kind} has no metadata`, 'metadata');
    const meta = isObj(metadata) ? metadata : {};
    const file = fileOf(meta) ?? inherited;
    if (list) {
      const members = resolved(doc, map.get('items', true));
      if (members === undefined || members === null || (isScalar(members) && members.value === null)) return;
      if (!isSeq(members)) fail('List whose items are not a list', 'items');
      (members as { items: unknown[] }).items.forEach((member, i) => {
        const name = mode === 'resource-list' ? `${at.name}.items[${i}]` : `${at.name}, items[${i}]`;
        collect(sink.problems, () =>
          visit(member, [...path, 'items', i], { name, fieldBase: field(`items[${i}]`) }, file),
        );
      });
      return;
    }
    const name = meta.name;
    const namespace = meta.namespace;
    const ref: ResourceRef = {
      apiVersion: apiVersion as string,
      kind: kind as string,
      name: typeof name === 'string' ? name : '',
      ...(typeof namespace === 'string' && namespace !== '' ? { namespace } : {}),
    };
    const object: KrmObject = {
      ref,
      ...(file ? { file } : {}),
      order: sink.count++,
      at: { item: itemIndex, path },
      apiVersion: apiVersion as string,
      kind: kind as string,
    };
    if (isObj(plain)) {
      object.plain = plain;
      read = true;
    }
    sink.take(object);
  };
  collect(sink.problems, () => visit(doc.contents, [], top));
  return read;
}
