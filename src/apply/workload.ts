// A workload's edit: the sidecar into the slot the plan chose, and the pod annotations. A sidecar
// that stays in its slot is replaced where it stands (or, when unchanged, only has its YAML 1.1
// ambiguous strings quoted); one that moves is taken out and put in, as it was written when only
// its place is wrong.
import type { Document, Node, YAMLMap, YAMLSeq } from 'yaml';
import { holdsYaml11Ambiguity, quotePlainOnlyIn12 } from '../io/yaml11.js';
import { type Obj, sameData } from '../objects/shape.js';
import type { SidecarPlace, Workload } from '../objects/workload.js';
import type { WorkloadPlan } from '../plan/plan.js';
import type { SidecarSlot } from '../plan/workload.js';
import { problem, type Subject } from '../results.js';
import {
  annotationChanges,
  annotationsDiffer,
  type Edit,
  editAnnotations,
  fieldOf,
  isAbsent,
  listAt,
  mapAt,
  nameOf,
  seqAt,
} from './nodes.js';
import { applyPodParts, checkPodParts, podPartsChanges } from './pod-parts.js';

const listPath = (w: Workload, native: boolean) => [
  ...w.kind.podTemplatePath,
  'spec',
  native ? 'initContainers' : 'containers',
];

export function workloadEdit(wp: WorkloadPlan): Edit | undefined {
  const { workload: w, sidecar, slot } = wp;
  const current = w.current.sidecar;
  const stays =
    slot !== undefined && current !== undefined && current.native === slot.native && current.index === slot.index;
  const unchanged = sidecar !== undefined && current !== undefined && sameData(current.container, sidecar);
  // An earlier version of this function wrote strings YAML 1.1 reads as another type plain
  // (`value: On`), and a kpt package rendered in place keeps that output: quote them where they stand.
  const quote = unchanged && holdsYaml11Ambiguity(sidecar);
  const sidecarChanges = (sidecar !== undefined || current !== undefined) && !(stays && unchanged);
  const annotations = annotationChanges(w.current.podAnnotations, wp.podAnnotations);
  const parts = podPartsChanges(w, wp.parts);
  if (!sidecarChanges && !quote && Object.keys(annotations).length === 0 && parts.length === 0) return undefined;
  const templatePath = w.kind.podTemplatePath;
  return {
    about: w,
    at: w.at,
    edit(doc, object) {
      if (sidecar && slot && stays) {
        const list = listAt(doc, object, listPath(w, slot.native), w);
        if (unchanged) quotePlainOnlyIn12(list.items[slot.index] as Node);
        else list.items[slot.index] = doc.createNode(sidecar, { aliasDuplicateObjects: false });
      } else {
        const old = current ? takeOutSidecar(doc, object, w, current) : undefined;
        if (sidecar && slot) {
          const node = unchanged && old ? old : doc.createNode(sidecar, { aliasDuplicateObjects: false });
          if (unchanged && old) quotePlainOnlyIn12(node as Node);
          putSidecar(doc, object, w, slot, node);
        }
      }
      applyPodParts(doc, object, w, parts);
      editAnnotations(doc, object, [...templatePath, 'metadata'], annotations, w);
    },
    check(read) {
      const listed = (native: boolean) => {
        const list = read(listPath(w, native));
        return Array.isArray(list) ? (list as Obj[]) : [];
      };
      const name = sidecar?.name ?? current?.container.name;
      for (const native of [false, true]) {
        const list = listed(native);
        const found = list.filter((c) => c.name === name);
        const wanted = sidecar && slot?.native === native ? 1 : 0;
        if (found.length !== wanted) return fieldOf(listPath(w, native));
        if (wanted && list[slot!.index] !== found[0]) return fieldOf(listPath(w, native));
        if (wanted && !sameData(found[0], JSON.parse(JSON.stringify(sidecar)))) return fieldOf(listPath(w, native));
      }
      return (
        checkPodParts(read, parts) ??
        annotationsDiffer(
          read([...templatePath, 'metadata', 'annotations']),
          annotations,
          fieldOf([...templatePath, 'metadata']),
        )
      );
    },
  };
}

/** Takes the sidecar out of its list (an emptied initContainers goes too); returns its node as written. */
function takeOutSidecar(doc: Document, object: YAMLMap, w: Workload, current: SidecarPlace): unknown {
  const list = listAt(doc, object, listPath(w, current.native), w);
  const at = list.items.findIndex((c) => nameOf(c) === current.container.name);
  const [old] = at >= 0 ? list.items.splice(at, 1) : [];
  if (current.native && list.items.length === 0)
    mapAt(doc, object, [...w.kind.podTemplatePath, 'spec'], false, w)?.delete('initContainers');
  return old;
}

/** Puts the sidecar into its slot; a native one's initContainers is made when the pod has none. */
function putSidecar(doc: Document, object: YAMLMap, w: Workload, slot: SidecarSlot, node: unknown): void {
  const list = slot.native
    ? initContainersAt(doc, object, w.kind.podTemplatePath, w)
    : listAt(doc, object, listPath(w, false), w);
  list.items.splice(slot.index, 0, node);
}

/** The pod's initContainers, created when the pod has none. */
function initContainersAt(doc: Document, object: YAMLMap, templatePath: readonly string[], about: Subject): YAMLSeq {
  const spec = mapAt(doc, object, [...templatePath, 'spec'], false, about);
  const field = fieldOf([...templatePath, 'spec']);
  if (!spec) throw problem('is missing', about, field);
  if (isAbsent(spec.get('initContainers', true))) spec.set('initContainers', doc.createNode([]));
  return seqAt(doc, spec, 'initContainers', about, `${field}.initContainers`);
}
