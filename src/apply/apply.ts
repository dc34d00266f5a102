// Apply a plan to the YAML in place. What changes is decided on plain data first; an item is
// edited only when something in it differs, and only the nodes whose value changes are replaced,
// so a second run with the same config leaves every byte where it was.
//
// The apply step never skips: a node on the way that is a YAML alias is replaced by a copy of what
// it stands for (the edit lands on this object only, never on the anchor it shares), a node of the
// wrong type is an error naming the object and the field, and every edited object is read back and
// checked against the plan before anything is printed.
//
// One file per edit (workload.ts, service.ts, policy.ts), as kustomize's filters are; the node
// toolkit they share is nodes.ts.
import type { Item } from '../io/item.js';
import { dropItem, editItem } from '../io/item.js';
import { settleYaml11 } from '../io/yaml11.js';
import { addTo } from '../objects/shape.js';
import type { Plan } from '../plan/plan.js';
import { problem, type Result, result } from '../results.js';
import { type Edit, objectAt, plainAt } from './nodes.js';
import { policyEdit } from './policy.js';
import { serviceEdit } from './service.js';
import { workloadEdit } from './workload.js';

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
