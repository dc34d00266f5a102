// Pairing: which Services select which workloads' pods. A Service pairs with a workload when both
// are in the same namespace (unset is a namespace of its own) and the Service's non-empty selector
// is matched by the pod template's labels.
//
// Services are indexed by namespace and by the rarest pair of their selector (a pair like
// `app.kubernetes.io/part-of=shop` that every Service shares would make each workload check them
// all), so each workload looks up only the Services that could match it.
import { matchesServiceSelector } from '../objects/selector.js';
import type { ServiceObject } from '../objects/service.js';
import { addTo } from '../objects/shape.js';
import type { WorkloadObject } from '../objects/workload.js';

export interface Pairing<W, S = ServiceObject> {
  servicesOf: Map<W, S[]>;
  workloadsOf: Map<S, W[]>;
}

const nsKey = (ns: string | undefined) => (ns === undefined ? '\u0000unset' : ns);
const pairKey = (ns: string | undefined, key: string, value: string) => `${nsKey(ns)}\u0000${key}=${value}`;

export function pairServices<W extends WorkloadObject, S extends ServiceObject>(
  workloads: readonly W[],
  services: readonly S[],
): Pairing<W, S> {
  const frequency = new Map<string, number>();
  for (const s of services) {
    for (const [k, v] of Object.entries(s.selector ?? {})) {
      const key = pairKey(s.ref.namespace, k, v);
      frequency.set(key, (frequency.get(key) ?? 0) + 1);
    }
  }
  const index = new Map<string, S[]>();
  for (const s of services) {
    if (!s.selector) continue;
    let rarest: string | undefined;
    for (const [k, v] of Object.entries(s.selector)) {
      const key = pairKey(s.ref.namespace, k, v);
      if (rarest === undefined || frequency.get(key)! < frequency.get(rarest)!) rarest = key;
    }
    addTo(index, rarest!, s);
  }
  const servicesOf = new Map<W, S[]>();
  const workloadsOf = new Map<S, W[]>(services.map((s) => [s, []]));
  for (const w of workloads) {
    const paired: S[] = [];
    for (const [k, v] of Object.entries(w.podLabels)) {
      for (const s of index.get(pairKey(w.ref.namespace, k, v)) ?? []) {
        if (matchesServiceSelector(s.selector!, w.podLabels)) paired.push(s);
      }
    }
    // Keep the Services in item order, so results read in the order of the input.
    paired.sort((a, b) => a.order - b.order);
    servicesOf.set(w, paired);
    for (const s of paired) workloadsOf.get(s)!.push(w);
  }
  return { servicesOf, workloadsOf };
}
