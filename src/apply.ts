// Apply a plan to the YAML in place. What changes is decided on plain data first; an item is
// edited only when something in it differs, and only the nodes whose value changes are replaced,
// so a second run with the same config leaves every byte where it was.
//
// The apply step never skips: a node on the way that is a YAML alias is replaced by a copy of what
// it stands for (the edit lands on this object only, never on the anchor it shares), a node of the
// wrong type is an error naming the object and the field, and every edited object is read back and
// checked against the plan before anything is printed.
import { type Document, isAlias, isMap, isScalar, isSeq, type Node, visit, type YAMLMap, type YAMLSeq } from 'yaml';
import { POLICY_PORTS, REWIRED } from './annotations.js';
import { dropItem, editItem, type Item } from './io/item.js';
import { toPlain } from './io/yaml.js';
import { holdsYaml11Ambiguity, quotePlainOnlyIn12, settleYaml11 } from './io/yaml11.js';
import type { ObjectAt } from './objects/read.js';
import { addTo, isObj, type Obj, type StringMap, sameData } from './objects/shape.js';
import type { Plan, ServicePlan, WorkloadPlan } from './plan/plan.js';
import type { PolicyPlan } from './plan/policies.js';
import { sidecarNames } from './plan/seen-by.js';
import { problem, type Result, result, type Subject } from './results.js';

type Annotations = Record<string, string | undefined>;
interface Edit {
  about: Subject;
  at: ObjectAt;
  edit(doc: Document, object: YAMLMap): void;
  /** Reads the edited object back: the field that is not as planned, or undefined. */
  check(read: (path: readonly (string | number)[]) => unknown): string | undefined;
}

/**
 * Edits the items; returns a warning for each plain value in an edited object that YAML 1.1 readers
 * (kubectl, Helm) read as another type than this function does.
 */
export function applyPlan(plan: Plan, items: readonly Item[]): Result[] {
  const warnings: Result[] = [];
  for (const at of plan.dropped) dropItem(items[at.item]!);
  const edits = new Map<number, Edit[]>();
  const add = (edit: Edit | undefined) => {
    if (edit) addTo(edits, edit.at.item, edit);
  };
  for (const wp of plan.workloads) add(workloadEdit(wp));
  for (const sp of plan.services) add(serviceEdit(sp));
  for (const pp of plan.networkPolicies) add(policyEdit(pp));
  for (const [index, list] of edits) {
    editItem(items[index]!, (doc) => {
      for (const { about, at, edit, check } of list) {
        const object = objectAt(doc, at.path, about);
        edit(doc, object);
        const wrong = check((path) => plainAt(doc, object, path, about));
        if (wrong)
          throw problem('this edit did not take; nothing was written. Please report this with the input', about, wrong);
        for (const d of settleYaml11(object)) warnings.push(result('warning', d.message, about, d.field));
      }
    });
  }
  return warnings;
}

// ---------------------------------------------------------------------------------------------
// Nodes to edit

/** The child at `key`, with an alias replaced by a copy of what it stands for. */
function editable(doc: Document, parent: YAMLMap | YAMLSeq, key: string | number): unknown {
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
function plainAt(doc: Document, object: YAMLMap, path: readonly (string | number)[], about: Subject): unknown {
  let at: unknown = object;
  for (const key of path) {
    const node = isMap(at) || isSeq(at) ? at.get(key, true) : undefined;
    at = isAlias(node) ? node.resolve(doc) : node;
  }
  return toPlain(doc, at, about);
}

const isAbsent = (node: unknown) => node === undefined || node === null || (isScalar(node) && node.value === null);
const fieldOf = (path: readonly (string | number)[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

function objectAt(doc: Document, path: readonly (string | number)[], about: Subject): YAMLMap {
  let at: unknown = isAlias(doc.contents) ? doc.contents.resolve(doc) : doc.contents;
  for (const key of path) at = isMap(at) || isSeq(at) ? editable(doc, at, key) : undefined;
  if (!isMap(at)) throw problem(`the object at ${fieldOf(path) || 'the top'} is not a mapping`, about);
  return at;
}

/** The map at `path` below `object`, created when `create` and missing. */
function mapAt(
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
function listAt(doc: Document, object: YAMLMap, path: readonly string[], about: Subject): YAMLSeq {
  const parentPath = path.slice(0, -1);
  const parent = mapAt(doc, object, parentPath, false, about);
  if (!parent) throw problem('is missing', about, fieldOf(parentPath));
  return seqAt(doc, parent, path.at(-1)!, about, fieldOf(path));
}

function seqAt(doc: Document, parent: YAMLMap, key: string, about: Subject, field: string): YAMLSeq {
  const node = editable(doc, parent, key);
  if (!isSeq(node)) throw problem('is not a list', about, field);
  // Entries that are aliases become copies too, so each entry can be read and edited.
  for (let i = 0; i < node.items.length; i++) editable(doc, node, i);
  return node;
}

// ---------------------------------------------------------------------------------------------
// Annotations

/** Only the annotation edits that change something. */
function annotationChanges(current: StringMap, wanted: Annotations): Annotations {
  const out: Annotations = {};
  for (const [key, value] of Object.entries(wanted)) {
    const present = Object.hasOwn(current, key);
    if (value === undefined ? present : current[key] !== value) out[key] = value;
  }
  return out;
}

/** Sets or removes annotations; drops an annotations map that this leaves empty. */
function editAnnotations(
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

function annotationsDiffer(read: unknown, wanted: Annotations, field: string): string | undefined {
  const annotations = isObj(read) ? read : {};
  const key = Object.keys(wanted).find((k) => annotations[k] !== wanted[k]);
  return key === undefined ? undefined : `${field}.annotations[${key}]`;
}

// ---------------------------------------------------------------------------------------------
// Workloads and Services

const nameOf = (node: unknown) => (isMap(node) ? node.get('name') : undefined);

/**
 * The sidecar in its place: a regular one last in containers (other injections' sidecars may follow
 * it), a native one first in initContainers (after other injections' native sidecars). A sidecar
 * that is already in its place is edited where it stands; one that is not moves, as it was written
 * when only its place is wrong.
 */
function workloadEdit(wp: WorkloadPlan): Edit | undefined {
  const { workload: w, sidecar, native } = wp;
  const current = w.current.sidecar;
  const inPlace = current?.inPlace === true && current.native === native;
  // A sidecar holding a string YAML 1.1 reads as another type is edited each run, to quote it where
  // it stands: an earlier version of this function wrote such strings plain (`value: On`), and a
  // kpt package rendered in place keeps its output. Nothing else in it changes.
  const rewrite = sidecar !== undefined && holdsYaml11Ambiguity(sidecar);
  const sidecarInPlace = sidecar !== undefined && inPlace && sameData(current?.container, sidecar);
  const sidecarChanges = (sidecar !== undefined || current !== undefined) && !sidecarInPlace;
  const annotations = annotationChanges(w.current.podAnnotations, wp.podAnnotations);
  if (!sidecarChanges && !rewrite && Object.keys(annotations).length === 0) return undefined;
  const templatePath = w.kind.podTemplatePath;
  const listPath = (native: boolean) => [...templatePath, 'spec', native ? 'initContainers' : 'containers'];
  const theirs = sidecarNames(w.others);
  return {
    about: w,
    at: w.at,
    edit(doc, object) {
      if (sidecarChanges) {
        let old: unknown;
        let at = -1;
        if (current) {
          const list = listAt(doc, object, listPath(current.native), w);
          at = list.items.findIndex((c) => nameOf(c) === current.container.name);
          [old] = at >= 0 ? list.items.splice(at, 1) : [];
          if (current.native && list.items.length === 0)
            mapAt(doc, object, [...templatePath, 'spec'], false, w)?.delete('initContainers');
        }
        if (sidecar) {
          // An unchanged sidecar that is only out of place moves as it was written.
          const unchanged = old !== undefined && sameData(current?.container, sidecar);
          const node = unchanged ? old : doc.createNode(sidecar, { aliasDuplicateObjects: false });
          if (unchanged && rewrite) quotePlainOnlyIn12(node as Node);
          const list = native
            ? initContainersAt(doc, object, templatePath, w)
            : listAt(doc, object, listPath(false), w);
          if (!inPlace || at < 0) {
            at = native ? 0 : list.items.length;
            if (native) while (at < list.items.length && theirs.has(nameOf(list.items[at]) as string)) at++;
          }
          list.items.splice(at, 0, node);
        }
      } else if (rewrite && current) {
        const list = listAt(doc, object, listPath(current.native), w);
        const node = list.items.find((c) => nameOf(c) === current.container.name);
        if (node) quotePlainOnlyIn12(node as Node);
      }
      editAnnotations(doc, object, [...templatePath, 'metadata'], annotations, w);
    },
    check(read) {
      const listed = (native: boolean) => {
        const list = read(listPath(native));
        return Array.isArray(list) ? (list as Obj[]) : [];
      };
      const name = sidecar?.name ?? current?.container.name;
      for (const n of [false, true]) {
        const found = listed(n).filter((c) => c.name === name);
        const wanted = sidecar && n === native ? 1 : 0;
        if (found.length !== wanted) return fieldOf(listPath(n));
        if (wanted && !sameData(found[0], JSON.parse(JSON.stringify(sidecar)))) return fieldOf(listPath(n));
      }
      return annotationsDiffer(
        read([...templatePath, 'metadata', 'annotations']),
        annotations,
        fieldOf([...templatePath, 'metadata']),
      );
    },
  };
}

/** The pod's initContainers, created when the pod has none. */
function initContainersAt(doc: Document, object: YAMLMap, templatePath: readonly string[], about: Subject): YAMLSeq {
  const spec = mapAt(doc, object, [...templatePath, 'spec'], false, about);
  const field = fieldOf([...templatePath, 'spec']);
  if (!spec) throw problem('is missing', about, field);
  if (isAbsent(spec.get('initContainers', true))) spec.set('initContainers', doc.createNode([]));
  return seqAt(doc, spec, 'initContainers', about, `${field}.initContainers`);
}

function serviceEdit(sp: ServicePlan): Edit | undefined {
  const { service: s } = sp;
  const { current } = s;
  const { annotation } = sp;
  const changedPorts = sp.targetPorts.flatMap((t, i) => ((t ?? undefined) !== current.targetPorts[i] ? [i] : []));
  const annotations = annotation !== current.rewired ? { [REWIRED]: annotation } : {};
  if (changedPorts.length === 0 && annotation === current.rewired) return undefined;
  return {
    about: s,
    at: s.at,
    edit(doc, object) {
      if (changedPorts.length) {
        const ports = listAt(doc, object, ['spec', 'ports'], s);
        for (const i of changedPorts) {
          const port = ports.items[i];
          if (!isMap(port)) throw problem(`spec.ports[${i}] is not a mapping`, s, `spec.ports[${i}]`);
          const wanted = sp.targetPorts[i];
          if (wanted === undefined) port.delete('targetPort');
          else port.set('targetPort', wanted);
        }
      }
      editAnnotations(doc, object, ['metadata'], annotations, s);
    },
    check(read) {
      const listed = read(['spec', 'ports']);
      const ports = Array.isArray(listed) ? (listed as Obj[]) : [];
      const wrong = sp.targetPorts.findIndex((t, i) => (ports[i]?.targetPort ?? undefined) !== (t ?? undefined));
      if (wrong >= 0) return `spec.ports[${wrong}].targetPort`;
      return annotationsDiffer(read(['metadata', 'annotations']), annotations, 'metadata');
    },
  };
}

/** Only the ingress rules whose ports change: new entries appended where the rule only grows. */
function policyEdit(pp: PolicyPlan): Edit | undefined {
  const { policy } = pp;
  const { annotation } = pp;
  const changed = pp.rules.flatMap((ports, i) => (sameData(ports, policy.current.rules[i]) ? [] : [i]));
  const annotations = annotation !== policy.current.annotation ? { [POLICY_PORTS]: annotation } : {};
  if (changed.length === 0 && annotation === policy.current.annotation) return undefined;
  return {
    about: policy,
    at: policy.at,
    edit(doc, object) {
      if (changed.length) {
        const ingress = listAt(doc, object, ['spec', 'ingress'], policy);
        for (const i of changed) {
          const rule = ingress.items[i];
          const field = `spec.ingress[${i}]`;
          if (!isMap(rule)) throw problem('is not a mapping', policy, field);
          const wanted = pp.rules[i];
          const now = policy.current.rules[i] ?? [];
          const grows = wanted !== undefined && sameData(wanted.slice(0, now.length), now) && now.length > 0;
          if (grows) {
            const ports = seqAt(doc, rule, 'ports', policy, `${field}.ports`);
            for (const entry of wanted.slice(now.length)) ports.items.push(doc.createNode(entry));
          } else if (wanted === undefined) rule.delete('ports');
          else rule.set('ports', doc.createNode(wanted));
        }
      }
      editAnnotations(doc, object, ['metadata'], annotations, policy);
    },
    check(read) {
      const listed = read(['spec', 'ingress']);
      const rules = Array.isArray(listed) ? (listed as Obj[]) : [];
      const wrong = changed.find((i) => !sameData(rules[i]?.ports ?? undefined, pp.rules[i]));
      if (wrong !== undefined) return `spec.ingress[${wrong}].ports`;
      return annotationsDiffer(read(['metadata', 'annotations']), annotations, 'metadata');
    },
  };
}
