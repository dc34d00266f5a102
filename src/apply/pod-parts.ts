// A workload's pod parts edit: the volumes, image pull Secrets and app mounts the plan gives this
// injection, put into the pod's lists by their key (a volume's name, a Secret's name, a mount's
// path), and the ones it brought before and no longer has taken out. A list this leaves empty
// goes, so a pod that had none gets back exactly what the user wrote.
import type { Document, YAMLMap, YAMLSeq } from 'yaml';
import { isMap, Scalar } from 'yaml';
import { toPlain } from '../io/yaml.js';
import { isObj, type Obj, sameData } from '../objects/shape.js';
import { listKey, type Workload } from '../objects/workload.js';
import type { PodParts } from '../plan/pod-parts.js';
import { partsToTakeOut } from '../plan/seen-by.js';
import { editable, fieldOf, isAbsent, mapAt, seqAt } from './nodes.js';

/** One list's change: the entries to have (by key) and the keys to take out. */
interface ListChange {
  /** The path of the map holding the list, below the object, and the list's key in it. */
  path: readonly string[];
  key: string;
  put: Obj[];
  remove: Set<string>;
  keyOf: (entry: Obj) => string;
  /** How the user wrote the list before the injection filled it, if empty: what an emptied list becomes. */
  emptyAs?: null | [];
}

const byName = (e: Obj) => String(e.name);
const byPath = (e: Obj) => String(e.mountPath);

/** Every list change the plan asks of this workload; empty when the pod already is as planned. */
export function podPartsChanges(w: Workload, parts: PodParts): ListChange[] {
  const spec = [...w.kind.podTemplatePath, 'spec'];
  const gone = w.earlier ? partsToTakeOut(w.earlier, w.others) : undefined;
  const emptyAs = (key: string) => {
    const form = w.earlier?.emptyLists?.[key];
    return form === undefined ? {} : { emptyAs: form };
  };
  const changes: ListChange[] = [];
  const add = (change: ListChange, current: readonly Obj[]) => {
    const remove = new Set([...change.remove].filter((k) => !change.put.some((p) => change.keyOf(p) === k)));
    const present = (p: Obj) => current.some((c) => change.keyOf(c) === change.keyOf(p) && sameData(c, p));
    const removing = current.some((c) => remove.has(change.keyOf(c)));
    if (removing || change.put.some((p) => !present(p))) changes.push({ ...change, remove });
  };
  add(
    {
      path: spec,
      key: 'volumes',
      put: parts.volumes as unknown as Obj[],
      remove: gone?.volumes ?? new Set(),
      keyOf: byName,
      ...emptyAs(listKey('volumes')),
    },
    w.current.volumes as unknown as Obj[],
  );
  add(
    {
      path: spec,
      key: 'imagePullSecrets',
      put: parts.imagePullSecrets.map((name) => ({ name })),
      remove: gone?.imagePullSecrets ?? new Set(),
      keyOf: byName,
      ...emptyAs(listKey('imagePullSecrets')),
    },
    w.current.imagePullSecrets.map((name) => ({ name })),
  );
  const containers = new Set([
    ...parts.appVolumeMounts.map((m) => m.container),
    ...(gone?.appVolumeMounts ?? []).map((m) => m.container),
  ]);
  for (const name of containers) {
    const container = w.current.containers.find((c) => c.name === name);
    if (!container) continue; // renamed or taken out by hand: nothing of ours is left in it
    add(
      {
        path: [...spec, 'containers', name],
        key: 'volumeMounts',
        put: parts.appVolumeMounts.filter((m) => m.container === name).map((m) => m.mount as unknown as Obj),
        remove: new Set((gone?.appVolumeMounts ?? []).filter((m) => m.container === name).map((m) => m.mountPath)),
        keyOf: byPath,
        ...emptyAs(listKey('volumeMounts', name)),
      },
      (container.volumeMounts ?? []) as unknown as Obj[],
    );
  }
  return changes;
}

/** The map a change's path names; a container is found by its name in the pod's containers. */
function holderOf(doc: Document, object: YAMLMap, w: Workload, path: readonly string[]): YAMLMap | undefined {
  const at = path.indexOf('containers');
  if (at < 0) return mapAt(doc, object, path as string[], true, w);
  const spec = mapAt(doc, object, path.slice(0, at) as string[], false, w);
  if (!spec) return undefined;
  const list = seqAt(doc, spec, 'containers', w, fieldOf([...path.slice(0, at + 1)]));
  return list.items.find((c): c is YAMLMap => isMap(c) && c.get('name') === path[at + 1]);
}

/** A null written as nothing (`key:`), as the user wrote it. */
export function writtenEmpty(): Scalar {
  const empty = new Scalar(null);
  empty.source = '';
  return empty;
}

export function applyPodParts(doc: Document, object: YAMLMap, w: Workload, changes: readonly ListChange[]): void {
  for (const change of changes) {
    const holder = holderOf(doc, object, w, change.path);
    if (!holder) continue;
    const field = fieldOf([...change.path, change.key]);
    const node = editable(doc, holder, change.key);
    if (isAbsent(node)) {
      if (change.put.length) holder.set(change.key, doc.createNode(change.put, { aliasDuplicateObjects: false }));
      continue;
    }
    const list: YAMLSeq = seqAt(doc, holder, change.key, w, field);
    const plain = (item: unknown) => {
      const value = toPlain(doc, item, w);
      return isObj(value) ? value : {};
    };
    list.items = list.items.filter((item) => !change.remove.has(change.keyOf(plain(item))));
    for (const entry of change.put) {
      const at = list.items.findIndex((item) => change.keyOf(plain(item)) === change.keyOf(entry));
      if (at >= 0 && sameData(plain(list.items[at]), entry)) continue;
      const created = doc.createNode(entry, { aliasDuplicateObjects: false });
      if (at >= 0) list.items[at] = created;
      else list.items.push(created);
    }
    if (list.items.length === 0) {
      // Back to how the user wrote it: `key:` or `key: []`; a list the injection made goes.
      if (change.emptyAs === undefined) holder.delete(change.key);
      else holder.set(change.key, change.emptyAs === null ? writtenEmpty() : doc.createNode([]));
    }
  }
}

/** Reads the edited object back: the first list not as planned, or undefined. */
export function checkPodParts(
  read: (path: readonly (string | number)[]) => unknown,
  changes: readonly ListChange[],
): string | undefined {
  for (const change of changes) {
    const at = change.path.indexOf('containers');
    let list: unknown;
    if (at < 0) list = read([...change.path, change.key]);
    else {
      const containers = read(change.path.slice(0, at + 1));
      const c = Array.isArray(containers)
        ? containers.find((x) => isObj(x) && x.name === change.path[at + 1])
        : undefined;
      list = isObj(c) ? c[change.key] : undefined;
    }
    const entries = Array.isArray(list) ? (list as Obj[]) : [];
    const field = fieldOf([...change.path, change.key]);
    if (entries.some((e) => change.remove.has(change.keyOf(e)))) return field;
    if (!change.put.every((p) => entries.some((e) => sameData(e, p)))) return field;
  }
  return undefined;
}
