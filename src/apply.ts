// Apply a plan to the YAML nodes in place. Only nodes whose value changes are replaced, so a
// second run with the same config leaves every byte where it was.
import { isDeepStrictEqual } from 'node:util';
import { isMap, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import { REWIRED } from './annotations.js';
import type { ItemNode } from './io.js';
import type { Plan, ServicePlan, WorkloadPlan } from './plan.js';
import { FunctionError } from './results.js';

export function applyPlan(plan: Plan, items: readonly ItemNode[]): void {
  for (const wp of plan.workloads) applyWorkload(wp, items[wp.workload.index]!);
  for (const sp of plan.services) applyService(sp, items[sp.service.index]!);
}

/** The map at `path`, created if `create` and missing; fails on anything that is not a map. */
function mapAt(item: ItemNode, path: readonly string[], create: boolean, what: () => string): YAMLMap | undefined {
  let at: YAMLMap = item.node;
  for (let i = 0; i < path.length; i++) {
    const next = at.get(path[i], true);
    if (next === undefined || next === null || (typeof next === 'object' && 'value' in next && next.value === null)) {
      if (!create) return undefined;
      const created = item.doc.createNode({}, { aliasDuplicateObjects: false }) as YAMLMap;
      at.set(path[i], created);
      at = created;
      continue;
    }
    if (!isMap(next)) throw new FunctionError(`${path.slice(0, i + 1).join('.')} is not a mapping (a YAML alias or another type)`, undefined, what());
    at = next;
  }
  return at;
}

/** Sets or removes annotations; drops an annotations map that this leaves empty. */
function applyAnnotations(item: ItemNode, metadataPath: readonly string[], edits: Record<string, string | undefined>): boolean {
  let changed = false;
  const path = [...metadataPath, 'annotations'];
  const where = () => path.join('.');
  for (const [key, value] of Object.entries(edits)) {
    const annotations = mapAt(item, path, value !== undefined, where);
    if (!annotations) continue;
    const current = annotations.get(key);
    if (value === undefined) {
      if (annotations.has(key)) {
        annotations.delete(key);
        changed = true;
      }
    } else if (current !== value) {
      annotations.set(key, value);
      changed = true;
    }
  }
  const annotations = mapAt(item, path, false, where);
  if (changed && annotations && annotations.items.length === 0) mapAt(item, metadataPath, false, where)?.delete('annotations');
  return changed;
}

function applyWorkload(wp: WorkloadPlan, item: ItemNode): void {
  const { workload: w, sidecar } = wp;
  const templatePath = w.kind.podTemplatePath;
  let changed = false;
  if (sidecar || w.injected) {
    const spec = mapAt(item, [...templatePath, 'spec'], false, () => 'spec')!;
    const containers = spec.get('containers', true);
    if (!isSeq(containers)) throw new FunctionError('the pod template has no containers list', w.ref, [...templatePath, 'spec', 'containers'].join('.'));
    const seq = containers as YAMLSeq;
    const oldIndex = w.injected ? seq.items.findIndex((c) => isMap(c) && c.get('name') === w.injected!.container) : -1;
    const old = oldIndex >= 0 ? seq.items[oldIndex] : undefined;
    const upToDate = sidecar && old && oldIndex === seq.items.length - 1 && isDeepStrictEqual((old as YAMLMap).toJS(item.doc), sidecar);
    if (!upToDate) {
      if (oldIndex >= 0) seq.items.splice(oldIndex, 1);
      if (sidecar) seq.items.push(item.doc.createNode(sidecar, { aliasDuplicateObjects: false }));
      changed = true;
    }
  }
  changed = applyAnnotations(item, [...templatePath, 'metadata'], wp.podAnnotations) || changed;
  if (changed) item.touched = true;
}

function applyService(sp: ServicePlan, item: ItemNode): void {
  const spec = mapAt(item, ['spec'], false, () => 'spec');
  const ports = spec?.get('ports', true);
  let changed = false;
  if (isSeq(ports)) {
    (ports as YAMLSeq).items.forEach((portNode, i) => {
      if (!isMap(portNode)) return;
      const desired = sp.targetPorts[i];
      const current = portNode.get('targetPort');
      if (desired === undefined) {
        if (portNode.has('targetPort')) {
          portNode.delete('targetPort');
          changed = true;
        }
      } else if (current !== desired) {
        portNode.set('targetPort', desired);
        changed = true;
      }
    });
  }
  const record = sp.rewired.length ? JSON.stringify(sp.rewired) : undefined;
  changed = applyAnnotations(item, ['metadata'], { [REWIRED]: record }) || changed;
  if (changed) item.touched = true;
}
