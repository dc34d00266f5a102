// An HPA that scales an injected workload by resource utilization needs a request for that
// resource on every container, the sidecar too: without one Kubernetes reports "missing request
// for cpu" and the HPA stops scaling.
import type { Container } from 'kubernetes-types/core/v1.js';
import type { Autoscaler } from '../objects/autoscaler.js';
import { isObj, objectKey } from '../objects/shape.js';
import type { Workload } from '../objects/workload.js';
import { type Result, result } from '../results.js';

/**
 * Each injected workload with the sidecar it gets, and the annotation its resources came from when
 * a workload override set them.
 */
export function autoscalerWarnings(
  autoscalers: readonly Autoscaler[],
  injected: readonly { workload: Workload; sidecar: Container; resourcesFrom?: string }[],
): Result[] {
  const results: Result[] = [];
  const byTarget = new Map(
    injected.map((i) => [objectKey(i.workload.ref.namespace, i.workload.ref.kind, i.workload.ref.name), i]),
  );
  for (const hpa of autoscalers) {
    const scaled = byTarget.get(objectKey(hpa.ref.namespace, hpa.target.kind, hpa.target.name));
    if (!scaled) continue;
    const { workload: w, sidecar, resourcesFrom } = scaled;
    const requests = isObj(sidecar.resources?.requests) ? sidecar.resources.requests : {};
    for (const { resource, field } of hpa.utilization) {
      if (requests[resource] !== undefined) continue;
      const message =
        `scales ${w.ref.kind} ${w.ref.name} on ${resource} utilization, but the sidecar "${sidecar.name}" has no ` +
        `${resource} request: Kubernetes reports "missing request for ${resource}" and the HPA stops scaling. ` +
        (resourcesFrom
          ? `The workload's annotation ${resourcesFrom} sets the sidecar's resources: give it requests.${resource}`
          : `Set spec.container.resources.requests.${resource}`);
      results.push(result('warning', message, hpa, field));
    }
  }
  return results;
}
