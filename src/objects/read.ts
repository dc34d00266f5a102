// From items to KRM objects: each item's identity (apiVersion, kind, metadata), the file kpt says
// it came from, and a `v1 List` opened into its members, so objects inside a List (what `kubectl
// get -o yaml` prints) are read, injected and rewired like top-level ones.
import { type Document, isMap, isScalar, isSeq, type YAMLMap } from 'yaml';
import type { Item } from '../io/item.js';
import { isNullScalar, NOT_AN_OBJECT, resolved, toPlain, unidentified } from '../io/yaml.js';
import { collect, type ResourceRef, type Result, ResultsError, result, type Subject } from '../results.js';
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

/** What results about the object name: its ref, and kpt's file when there is one. */
export const subjectOf = (object: KrmObject): Subject => ({
  ref: object.ref,
  ...(object.file ? { file: object.file } : {}),
});

/** Its subject, its order among all objects, and where it is: what the edited kinds carry. */
export const placedOf = (object: KrmObject): Subject & { order: number; at: ObjectAt } => ({
  ...subjectOf(object),
  order: object.order,
  at: object.at,
});

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

/** Where an object is, for the messages about one that cannot be identified. */
interface Where {
  /** `items[3]`, `document 4`, `items[3].items[0]`. */
  name: string;
  /** Where its field paths start ('' for a plain document). */
  fieldBase: string;
}

const fieldIn = (at: Where, field: string) => (at.fieldBase === '' ? field : `${at.fieldBase}.${field}`);
const fail = (at: Where, message: string, field: string): never => {
  throw unidentified(at.name, message, fieldIn(at, field));
};

/** What makes a node an object: a mapping with a kind and an apiVersion. */
function identify(doc: Document, node: unknown, at: Where): { map: YAMLMap; apiVersion: string; kind: string } {
  const map = resolved(doc, node);
  if (!isMap(map)) throw unidentified(at.name, NOT_AN_OBJECT);
  const kind = scalarAt(doc, map, 'kind');
  const apiVersion = scalarAt(doc, map, 'apiVersion');
  if (typeof kind !== 'string' || kind === '') return fail(at, 'has no kind', 'kind');
  if (typeof apiVersion !== 'string' || apiVersion === '') return fail(at, `${kind} has no apiVersion`, 'apiVersion');
  return { map, apiVersion, kind };
}

/** An object's ref, from its own metadata. */
function refOf(apiVersion: string, kind: string, meta: Obj): ResourceRef {
  const { name, namespace } = meta;
  return {
    apiVersion,
    kind,
    name: typeof name === 'string' ? name : '',
    ...(typeof namespace === 'string' && namespace !== '' ? { namespace } : {}),
  };
}

/** The whole object as plain data; an alias problem below its metadata names the object it is in. */
function plainOf(doc: Document, map: YAMLMap, at: Where, apiVersion: string, kind: string): unknown {
  try {
    return toPlain(doc, map, at.name);
  } catch (e) {
    if (!(e instanceof ResultsError)) throw e;
    const meta = toPlain(doc, map.get('metadata', true), at.name, fieldIn(at, 'metadata'));
    const about = { ref: refOf(apiVersion, kind, isObj(meta) ? meta : {}) };
    throw new ResultsError(
      e.results.map((r) => result('error', r.message.replace(`${at.name}: `, ''), about, r.field?.path)),
    );
  }
}

/** A List's members; none for a List without items. */
function membersOf(doc: Document, map: YAMLMap, at: Where): readonly unknown[] {
  const members = resolved(doc, map.get('items', true));
  if (members === undefined || members === null || isNullScalar(members)) return [];
  if (!isSeq(members)) return fail(at, 'List whose items are not a list', 'items');
  return members.items;
}

/** Whether an object of any kind holds a pod template with containers: its pods count (objects/workload.ts). */
const carriesPodTemplate = (map: YAMLMap) =>
  isSeq(map.getIn(['spec', 'template', 'spec', 'containers'])) ||
  isSeq(map.getIn(['spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers']));

/** One reading of one item: what every node of it shares. */
interface Reading {
  doc: Document;
  itemIndex: number;
  mode: InputMode;
  wants: (apiVersion: string, kind: string) => boolean;
  sink: ObjectSink;
  /** Whether an object the plan reads was found. */
  read: boolean;
}

/** Reads one node as an object into the sink, or, for a List, each of its members. */
function readNode(r: Reading, node: unknown, path: (string | number)[], at: Where, inherited?: Result['file']): void {
  const { doc, sink } = r;
  const { map, apiVersion, kind } = identify(doc, node, at);
  // The whole object as plain data when the plan reads it; otherwise only its metadata.
  const wanted = r.wants(apiVersion, kind) || carriesPodTemplate(map);
  const plain = wanted ? plainOf(doc, map, at, apiVersion, kind) : undefined;
  const metadata = isObj(plain)
    ? plain.metadata
    : toPlain(doc, map.get('metadata', true), at.name, fieldIn(at, 'metadata'));
  const list = isList(apiVersion, kind);
  if (!isObj(metadata) && !(list && (metadata === undefined || metadata === null)))
    fail(at, `${kind} has no metadata`, 'metadata');
  const meta = isObj(metadata) ? metadata : {};
  const file = fileOf(meta) ?? inherited;
  if (list) {
    for (const [i, member] of membersOf(doc, map, at).entries()) {
      const name = r.mode === 'resource-list' ? `${at.name}.items[${i}]` : `${at.name}, items[${i}]`;
      const where = { name, fieldBase: fieldIn(at, `items[${i}]`) };
      collect(sink.problems, () => readNode(r, member, [...path, 'items', i], where, file));
    }
    return;
  }
  const object: KrmObject = {
    ref: refOf(apiVersion, kind, meta),
    ...(file ? { file } : {}),
    order: sink.count++,
    at: { item: r.itemIndex, path },
    apiVersion,
    kind,
  };
  if (isObj(plain)) {
    object.plain = plain;
    r.read = true;
  }
  sink.take(object);
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
  const r: Reading = { doc, itemIndex, mode, wants, sink, read: false };
  // Unidentified objects are named where they are: `items[3]`, `document 4`, `items[3].items[0]`.
  const top = { name: item.where, fieldBase: mode === 'resource-list' ? item.where : '' };
  collect(sink.problems, () => readNode(r, doc.contents, [], top));
  return r.read;
}
