// An HPA that scales an injected workload by resource utilization needs a request for that
// resource on every container, the sidecar too: without one Kubernetes reports "missing request
// for cpu" and the HPA stops scaling.
import type { InjectionConfig } from '../config/schema.js';
import type { Autoscaler } from '../objects/autoscaler.js';
import { isObj, objectKey } from '../objects/shape.js';
import type { Workload } from '../objects/workload.js';
import { type Result, result } from '../results.js';

export function autoscalerWarnings(
  config: InjectionConfig,
  autoscalers: readonly Autoscaler[],
  injected: readonly Workload[],
): Result[] {
  const requests = isObj(config.container.resources?.requests) ? config.container.resources.requests : {};
  const results: Result[] = [];
  const byTarget = new Map(injected.map((w) => [objectKey(w.ref.namespace, w.ref.kind, w.ref.name), w]));
  for (const hpa of autoscalers) {
    const scaled = byTarget.get(objectKey(hpa.ref.namespace, hpa.target.kind, hpa.target.name));
    if (!scaled) continue;
    for (const { resource, field } of hpa.utilization) {
      if (requests[resource] !== undefined) continue;
      const message =
        `scales ${scaled.ref.kind} ${scaled.ref.name} on ${resource} utilization, but the sidecar "${config.container.name}" has no ` +
        `${resource} request: Kubernetes reports "missing request for ${resource}" and the HPA stops scaling. ` +
        `Set spec.container.resources.requests.${resource}`;
      results.push(result('warning', message, hpa, field));
    }
  }
  return results;
}
