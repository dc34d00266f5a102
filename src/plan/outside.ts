// What reaches the pods outside the Services and NetworkPolicies the plan rewires, said where it
// matters (objects/outside.ts reads them):
// - a Flagger Canary's Services, made at run time on an app port, bypass the sidecar;
// - a PodMonitor or ServiceMonitor scraping a fronted app port by pod IP is cut off once
//   `replace` or `generate` stops admitting that port;
// - a policy of another engine (Cilium, Calico, AdminNetworkPolicy) over an injected pod may admit
//   the app port: the function does not evaluate it, so it says so, and the audit cannot call the
//   pod clean.
// Each function takes the workloads whose sidecar fronts a port: planned (the render) or as
// rendered (the audit).
import type { InjectionConfig } from '../config/schema.js';
import type { Canary, ForeignPolicy, Monitor } from '../objects/outside.js';
import { type IntOrString, resolvePort, type ServicePort, serviceTarget } from '../objects/ports.js';
import { matchesSelector } from '../objects/selector.js';
import type { ServiceObject } from '../objects/service.js';
import { groupBy, objectKey } from '../objects/shape.js';
import { declaredAppPorts, podField } from '../objects/workload.js';
import { count, describeRef, type Result, result } from '../results.js';
import type { FrontedPort, PlannedWorkload } from './workload.js';

/** The fronted app port a port (number or container port name) is, in this workload. */
function frontedAt(p: PlannedWorkload, port: IntOrString): FrontedPort | undefined {
  const n = resolvePort(port, declaredAppPorts(p.workload), 'TCP');
  return p.fronts.find((f) => f.appPort === n && f.protocol === 'TCP');
}

export function canaryWarnings(canaries: readonly Canary[], fronting: readonly PlannedWorkload[]): Result[] {
  const byTarget = new Map(
    fronting.map((p) => [objectKey(p.workload.ref.namespace, p.workload.kind.kind, p.workload.ref.name), p]),
  );
  const out: Result[] = [];
  for (const canary of canaries) {
    const target = byTarget.get(objectKey(canary.ref.namespace, canary.target.kind, canary.target.name));
    if (!target || canary.targetPort === undefined) continue;
    const front = frontedAt(target, canary.targetPort);
    if (!front) continue;
    const message =
      `Flagger makes the Services of ${describeRef(target.workload.ref)} at run time with targetPort ${canary.targetPort}, ` +
      `app port ${front.appPort}, which the sidecar fronts: their traffic bypasses it. Set the targetPort to ${front.listenPort}, the sidecar's listen port`;
    out.push(result('warning', message, canary, canary.field));
  }
  return out;
}

interface ServiceOnAppPort {
  service: ServiceObject;
  bypass: readonly ServicePort[];
  /** The workloads whose pods it selects. */
  behind: readonly PlannedWorkload[];
}

/** Scrapes cut off when the policies stop admitting a fronted app port (replace, generate). */
export function monitorWarnings(
  config: InjectionConfig,
  monitors: readonly Monitor[],
  fronting: readonly PlannedWorkload[],
  services: readonly ServiceOnAppPort[],
): Result[] {
  if (config.networkPolicies !== 'replace' && config.networkPolicies !== 'generate') return [];
  const out: Result[] = [];
  const inScope = (m: Monitor, namespace: string | undefined) =>
    m.namespaces === 'any' || (m.namespaces ?? [m.ref.namespace ?? '']).includes(namespace ?? '');
  const cutOff = (m: Monitor, field: string, appPort: number, listenPort: number, what: string) => {
    const message =
      `scrapes app port ${appPort} of ${what} by pod IP, and networkPolicies: ${config.networkPolicies} stops admitting it: ` +
      `the scrape is cut off. Scrape a port the sidecar does not front, scrape through the sidecar (port ${listenPort}), ` +
      'or admit the scraper in a policy of your own';
    out.push(result('warning', message, m, field));
  };
  // The Prometheus annotation convention: a scraper reads the port from the pod and scrapes its IP.
  for (const p of fronting) {
    const annotated = p.workload.podAnnotations['prometheus.io/port'];
    const front =
      annotated !== undefined ? frontedAt(p, /^\d+$/.test(annotated) ? Number(annotated) : annotated) : undefined;
    if (!front) continue;
    const field = podField(p.workload, 'metadata.annotations.prometheus.io/port');
    const message =
      `its prometheus.io/port annotation names app port ${front.appPort}: scrapers reach it by pod IP, and networkPolicies: ${config.networkPolicies} ` +
      `stops admitting it, so the scrape is cut off. Serve metrics on a port the sidecar does not front, scrape through the sidecar (port ${front.listenPort}), ` +
      'or admit the scraper in a policy of your own';
    out.push(result('warning', message, p.workload, field));
  }
  for (const monitor of monitors) {
    for (const { port, field } of monitor.endpoints) {
      if (monitor.ref.kind === 'PodMonitor') {
        const hit = fronting
          .filter((p) => inScope(monitor, p.workload.ref.namespace))
          .filter((p) => matchesSelector(monitor.selector, p.workload.podLabels))
          .map((p) => ({ p, front: frontedAt(p, port) }))
          .find((x) => x.front);
        if (hit) cutOff(monitor, field, hit.front!.appPort, hit.front!.listenPort, describeRef(hit.p.workload.ref));
        continue;
      }
      // A ServiceMonitor names a Service port; only one left on a fronted app port scrapes the app directly.
      for (const { service, bypass, behind } of services) {
        if (!inScope(monitor, service.ref.namespace) || !matchesSelector(monitor.selector, service.labels ?? {}))
          continue;
        const sp = bypass.find((b) => b.name === port || b.port === port);
        if (!sp) continue;
        const front = behind.map((p) => frontedAt(p, serviceTarget(sp))).find((f): f is FrontedPort => f !== undefined);
        if (front)
          cutOff(monitor, field, front.appPort, front.listenPort, `the pods behind ${describeRef(service.ref)}`);
      }
    }
  }
  return out;
}

/** A foreign policy that may select an injected pod: its own namespace, or any when cluster-wide. */
export function foreignPolicyFindings(
  policies: readonly ForeignPolicy[],
  fronting: readonly PlannedWorkload[],
): { policy: ForeignPolicy; over: PlannedWorkload[] }[] {
  const byNamespace = groupBy(fronting, (p) => p.workload.ref.namespace ?? '');
  return policies
    .map((policy) => ({
      policy,
      over: policy.clusterWide ? [...fronting] : (byNamespace.get(policy.ref.namespace ?? '') ?? []),
    }))
    .filter((f) => f.over.length > 0);
}

export function foreignPolicyWarnings(policies: readonly ForeignPolicy[], fronting: readonly PlannedWorkload[]) {
  return foreignPolicyFindings(policies, fronting).map(({ policy, over }) => {
    const names = over.map((p) => describeRef(p.workload.ref)).join(', ');
    const ports = [...new Set(over.flatMap((p) => p.fronts.map((f) => `${f.appPort} -> ${f.listenPort}`)))].join(', ');
    const where = policy.clusterWide ? 'cluster-wide' : 'in their namespace';
    const message =
      `may select the pods of ${count(over.length, 'injected workload')} ${where} (${names}), and inject-sidecar does not evaluate ` +
      `${policy.ref.kind} rules: check that it admits the listen port and not the app port (${ports})`;
    return result('warning', message, policy);
  });
}
