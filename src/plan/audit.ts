// The audit (`inject-sidecar --audit`, or `spec.mode: audit` as a kpt validator): on the objects as
// they are, every path by which traffic can reach a fronted app port of a selected workload without
// passing the sidecar. It changes nothing; each path is one error result with its object and field.
import type { InjectionConfig } from '../config/schema.js';
import type { Inventory } from '../objects/inventory.js';
import { labelIndex } from '../objects/label-index.js';
import type { NetworkPolicyObject } from '../objects/network-policy.js';
import {
  declaredPorts,
  type IntOrString,
  protocolOf,
  resolvePort,
  type ServicePort,
  serviceTarget,
} from '../objects/ports.js';
import type { ServiceObject } from '../objects/service.js';
import { addTo } from '../objects/shape.js';
import { declaredAppPorts, podField, type Workload } from '../objects/workload.js';
import { describeRef, type Result, result, type Subject } from '../results.js';
import { isSelected } from './decide.js';
import { meshPolicyWarnings } from './mesh-policies.js';
import { DAPR_APP_PORT } from './mesh-ports.js';
import { canaryWarnings, foreignPolicyFindings } from './outside.js';
import { pairServices } from './pairing.js';
import { admits } from './policies.js';
import { resolveWorkloadRefs, type WorkloadRefs } from './rollouts.js';
import { routeWarnings } from './routes.js';
import { workloadSeenBy } from './seen-by.js';
import { kindLeftOut } from './selection.js';
import {
  asRendered,
  type FrontedPort,
  fromOutside,
  frontsAny,
  type PlannedWorkload,
  selectedThrough,
} from './workload.js';

const path = (message: string, about: Subject, field?: string): Result => result('error', message, about, field);

/** What a path past the sidecar goes through: the report draws each kind its own way. */
export type PathKind =
  | 'unauditable'
  | 'kind-left-out'
  | 'no-sidecar'
  | 'host-network'
  | 'host-port'
  | 'service-port'
  | 'east-west'
  | 'dapr'
  | 'route'
  | 'mesh-policy'
  | 'canary'
  | 'foreign-policy';

/** One path the audit found: its result, and the objects it runs through. */
export interface AuditPath {
  kind: PathKind;
  result: Result;
  workload?: Workload;
  service?: ServiceObject;
  servicePort?: ServicePort;
}

/** Every path past the sidecar, as error results (what `--audit` prints). */
export const auditPaths = (config: InjectionConfig, inventory: Inventory): Result[] =>
  auditFindings(config, inventory).map((p) => p.result);

/** Every path past the sidecar, with what it runs through (the report draws them). */
export function auditFindings(config: InjectionConfig, inventory: Inventory): AuditPath[] {
  const workloads = inventory.workloads.map((w) => workloadSeenBy(config.name, w));
  const refs = resolveWorkloadRefs(workloads);
  const running = workloads.filter(refs.runsPods);
  const pairing = pairServices(running, inventory.services);
  const guardingOf = guardingPolicies(inventory.networkPolicies, running);
  const paths: AuditPath[] = unauditable(config, workloads, refs).map((r) => ({ kind: 'unauditable', result: r }));
  const of = (kind: PathKind, workload: Workload) => (r: Result) => ({ kind, result: r, workload });
  const bypassed = new Map<ServiceObject, ServicePort[]>();
  const fronting: PlannedWorkload[] = [];
  for (const w of running) {
    if (kindLeftOut(config, w)) {
      const message = `its labels match the selector, but spec.kinds leaves out ${w.kind.kind}: all its traffic reaches the app directly`;
      paths.push({ kind: 'kind-left-out', result: path(message, w), workload: w });
      continue;
    }
    if (!selectedThrough(config, w, refs.rolloutsOf.get(w) ?? [])) continue;
    const rendered = asRendered(config, w, pairing.servicesOf.get(w) ?? []);
    if (!rendered.hasSidecar) {
      paths.push({ kind: 'no-sidecar', result: withoutSidecar(config, w), workload: w });
      continue;
    }
    // A sidecar in front of no port (spec.ports: []) is passed by nothing.
    if (!frontsAny(rendered)) continue;
    // A redirect closes every path that arrives on the pod IP: Services, east-west, hostPort.
    const outside = fromOutside(rendered);
    if (frontsAny(outside)) {
      fronting.push(outside);
      if (w.hostNetwork) paths.push(of('host-network', w)(hostNetworkPath(w)));
      paths.push(...hostPorts(w, outside.fronts).map(of('host-port', w)));
      for (const s of pairing.servicesOf.get(w) ?? []) {
        const onApp = s.ports.filter((sp) => frontedTarget(sp, w, outside.fronts));
        for (const sp of onApp)
          paths.push({
            kind: 'service-port',
            result: serviceOnAppPort(s, sp, w),
            workload: w,
            service: s,
            servicePort: sp,
          });
        if (onApp.length) bypassed.set(s, [...(bypassed.get(s) ?? []), ...onApp]);
      }
      paths.push(...eastWest(w, outside.fronts, guardingOf.get(w) ?? []).map(of('east-west', w)));
    }
    // Dapr delivers on loopback, which no redirect catches: a path under either capture.
    paths.push(...daprPastTheSidecar(w, rendered.fronts).map(of('dapr', w)));
  }
  const asPath = (kind: PathKind) => (r: Result) => ({ kind, result: { ...r, severity: 'error' as const } });
  // Routes (Ingress, Gateway API) to a Service port left on an app port.
  const plans = [...bypassed].map(([service, bypass]) => ({ service, bypass }));
  paths.push(...routeWarnings(inventory.routes, plans).map(asPath('route')));
  // Mesh policies still about a fronted app port: what a render warns of, the audit counts.
  paths.push(...meshPolicyWarnings(inventory.meshPolicies, fronting).map(asPath('mesh-policy')));
  // Services a Flagger Canary makes at run time on a fronted app port.
  paths.push(...canaryWarnings(inventory.canaries, fronting).map(asPath('canary')));
  // What another engine's policy admits is not known here: such pods are never called clean.
  for (const { policy, over } of foreignPolicyFindings(inventory.foreignPolicies, fronting)) {
    const names = over.map((p) => describeRef(p.workload.ref)).join(', ');
    const message = `may admit a fronted app port of ${names}: inject-sidecar does not evaluate ${policy.ref.kind} rules, so these pods cannot be called clean`;
    paths.push({ kind: 'foreign-policy', result: path(message, policy) });
  }
  return paths;
}

/** A selected Rollout whose pods come from an object the input does not hold. */
function unauditable(config: InjectionConfig, workloads: readonly Workload[], refs: WorkloadRefs): Result[] {
  return workloads
    .filter((w) => w.workloadRef && isSelected(config, w) && !refs.targetOf.get(w))
    .map((w) =>
      path(
        'its pods come from an object not in the input (spec.workloadRef): it cannot be audited',
        w,
        'spec.workloadRef',
      ),
    );
}

/** A selected workload without the sidecar: all its traffic reaches the app. */
const withoutSidecar = (config: InjectionConfig, w: Workload) =>
  path(
    `selected, but has no sidecar "${config.container.name}": all its traffic reaches the app directly`,
    w,
    podField(w, 'spec.containers'),
  );

/** The node's own network (hostNetwork): its ports are the node's. */
const hostNetworkPath = (w: Workload) =>
  path("hostNetwork: true: its ports are the node's, past the sidecar", w, podField(w, 'spec.hostNetwork'));

/** A fronted app port published on the node (hostPort). */
function hostPorts(w: Workload, fronted: readonly FrontedPort[]): Result[] {
  const out: Result[] = [];
  for (const p of declaredPorts(w.containers)) {
    if (p.hostPort === undefined || !fronted.some((f) => f.appPort === p.containerPort && f.protocol === p.protocol))
      continue;
    const message = `app port ${p.containerPort} is published on the node as hostPort ${p.hostPort}`;
    out.push(path(message, w, podField(w, `spec.${p.at}.hostPort`)));
  }
  return out;
}

/** A port of a Service over the workload that still targets a fronted app port. */
function serviceOnAppPort(s: ServiceObject, sp: ServicePort, w: Workload): Result {
  const message = `port ${sp.port} still targets app port ${JSON.stringify(serviceTarget(sp))} of ${describeRef(w.ref)}`;
  return path(message, s, `spec.ports[${s.ports.indexOf(sp)}].targetPort`);
}

function frontedTarget(
  sp: { port: number; targetPort?: IntOrString; protocol?: string },
  w: Workload,
  fronted: readonly FrontedPort[],
) {
  const protocol = protocolOf(sp);
  const n = resolvePort(serviceTarget(sp), declaredAppPorts(w), protocol);
  return fronted.some((f) => f.appPort === n && f.protocol === protocol);
}

/** For each workload, the policies restricting ingress that select its pods, in input order. */
function guardingPolicies(policies: readonly NetworkPolicyObject[], workloads: readonly Workload[]) {
  const select = labelIndex(
    workloads,
    (w) => w.ref.namespace,
    (w) => w.podLabels,
  );
  const guarding = new Map<Workload, NetworkPolicyObject[]>();
  for (const p of policies.filter((p) => p.restrictsIngress))
    for (const w of select(p.ref.namespace, p.podSelector)) addTo(guarding, w, p);
  return guarding;
}

/** Dapr's sidecar delivering to a fronted app port on localhost, which nothing between can filter. */
function daprPastTheSidecar(w: Workload, fronted: readonly FrontedPort[]): Result[] {
  // As the object holds it: the workload is seen with this injection's own move taken back out.
  const value = w.current.podAnnotations[DAPR_APP_PORT]?.trim();
  const m = fronted.find((f) => String(f.appPort) === value);
  if (!m) return [];
  const message = `${DAPR_APP_PORT} is fronted app port ${m.appPort}: daprd delivers service invocations and pub/sub messages to localhost:${m.appPort}, past the sidecar; set it to listen port ${m.listenPort}`;
  return [path(message, w, `${podField(w, 'metadata.annotations')}[${DAPR_APP_PORT}]`)];
}

/** East-west: no policy restricts ingress to the pod, or a rule still admits a fronted app port. */
function eastWest(w: Workload, fronted: readonly FrontedPort[], guarding: readonly NetworkPolicyObject[]): Result[] {
  const appPorts = fronted.map((f) => f.appPort).join(', ');
  if (guarding.length === 0)
    return [
      path(`no NetworkPolicy selects its pods: any pod can reach app port ${appPorts} directly, past the sidecar`, w),
    ];
  const out: Result[] = [];
  for (const policy of guarding) {
    policy.current.rules.forEach((ports, i) => {
      const admitted = fronted.filter(
        (f) => ports === undefined || ports.some((e) => admits(e, f.appPort, f.protocol, w)),
      );
      if (admitted.length === 0) return;
      const what = ports === undefined ? 'admits every port, app port' : 'admits app port';
      const message = `ingress[${i}] ${what} ${admitted.map((f) => f.appPort).join(', ')} of ${describeRef(w.ref)}: a path past the sidecar`;
      out.push(path(message, policy, `spec.ingress[${i}]`));
    });
  }
  return out;
}
