// Small builders for plain-data workloads and Services, for the unit tables.
import type { Container } from 'kubernetes-types/core/v1.js';
import type { ServicePort } from '../src/objects/ports.js';
import type { ServiceObject } from '../src/objects/service.js';
import { type WorkloadObject, workloadKindOf } from '../src/objects/workload.js';

let next = 0;

export function workload(
  name: string,
  opts: {
    namespace?: string;
    labels?: Record<string, string>;
    podLabels?: Record<string, string>;
    annotations?: Record<string, string>;
    containers?: Container[];
    kind?: string;
  } = {},
): WorkloadObject {
  const kind = opts.kind ?? 'Deployment';
  const order = next++;
  return {
    order,
    at: { item: order, path: [] },
    ref: { apiVersion: 'apps/v1', kind, name, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
    kind: workloadKindOf('apps/v1', kind)!,
    labels: opts.labels ?? { waf: 'enabled' },
    annotations: opts.annotations ?? {},
    podLabels: opts.podLabels ?? { app: name },
    hostNetwork: false,
    completes: false,
    podAnnotations: {},
    containers: opts.containers ?? [{ name: 'app', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }],
    initContainers: [],
    volumes: [],
    imagePullSecrets: [],
    emptyLists: {},
    statuses: {},
  };
}

export function service(
  name: string,
  selector: Record<string, string> | undefined,
  ports: ServicePort[],
  opts: { namespace?: string; headless?: boolean } = {},
): ServiceObject {
  const order = next++;
  return {
    order,
    at: { item: order, path: [] },
    ref: { apiVersion: 'v1', kind: 'Service', name, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
    ...(selector ? { selector } : {}),
    headless: opts.headless ?? false,
    ports,
    records: {},
    current: { targetPorts: ports.map((p) => p.targetPort) },
  };
}
