// Argo Rollouts. A Rollout carries its pod template in spec.template, like a Deployment, or takes it
// from another object through spec.workloadRef (a Deployment, ReplicaSet or PodTemplate). Then the
// referenced template is the one injected, even when that object itself runs no pods (replicas: 0):
// the Rollout runs its pods. Its blue-green and canary Services select those pods by their labels,
// so they pair with that template like any Service.
import { objectKey } from '../objects/shape.js';
import type { Workload } from '../objects/workload.js';
import { describeRef, type Result, result } from '../results.js';

/** The kinds a workloadRef may name (Argo Rollouts' documentation). */
const REFERABLE = ['Deployment', 'ReplicaSet', 'PodTemplate'];

export interface WorkloadRefs {
  /** A template holder and the Rollouts that run their pods from it. */
  rolloutsOf: Map<Workload, Workload[]>;
  /** A Rollout with a workloadRef, and the object it names when the input holds it. */
  targetOf: Map<Workload, Workload | undefined>;
  /**
   * Whether the workload's own template runs the release's pods: not a Rollout without one, not an
   * unreferenced PodTemplate, not a hook (a test Pod runs beside the release, never behind its Services).
   */
  runsPods: (w: Workload) => boolean;
}

export function resolveWorkloadRefs(workloads: readonly Workload[]): WorkloadRefs {
  const byKey = new Map(workloads.map((w) => [objectKey(w.ref.namespace, w.kind.kind, w.ref.name), w]));
  const rolloutsOf = new Map<Workload, Workload[]>();
  const targetOf = new Map<Workload, Workload | undefined>();
  for (const w of workloads) {
    if (!w.workloadRef) continue;
    const { kind, name } = w.workloadRef;
    const target = REFERABLE.includes(kind) ? byKey.get(objectKey(w.ref.namespace, kind, name)) : undefined;
    targetOf.set(w, target);
    if (target) rolloutsOf.set(target, [...(rolloutsOf.get(target) ?? []), w]);
  }
  const runsPods = (w: Workload) =>
    !w.workloadRef && !w.hook && (w.kind.selectable || w.kind.foreign === true || rolloutsOf.has(w));
  return { rolloutsOf, targetOf, runsPods };
}

/** What a selected Rollout with a workloadRef is told: where its sidecar went, or why it has none. */
export function workloadRefResults(w: Workload, refs: WorkloadRefs): Result[] {
  const { kind, name } = w.workloadRef!;
  const target = refs.targetOf.get(w);
  if (target)
    return [
      result('info', `its pods come from ${describeRef(target.ref)} (spec.workloadRef): the sidecar goes there`, w),
    ];
  const why = REFERABLE.includes(kind)
    ? `names ${kind} "${name}", which is not in the input`
    : `names a ${kind}, and a Rollout takes its pods from a ${REFERABLE.join(', ')} only`;
  const message = `spec.workloadRef ${why}: its pods are left without the sidecar. Render the Rollout together with the object it names`;
  return [result('warning', message, w, 'spec.workloadRef')];
}
