// Apply a plan to the YAML nodes in place. What changes is decided on plain data first; an item
// is parsed (again) and edited only when something in it differs, and only the nodes whose value
// changes are replaced, so a second run with the same config leaves every byte where it was.
import { isDeepStrictEqual } from 'node:util';
import { isMap, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import { REWIRED } from './annotations.js';
import { commitItem, loadItem, type Item } from './io.js';
import type { Plan, ServicePlan, WorkloadPlan } from './plan.js';
import { FunctionError } from './results.js';
import type { Labels } from './selector.js';

export function applyPlan(plan: Plan, items: readonly Item[]): void {
  for (const wp of plan.workloads) applyWorkload(wp, items[wp.workload.index]!);
  for (const sp of plan.services) applyService(sp, items[sp.service.index]!);
}

/** Only the annotation edits that change something. */
function annotationChanges(current: Labels, edits: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(edits)) {
    const has = Object.prototype.hasOwnProperty.call(current, key);
    if (value === undefined ? has : current[key] !== value) out[key] = value;
  }
  return out;
}

/** The map at `path`, created if `create` and missing; fails on anything that is not a map. */
function mapAt(item: Item, path: readonly string[], create: boolean): YAMLMap | undefined {
  let at: YAMLMap = loadItem(item);
  for (let i = 0; i < path.length; i++) {
    const next = at.get(path[i], true);
    if (next === undefined || next === null || (typeof next === 'object' && 'value' in next && next.value === null)) {
      if (!create) return undefined;
      const created = item.doc!.createNode({}, { aliasDuplicateObjects: false }) as YAMLMap;
      at.set(path[i], created);
      at = created;
      continue;
    }
    if (!isMap(next)) throw new FunctionError(`${path.slice(0, i + 1).join('.')} is not a mapping (a YAML alias or another type)`, undefined, path.join('.'));
    at = next;
  }
  return at;
}

/** Sets or removes annotations; drops an annotations map that this leaves empty. */
function editAnnotations(item: Item, metadataPath: readonly string[], edits: Record<string, string | undefined>): void {
  const path = [...metadataPath, 'annotations'];
  for (const [key, value] of Object.entries(edits)) {
    const annotations = mapAt(item, path, value !== undefined);
    if (!annotations) continue;
    if (value === undefined) annotations.delete(key);
    else annotations.set(key, value);
  }
  const annotations = mapAt(item, path, false);
  if (annotations && annotations.items.length === 0) mapAt(item, metadataPath, false)?.delete('annotations');
}

function applyWorkload(wp: WorkloadPlan, item: Item): void {
  const { workload: w, sidecar } = wp;
  const current = w.current.sidecar;
  const sidecarChanges = !(sidecar && current && current.last && isDeepStrictEqual(current.container, sidecar)) && (sidecar !== undefined || current !== undefined);
  const annotations = annotationChanges(w.current.podAnnotations, wp.podAnnotations);
  if (!sidecarChanges && Object.keys(annotations).length === 0) return;
  const templatePath = w.kind.podTemplatePath;
  if (sidecarChanges) {
    const containers = mapAt(item, [...templatePath, 'spec'], false)?.get('containers', true);
    if (!isSeq(containers)) throw new FunctionError('the pod template has no containers list', w.ref, [...templatePath, 'spec', 'containers'].join('.'));
    const seq = containers as YAMLSeq;
    const oldIndex = current ? seq.items.findIndex((c) => isMap(c) && c.get('name') === current.container.name) : -1;
    if (oldIndex >= 0) seq.items.splice(oldIndex, 1);
    if (sidecar) seq.items.push(item.doc!.createNode(sidecar, { aliasDuplicateObjects: false }));
  }
  editAnnotations(item, [...templatePath, 'metadata'], annotations);
  commitItem(item);
}

function applyService(sp: ServicePlan, item: Item): void {
  const { current } = sp.service;
  const record = sp.rewired.length ? JSON.stringify(sp.rewired) : undefined;
  const portChanges = sp.targetPorts.some((t, i) => t !== current.targetPorts[i]);
  if (!portChanges && record === current.rewired) return;
  if (portChanges) {
    const ports = mapAt(item, ['spec'], false)?.get('ports', true);
    if (isSeq(ports)) {
      (ports as YAMLSeq).items.forEach((portNode, i) => {
        if (!isMap(portNode) || sp.targetPorts[i] === current.targetPorts[i]) return;
        const desired = sp.targetPorts[i];
        if (desired === undefined) portNode.delete('targetPort');
        else portNode.set('targetPort', desired);
      });
    }
  }
  if (record !== current.rewired) editAnnotations(item, ['metadata'], { [REWIRED]: record });
  commitItem(item);
}
