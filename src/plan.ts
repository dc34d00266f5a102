// The pure core. From the config, the workloads and the Services as plain data, decide which
// workloads get the sidecar, what the sidecar looks like in each, and where each paired Service's
// targetPort goes. Nothing here touches YAML.
import type { Container, EnvVar, ContainerPort } from 'kubernetes-types/core/v1.js';
import type { InjectionConfig, PortMapping } from './config.js';
import { APP_PORT, DEFAULT_CONTAINER, INJECT, STATUS } from './annotations.js';
import { pairServices, type Pairing } from './pairing.js';
import { declaredPorts, protocolOf, resolvePort, serviceTarget, type DeclaredPort, type IntOrString, type Protocol, type ServicePort } from './ports.js';
import { FunctionError, describeRef, type Result } from './results.js';
import { matchesSelector } from './selector.js';
import type { RewiredPort, Service } from './service.js';
import type { InjectionStatus, Workload } from './workload.js';

/** A config port entry as it applies to one workload: the app port is a number there. */
export interface ResolvedMapping {
  appPort: number;
  listenPort: number;
  name?: string;
  protocol: Protocol;
}

/** The one answer to "does this workload get the sidecar?", asked by injection and rewiring alike. */
export type SidecarDecision =
  | { gets: true; mappings: ResolvedMapping[] }
  | { gets: false; why: 'not-injectable' | 'not-selected' | 'opted-out' | 'no-app-port'; detail?: string };

export interface WorkloadPlan {
  workload: Workload;
  decision: SidecarDecision;
  /** The sidecar to have last in the pod, or undefined for none. */
  sidecar?: Container;
  /** Pod template annotations to set (a string) or remove (undefined). */
  podAnnotations: Record<string, string | undefined>;
}

export interface ServicePlan {
  service: Service;
  /** Each port's targetPort as it should be; undefined means omitted. */
  targetPorts: (IntOrString | undefined)[];
  rewired: RewiredPort[];
}

export interface Plan {
  workloads: WorkloadPlan[];
  services: ServicePlan[];
  results: Result[];
}

export function planInjection(config: InjectionConfig, workloads: readonly Workload[], services: readonly Service[]): Plan {
  const pairing = pairServices(workloads, services);
  const results: Result[] = [];
  const decisions = new Map<Workload, SidecarDecision>();
  for (const w of workloads) decisions.set(w, decideSidecar(config, w, pairing));
  const getsSidecar = (w: Workload) => decisions.get(w)!.gets;

  const workloadPlans = workloads.map((w) => planWorkload(config, w, decisions.get(w)!, results));
  const servicePlans = services.map((s) => planService(s, pairing.workloadsOf.get(s) ?? [], decisions, getsSidecar, results));
  return { workloads: workloadPlans, services: servicePlans, results };
}

export function decideSidecar(config: InjectionConfig, w: Workload, pairing: Pairing): SidecarDecision {
  if (!w.kind.injectable) return { gets: false, why: 'not-injectable' };
  if (config.namespaces && !config.namespaces.includes(w.ref.namespace ?? '')) return { gets: false, why: 'not-selected' };
  if (!matchesSelector(config.selector, w.labels)) return { gets: false, why: 'not-selected' };
  const optOut = w.annotations[INJECT] ?? w.podAnnotations[INJECT];
  if (optOut === 'false') return { gets: false, why: 'opted-out' };
  const declared = declaredPorts(w.containers);
  const targeted = (pairing.servicesOf.get(w) ?? []).flatMap((s) => s.ports.map((sp) => ({ target: serviceTarget(sp), protocol: protocolOf(sp) })));
  const mappings: ResolvedMapping[] = [];
  const missing: string[] = [];
  for (const entry of config.ports) {
    const appPort = resolveAppPort(entry, w, declared, targeted);
    if (appPort === undefined) missing.push(entry.appPort === undefined ? `app port to put behind listenPort ${entry.listenPort} (no port is declared or targeted)` : `app port ${entry.appPort}`);
    else mappings.push({ appPort, listenPort: entry.listenPort, ...(entry.name ? { name: entry.name } : {}), protocol: entry.protocol });
  }
  if (mappings.length === 0) return { gets: false, why: 'no-app-port', detail: missing.join(', ') };
  return { gets: true, mappings };
}

function resolveAppPort(
  entry: PortMapping,
  w: Workload,
  declared: DeclaredPort[],
  targeted: { target: IntOrString; protocol: Protocol }[],
): number | undefined {
  const protocol = entry.protocol;
  const ofProtocol = declared.filter((p) => p.protocol === protocol);
  if (typeof entry.appPort === 'number') {
    const n = entry.appPort;
    const isDeclared = ofProtocol.some((p) => p.containerPort === n);
    const isTargeted = targeted.some((t) => t.protocol === protocol && t.target === n);
    return isDeclared || isTargeted ? n : undefined;
  }
  if (typeof entry.appPort === 'string') return resolvePort(entry.appPort, ofProtocol, protocol);
  // appPort omitted: found per workload, in this order.
  const annotated = w.annotations[APP_PORT] ?? w.podAnnotations[APP_PORT];
  if (annotated !== undefined) {
    const value: IntOrString = /^\d+$/.test(annotated) ? Number(annotated) : annotated;
    return resolvePort(value, ofProtocol, protocol);
  }
  const fromServices = new Set<number>();
  for (const t of targeted) {
    if (t.protocol !== protocol) continue;
    const n = resolvePort(t.target, ofProtocol, protocol);
    if (n !== undefined) fromServices.add(n);
  }
  if (fromServices.size === 1) return [...fromServices][0];
  const http = ofProtocol.find((p) => p.name === 'http');
  if (http) return http.containerPort;
  return ofProtocol[0]?.containerPort;
}

export function buildSidecar(config: InjectionConfig, mappings: readonly ResolvedMapping[]): Container {
  const base = config.container;
  const ports: ContainerPort[] = [...(base.ports ?? [])];
  for (const m of mappings) {
    if (ports.some((p) => p.containerPort === m.listenPort && (p.protocol ?? 'TCP') === m.protocol)) continue;
    ports.push({ ...(m.name ? { name: m.name } : {}), containerPort: m.listenPort, ...(m.protocol !== 'TCP' ? { protocol: m.protocol } : {}) });
  }
  // The sidecar learns each workload's app port through env, so `$(APP_PORT)` in its args works by
  // Kubernetes' own expansion. Ours come first: expansion only sees variables defined earlier.
  const userEnv = base.env ?? [];
  const ours: EnvVar[] = [{ name: 'APP_PORT', value: String(mappings[0]!.appPort) }];
  if (config.ports.length > 1) for (const m of mappings) ours.push({ name: `APP_PORT_${m.listenPort}`, value: String(m.appPort) });
  const env = [...ours.filter((e) => !userEnv.some((u) => u.name === e.name)), ...userEnv];
  const sidecar: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) {
    if (key === 'env') sidecar.env = env;
    else if (key === 'ports') sidecar.ports = ports;
    else sidecar[key] = value;
  }
  if (!('env' in sidecar)) sidecar.env = env;
  if (!('ports' in sidecar)) sidecar.ports = ports;
  return sidecar as unknown as Container;
}

function checkCollisions(w: Workload, sidecar: Container): void {
  const base = w.kind.podTemplatePath.join('.');
  const field = (f: string) => (base ? `${base}.spec.${f}` : `spec.${f}`);
  const others = [...w.containers, ...w.initContainers];
  const clash = others.find((c) => c.name === sidecar.name);
  if (clash)
    throw new FunctionError(
      `container name "${sidecar.name}" is already used by an app container; choose another spec.container.name`,
      w.ref,
      field('containers'),
    );
  const podPorts = declaredPorts(others);
  for (const p of sidecar.ports ?? []) {
    const protocol = p.protocol ?? 'TCP';
    const taken = podPorts.find((q) => q.containerPort === p.containerPort && q.protocol === protocol);
    if (taken)
      throw new FunctionError(
        `sidecar port ${p.containerPort}/${protocol} collides with port ${taken.containerPort}${taken.name ? ` (${taken.name})` : ''} of container "${taken.container}"`,
        w.ref,
        field('containers'),
      );
    const named = p.name ? podPorts.find((q) => q.name === p.name) : undefined;
    if (named)
      throw new FunctionError(`sidecar port name "${p.name}" is already used by container "${named.container}"; port names are unique in a pod`, w.ref, field('containers'));
  }
}

function planWorkload(config: InjectionConfig, w: Workload, decision: SidecarDecision, results: Result[]): WorkloadPlan {
  if (!decision.gets) {
    if (decision.why === 'opted-out') results.push(result('info', `opted out with ${INJECT}: "false"`, w));
    if (decision.why === 'no-app-port')
      results.push(result('warning', `selected, but left without a sidecar: it has no ${decision.detail}; declare the port, or name it with the ${APP_PORT} annotation`, w));
    if (w.injected) results.push(result('info', `removed sidecar "${w.injected.container}" from an earlier run`, w));
    return {
      workload: w,
      decision,
      podAnnotations: w.injected ? { [STATUS]: undefined, ...(w.injected.defaultContainer !== undefined ? { [DEFAULT_CONTAINER]: w.podAnnotations[DEFAULT_CONTAINER] } : {}) } : {},
    };
  }
  const sidecar = buildSidecar(config, decision.mappings);
  checkCollisions(w, sidecar);
  const firstApp = w.containers[0]?.name;
  const existingDefault = w.podAnnotations[DEFAULT_CONTAINER];
  const status: InjectionStatus = {
    container: sidecar.name,
    ports: decision.mappings.map((m) => ({ appPort: m.appPort, listenPort: m.listenPort, protocol: m.protocol })),
    ...(existingDefault === undefined && firstApp ? { defaultContainer: firstApp } : {}),
  };
  const podAnnotations: Record<string, string | undefined> = { [STATUS]: JSON.stringify(status) };
  if (status.defaultContainer !== undefined) podAnnotations[DEFAULT_CONTAINER] = status.defaultContainer;
  const ports = decision.mappings.map((m) => `${m.appPort} -> ${m.listenPort}`).join(', ');
  results.push(result('info', `sidecar "${sidecar.name}" in front of app port${decision.mappings.length > 1 ? 's' : ''} ${ports}`, w));
  return { workload: w, decision, sidecar, podAnnotations };
}

function planService(
  s: Service,
  paired: readonly Workload[],
  decisions: ReadonlyMap<Workload, SidecarDecision>,
  getsSidecar: (w: Workload) => boolean,
  results: Result[],
): ServicePlan {
  const unchanged: ServicePlan = { service: s, targetPorts: s.ports.map((p) => p.targetPort), rewired: [] };
  const injected = paired.filter(getsSidecar);
  if (injected.length === 0) return unchanged;
  const names = (ws: readonly Workload[]) => ws.map((w) => describeRef(w.ref)).join(', ');
  if (s.headless) {
    results.push(result('warning', `left alone: headless, so clients reach pod addresses directly and bypass the sidecar in ${names(injected)}`, s, 'spec.clusterIP'));
    return unchanged;
  }
  const without = paired.filter((w) => !getsSidecar(w));
  if (without.length > 0) {
    results.push(
      result(
        'warning',
        `left alone: it also selects pods of ${names(without)}, which have no sidecar; rewiring it would send traffic to a port those pods do not open. Select both or neither, or split the Service`,
        s,
        'spec.selector',
      ),
    );
    return unchanged;
  }
  const plan: ServicePlan = { service: s, targetPorts: [], rewired: [] };
  s.ports.forEach((sp: ServicePort, i) => {
    const protocol = protocolOf(sp);
    const target = serviceTarget(sp);
    const listens = injected.map((w) => {
      const mappings = (decisions.get(w) as { mappings: ResolvedMapping[] }).mappings;
      const appPort = resolvePort(target, declaredPorts(w.containers), protocol);
      return mappings.find((m) => m.appPort === appPort && m.protocol === protocol)?.listenPort;
    });
    const first = listens[0];
    const label = `port ${sp.port}${sp.name ? ` (${sp.name})` : ''}`;
    if (first !== undefined && listens.every((l) => l === first)) {
      plan.targetPorts.push(first);
      plan.rewired.push({ port: sp.port, protocol, ...(sp.targetPort !== undefined ? { targetPort: sp.targetPort } : {}), listenPort: first });
      results.push(result('info', `${label}: targetPort ${JSON.stringify(target)} -> ${first} (sidecar)`, s, `spec.ports[${i}].targetPort`));
      return;
    }
    plan.targetPorts.push(sp.targetPort);
    if (listens.some((l) => l !== undefined)) {
      results.push(result('warning', `${label} left alone: its target ${JSON.stringify(target)} maps to different listen ports across ${names(injected)}`, s, `spec.ports[${i}].targetPort`));
      return;
    }
    const sidecarPorts = injected.map((w) => (decisions.get(w) as { mappings: ResolvedMapping[] }).mappings.map((m) => m.listenPort));
    if (typeof target === 'number' && sidecarPorts.every((ps) => ps.includes(target))) return;
    results.push(
      result(
        'warning',
        `${label} still targets app port ${JSON.stringify(target)} of ${names(injected)}, so its traffic bypasses the sidecar; add a ports entry for it if it should be filtered`,
        s,
        `spec.ports[${i}].targetPort`,
      ),
    );
  });
  return plan;
}

function result(severity: Result['severity'], message: string, about: Workload | Service, field?: string): Result {
  return { message, severity, resourceRef: about.ref, ...(field ? { field: { path: field } } : {}), ...(about.file ? { file: about.file } : {}) };
}
