// Pairing: which Services select which workloads' pods. A Service pairs with a workload when both
// are in the same namespace (unset is a namespace of its own) and the Service's non-empty selector
// is matched by the pod template's labels.
//
// Services are indexed by namespace and by one of their selector pairs, so each workload looks up
// only the Services that could match it instead of scanning them all.
import { matchesServiceSelector } from './selector.js';
import type { Service } from './service.js';
import type { Workload } from './workload.js';

export interface Pairing {
  servicesOf: Map<Workload, Service[]>;
  workloadsOf: Map<Service, Workload[]>;
}

const nsKey = (ns: string | undefined) => (ns === undefined ? '\u0000unset' : ns);

export function pairServices(workloads: readonly Workload[], services: readonly Service[]): Pairing {
  // namespace -> "key=value" of the Service selector's first pair -> Services
  const index = new Map<string, Map<string, Service[]>>();
  for (const s of services) {
    if (!s.selector) continue;
    const [first] = Object.entries(s.selector).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const pair = `${first![0]}=${first![1]}`;
    const byPair = index.get(nsKey(s.ref.namespace)) ?? new Map<string, Service[]>();
    index.set(nsKey(s.ref.namespace), byPair);
    const list = byPair.get(pair);
    if (list) list.push(s);
    else byPair.set(pair, [s]);
  }
  const servicesOf = new Map<Workload, Service[]>();
  const workloadsOf = new Map<Service, Workload[]>(services.map((s) => [s, []]));
  for (const w of workloads) {
    const byPair = index.get(nsKey(w.ref.namespace));
    const paired: Service[] = [];
    if (byPair) {
      for (const [k, v] of Object.entries(w.podLabels)) {
        for (const s of byPair.get(`${k}=${v}`) ?? []) {
          if (matchesServiceSelector(s.selector!, w.podLabels)) paired.push(s);
        }
      }
    }
    // Keep the Services in item order, so results read in the order of the input.
    paired.sort((a, b) => a.index - b.index);
    servicesOf.set(w, paired);
    for (const s of paired) workloadsOf.get(s)!.push(w);
  }
  return { servicesOf, workloadsOf };
}
