// What the selection came to, said where a person will look: hooks of the release left alone, a
// config that selects no workload at all (a misspelt label renders "successfully" and leaves every
// app exposed), and a spec.ports entry that fronts nothing anywhere.
import type { InjectionConfig } from '../config/schema.js';
import { selectorString } from '../objects/selector.js';
import type { WorkloadObject } from '../objects/workload.js';
import { count, describeRef, type Result, result } from '../results.js';
import { isSelected, labelsSelected, type SidecarDecision } from './decide.js';

/** The one info about hooks: each is named, with the annotation that makes it one. */
export function hooksLeftAlone(workloads: readonly WorkloadObject[]): Result[] {
  const hooks = workloads.filter((w) => w.hook);
  if (hooks.length === 0) return [];
  const named = hooks.map((w) => `${describeRef(w.ref)} (${w.hook})`).join(', ');
  const message = `left alone ${hooks.length} hook${hooks.length > 1 ? 's' : ''}, not workloads of the release: ${named}`;
  return [result('info', message, undefined)];
}

/** Whether any workload of the release is selected: a hook never is (decide.ts). */
export const selectsAny = (config: InjectionConfig, workloads: readonly WorkloadObject[]) =>
  workloads.some((w) => !w.hook && isSelected(config, w));

/** A config that selects nothing is a warning naming what it asked for; the plan and the audit both say it. */
export function selectsNothing(config: InjectionConfig, workloads: readonly WorkloadObject[]): Result[] {
  if (selectsAny(config, workloads)) return [];
  const none = 'so no sidecar is added and no Service is rewired';
  if (workloads.length === 0) return [result('warning', `selects no workload: the input holds none, ${none}`)];
  const selector = selectorString(config.selector);
  const kinds = config.kinds.join(config.kinds.length > 2 ? ', ' : ' or ').replace(/, ([^,]*)$/, ' or $1');
  const labels = selector ? ` whose labels match selector "${selector}"` : '';
  const where = config.namespaces ? ` in namespace ${config.namespaces.join(', ')} (spec.namespaces)` : '';
  const message =
    `selects no workload: none of the ${count(workloads.length, 'workload')} in the input is a ${kinds} (spec.kinds)${labels}${where}, ` +
    `${none}. Is a label or a kind misspelt?`;
  return [result('warning', message, undefined, 'spec.selector')];
}

/** A spec.ports entry that no workload with the sidecar takes: its listen port fronts nothing. */
export function unusedPortEntries(config: InjectionConfig, decisions: readonly SidecarDecision[]): Result[] {
  const taken = decisions.flatMap((d) => (d.gets ? d.mappings.map((m) => m.entry) : []));
  if (taken.length === 0) return [];
  return config.ports.flatMap((entry, i) => {
    if (taken.includes(i)) return [];
    const appPort = entry.appPort === undefined ? 'appPort omitted' : `appPort ${entry.appPort}`;
    const message = `spec.ports[${i}] (${appPort}, listenPort ${entry.listenPort}/${entry.protocol}) applies to no selected workload: none of them has that app port`;
    return [result('warning', message, undefined, `spec.ports[${i}]`)];
  });
}

/**
 * A workload the selector matches whose kind spec.kinds leaves out: no sidecar, and until now no
 * word. The audit counts it as a path (audit.ts).
 */
export function kindLeftOut(config: InjectionConfig, w: WorkloadObject): boolean {
  return !w.hook && w.kind.selectable && !config.kinds.includes(w.kind.kind) && labelsSelected(config, w);
}

export function kindsLeftOut(config: InjectionConfig, workloads: readonly WorkloadObject[]): Result[] {
  return workloads
    .filter((w) => kindLeftOut(config, w))
    .map((w) => {
      const message = `its labels match the selector, but spec.kinds (${config.kinds.join(', ')}) leaves out ${w.kind.kind}: it gets no sidecar and its traffic reaches the app directly. Add ${w.kind.kind} to spec.kinds, or change its labels`;
      return result('warning', message, w);
    });
}

/** A kind the table does not know that carries a pod template: its pods count, and it is never injected. */
export function foreignWorkloads(workloads: readonly WorkloadObject[]): Result[] {
  return workloads
    .filter((w) => w.kind.foreign && !w.hook)
    .map((w) => {
      const message =
        `carries a pod template, but inject-sidecar does not inject a ${w.kind.kind}: its pods count for pairing, ` +
        'NetworkPolicies and the audit, and get no sidecar (a Service over them and an injected workload is not rewired)';
      return result('warning', message, w);
    });
}
