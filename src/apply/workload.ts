// A workload's edit: the sidecar into the slot the plan chose, and the pod annotations. A sidecar
// that stays in its slot is replaced where it stands (or, when unchanged, only has its YAML 1.1
// ambiguous strings quoted); one that moves is taken out and put in, as it was written when only
// its place is wrong.
import { type Document, isSeq, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { holdsYaml11Ambiguity, quotePlainOnlyIn12 } from '../io/yaml11.js';
import { type Obj, sameData } from '../objects/shape.js';
import { listKey, type SidecarPlace, type Workload } from '../objects/workload.js';
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
  plainAt,
  seqAt,
} from './nodes.js';
import { applyPodParts, checkPodParts, podPartsChanges, writtenEmpty } from './pod-parts.js';

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
  const { redirect } = wp;
  const hadRedirect = w.current.redirect;
  const redirectSame = redirect !== undefined && hadRedirect !== undefined && sameData(hadRedirect.container, redirect);
  const redirectChanges =
    (redirect !== undefined || hadRedirect !== undefined) && !(redirectSame && hadRedirect.index === 0);
  if (!sidecarChanges && !quote && !redirectChanges && Object.keys(annotations).length === 0 && parts.length === 0)
    return undefined;
  const templatePath = w.kind.podTemplatePath;
  return {
    about: w,
    at: w.at,
    edit(doc, object) {
      // The redirect comes out first, so the sidecar's place counts without it, as the plan's does.
      const initPath = listPath(w, true);
      const init = plainAt(doc, object, initPath, w);
      const hadInit = Array.isArray(init) && init.length > 0;
      const oldRedirect = hadRedirect ? takeOut(doc, object, initPath, w, hadRedirect.container.name) : undefined;
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
      if (redirect) {
        const node =
          redirectSame && oldRedirect ? oldRedirect : doc.createNode(redirect, { aliasDuplicateObjects: false });
        initContainersAt(doc, object, templatePath, w).items.unshift(node);
      }
      emptiedInitContainers(doc, object, w, hadInit);
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
        // A native sidecar stands after the redirect, which is first.
        const index = slot ? slot.index + (native && redirect ? 1 : 0) : -1;
        if (found.length !== wanted) return fieldOf(listPath(w, native));
        if (wanted && list[index] !== found[0]) return fieldOf(listPath(w, native));
        if (wanted && !sameData(found[0], JSON.parse(JSON.stringify(sidecar)))) return fieldOf(listPath(w, native));
      }
      const redirectName = redirect?.name ?? hadRedirect?.container.name;
      if (redirectName !== undefined) {
        const init = listed(true);
        const found = init.filter((c) => c.name === redirectName);
        if (found.length !== (redirect ? 1 : 0)) return fieldOf(listPath(w, true));
        if (redirect && (init[0] !== found[0] || !sameData(found[0], JSON.parse(JSON.stringify(redirect)))))
          return fieldOf(listPath(w, true));
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

/** Takes the sidecar out of its list; returns its node as written. */
function takeOutSidecar(doc: Document, object: YAMLMap, w: Workload, current: SidecarPlace): unknown {
  return takeOut(doc, object, listPath(w, current.native), w, current.container.name);
}

/** Takes the named container out of the list at path; returns its node as written. */
function takeOut(doc: Document, object: YAMLMap, path: readonly string[], w: Workload, name: string): unknown {
  const list = listAt(doc, object, path, w);
  const at = list.items.findIndex((c) => nameOf(c) === name);
  const [old] = at >= 0 ? list.items.splice(at, 1) : [];
  return old;
}

/**
 * An initContainers this edit emptied (it had entries) goes back to how the user wrote it before the injection
 * filled it (`initContainers:` or `[]`, from the status record), or goes.
 */
function emptiedInitContainers(doc: Document, object: YAMLMap, w: Workload, had: boolean): void {
  const spec = mapAt(doc, object, [...w.kind.podTemplatePath, 'spec'], false, w);
  const node = spec?.get('initContainers', true);
  if (!spec || !had || !isSeq(node) || node.items.length > 0) return;
  const form = w.earlier?.emptyLists?.[listKey('initContainers')];
  if (form === undefined) spec.delete('initContainers');
  else spec.set('initContainers', form === null ? writtenEmpty() : doc.createNode([]));
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
  const list = seqAt(doc, spec, 'initContainers', about, `${field}.initContainers`);
  // Written `[]`: containers go in as a block list, as a made one is.
  if (list.items.length === 0) list.flow = false;
  return list;
}
