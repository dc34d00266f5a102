// The report (`--report`): what a render gives, for the people who approve the pull request. Built
// on plain data from the rendered objects, as the audit reads them: which workloads have the
// sidecar and in front of which ports (plan/workload.ts: asRendered), the render's own results for
// the reasons, and the audit's paths (plan/audit.ts). One traffic map per namespace: entry points,
// Services, sidecars and apps, with every path past the sidecar drawn dashed and labelled. Printing
// is markdown.ts's; nothing here knows Markdown or Mermaid.
import type { InjectionConfig } from '../config/schema.js';
import type { Inventory } from '../objects/inventory.js';
import { isMeshContainer } from '../objects/mesh.js';
import { declaredPorts, protocolOf, resolvePort, serviceTarget } from '../objects/ports.js';
import type { Route } from '../objects/route.js';
import type { ServiceObject } from '../objects/service.js';
import { groupBy, objectKey } from '../objects/shape.js';
import { runningContainers, type Workload } from '../objects/workload.js';
import type { AuditPath } from '../plan/audit.js';
import { pairServices } from '../plan/pairing.js';
import { resolveWorkloadRefs } from '../plan/rollouts.js';
import { workloadSeenBy } from '../plan/seen-by.js';
import { kindLeftOut } from '../plan/selection.js';
import { asRendered, type PlannedWorkload, selectedThrough } from '../plan/workload.js';
import { describeRef, type Result } from '../results.js';

/** Past this many workloads, a namespace's diagram gives way to a table (docs/report.md). */
export const MAX_DIAGRAM_WORKLOADS = 25;
/** Past this many edges, too: GitHub renders a few hundred, readably far fewer. */
export const MAX_DIAGRAM_EDGES = 120;

export type WorkloadState = 'injected' | 'left alone' | 'not selected';

export interface WorkloadRow {
  namespace: string;
  name: string;
  state: WorkloadState;
  /** The sidecar and what it fronts, in words: `waf: 8080 → 8443 (redirect)`. */
  sidecar?: string;
  reason?: string;
}

export interface ServiceRow {
  namespace: string;
  name: string;
  rewired: boolean;
  /** Each port: `80 → 8443 (was "http")`, or as written. */
  ports: string;
  reason?: string;
}

export interface PolicyRow {
  namespace: string;
  name: string;
  change: 'changed' | 'generated';
}

export interface PathRow {
  object: string;
  path: string;
}

export type NodeShape = 'entry' | 'service' | 'sidecar' | 'app' | 'source';

export interface MapNode {
  id: string;
  label: string;
  shape: NodeShape;
  /** The pod it stands in (a workload's subgraph). */
  pod?: string;
}

export interface MapEdge {
  from: string;
  to: string;
  label: string;
  /** A path past the sidecar: drawn dashed. */
  bypass: boolean;
}

export interface TrafficMap {
  namespace: string;
  /** The pods, by id, with their titles. */
  pods: { id: string; title: string }[];
  nodes: MapNode[];
  edges: MapEdge[];
  /** Set when the map is too large to draw: why, and the rows that stand for it. */
  tooLarge?: { why: string; rows: { workload: string; traffic: string }[] };
}

export interface Report {
  injection: string;
  capture: 'service' | 'redirect';
  workloads: WorkloadRow[];
  services: ServiceRow[];
  policies: PolicyRow[];
  paths: PathRow[];
  severities: { error: number; warning: number; info: number };
  maps: TrafficMap[];
}

const NO_NAMESPACE = '(no namespace)';
const nsOf = (o: { ref: { namespace?: string } }) => o.ref.namespace || NO_NAMESPACE;
/** An object's key by its reference: the audit and the render read the objects on their own. */
const refKey = (ref: { kind: string; name: string; namespace?: string }) =>
  objectKey(ref.namespace, ref.kind, ref.name);
/** A Service port's key, for the ports a path leaves on an app port. */
const portKey = (s: ServiceObject, sp: { port: number; protocol?: string }) =>
  `${refKey(s.ref)}:${sp.port}/${protocolOf(sp)}`;

/** The first thing the render said about an object that is a reason: a warning, else an info. */
function reasonFrom(about: readonly Result[] = [], skip?: RegExp): string | undefined {
  const reasons = skip ? about.filter((r) => !skip.test(r.message)) : about;
  return (reasons.find((r) => r.severity !== 'info') ?? reasons[0])?.message;
}

/** What the traffic maps read, indexed once for the whole package. */
interface Indexed {
  selected: (w: Workload) => boolean;
  workloadsOf: ReadonlyMap<ServiceObject, readonly Workload[]>;
  /** Workloads some Service selects. */
  behindAService: ReadonlySet<Workload>;
  /** The audit's paths through each workload, by its reference. */
  pathsOf: ReadonlyMap<string, readonly AuditPath[]>;
  /** Service ports a path leaves on an app port (portKey). */
  leftOnApp: ReadonlySet<string>;
}

/**
 * The report of a rendered package: `inventory` is the render's output, as read back (objects
 * without a namespace already landed), `results` the render's, `paths` the audit's of that output.
 */
export function reportOf(
  config: InjectionConfig,
  inventory: Inventory,
  results: readonly Result[],
  paths: readonly AuditPath[],
): Report {
  const workloads = inventory.workloads.map((w) => workloadSeenBy(config.name, w));
  const refs = resolveWorkloadRefs(workloads);
  const running = workloads.filter(refs.runsPods);
  const pairing = pairServices(running, inventory.services);
  const rendered = new Map(running.map((w) => [w, asRendered(config, w, pairing.servicesOf.get(w) ?? [])]));
  const selected = (w: Workload) => selectedThrough(config, w, refs.rolloutsOf.get(w) ?? []);
  const injected = (w: Workload) => rendered.get(w)?.hasSidecar === true;
  const said = groupBy(
    results.filter((r) => r.resourceRef),
    (r) => refKey(r.resourceRef!),
  );

  const workloadRows: WorkloadRow[] = running.map((w) => {
    const p = rendered.get(w)!;
    const base = { namespace: nsOf(w), name: `${w.ref.kind} ${w.ref.name}` };
    if (p.hasSidecar) return { ...base, state: 'injected', sidecar: sidecarWords(config, p) };
    if (kindLeftOut(config, w))
      return { ...base, state: 'left alone', reason: `its labels match, but spec.kinds leaves out ${w.kind.kind}` };
    if (!selected(w)) return { ...base, state: 'not selected', reason: 'spec.selector does not select it' };
    const reason = reasonFrom(said.get(refKey(w.ref))) ?? 'no sidecar';
    return { ...base, state: 'left alone', reason };
  });

  const serviceRows: ServiceRow[] = inventory.services.map((s) => {
    const own = s.records[config.name] ?? [];
    const ports = s.ports
      .map((sp) => {
        const r = own.find((x) => x.port === sp.port && x.protocol === protocolOf(sp));
        const target = JSON.stringify(serviceTarget(sp));
        return r
          ? `${sp.port} → ${r.listenPort} (was ${JSON.stringify(r.targetPort ?? sp.port)})`
          : `${sp.port} → ${target}`;
      })
      .join(', ');
    const base = { namespace: nsOf(s), name: s.ref.name, ports };
    if (own.length) return { ...base, rewired: true };
    const behind = pairing.workloadsOf.get(s) ?? [];
    const reason =
      reasonFrom(said.get(refKey(s.ref)), /^port \d+.*-> \d+ \(sidecar\)$/) ??
      (behind.length === 0
        ? 'selects no workload in the package'
        : !behind.some(injected)
          ? 'selects no workload with the sidecar'
          : behind.filter(injected).every((w) => rendered.get(w)!.redirected)
            ? 'left as written: capture: redirect sends its traffic to the sidecar inside the pod'
            : 'no port targets a fronted app port');
    return { ...base, rewired: false, reason };
  });

  const policyRows: PolicyRow[] = inventory.networkPolicies.flatMap((p): PolicyRow[] => {
    const base = { namespace: nsOf(p), name: p.ref.name };
    if (p.generated?.by === config.name) return [{ ...base, change: 'generated' }];
    return (p.records[config.name] ?? []).length ? [{ ...base, change: 'changed' }] : [];
  });

  const pathRows = paths.map((p) => ({
    object: p.result.resourceRef ? describeRef(p.result.resourceRef) : '',
    path: p.result.message,
  }));
  const count = (severity: Result['severity']) => results.filter((r) => r.severity === severity).length;
  const indexed: Indexed = {
    selected,
    workloadsOf: pairing.workloadsOf,
    behindAService: new Set([...pairing.workloadsOf.values()].flat()),
    pathsOf: groupBy(
      paths.filter((p) => p.workload),
      (p) => refKey(p.workload!.ref),
    ),
    leftOnApp: new Set(
      paths.flatMap((p) =>
        p.kind === 'service-port' && p.service && p.servicePort ? [portKey(p.service, p.servicePort)] : [],
      ),
    ),
  };
  const workloadsIn = groupBy(running, nsOf);
  const servicesIn = groupBy(inventory.services, nsOf);
  const routesIn = groupBy(inventory.routes, nsOf);
  const namespaces = [...new Set([...workloadsIn.keys(), ...servicesIn.keys()])].sort();
  return {
    injection: config.name,
    capture: config.capture ?? 'service',
    workloads: workloadRows,
    services: serviceRows,
    policies: policyRows,
    paths: pathRows,
    severities: { error: count('error'), warning: count('warning'), info: count('info') },
    maps: namespaces.map((ns) =>
      trafficMap(
        ns,
        (workloadsIn.get(ns) ?? []).map((w) => rendered.get(w)!),
        servicesIn.get(ns) ?? [],
        routesIn.get(ns) ?? [],
        indexed,
      ),
    ),
  };
}

const sidecarWords = (config: InjectionConfig, p: PlannedWorkload) => {
  const fronts = p.fronts.map((f) => `${f.appPort} → ${f.listenPort}`).join(', ');
  const how = p.redirected ? ' (redirect)' : '';
  return `${config.container.name}${fronts ? `: ${fronts}${how}` : ' (fronts no port)'}`;
};

/** The app containers' name and ports, for a node's label. */
function appLabel(w: Workload, others: ReadonlySet<string>): string {
  const apps = w.containers.filter((c) => !isMeshContainer(c) && !others.has(c.name));
  const ports = declaredPorts(apps).map((p) => p.containerPort);
  const name = apps.map((c) => c.name).join(', ') || w.ref.name;
  return ports.length ? `${name} :${[...new Set(ports)].join(', :')}` : name;
}

function trafficMap(
  namespace: string,
  planned: readonly PlannedWorkload[],
  services: readonly ServiceObject[],
  routes: readonly Route[],
  { selected, workloadsOf, behindAService, pathsOf, leftOnApp }: Indexed,
): TrafficMap {
  const map: TrafficMap = { namespace, pods: [], nodes: [], edges: [] };
  const seen = new Set<string>();
  const edge = (from: string, to: string, label: string, bypass: boolean) => {
    const key = `${from} ${to} ${label}`;
    if (seen.has(key)) return;
    seen.add(key);
    map.edges.push({ from, to, label, bypass });
  };
  const ids = new Map<Workload, number>();
  const sources = new Set<string>();
  const source = (id: string, label: string) => {
    if (!sources.has(id)) map.nodes.push({ id, label, shape: 'source' });
    sources.add(id);
    return id;
  };
  planned.forEach((p, i) => {
    const w = p.workload;
    ids.set(w, i);
    const pod = `w${i}`;
    map.pods.push({ id: pod, title: `${w.ref.kind} ${w.ref.name}` });
    const others = new Set(Object.values(w.others).map((o) => o.container));
    map.nodes.push({ id: `${pod}a`, label: appLabel(w, others), shape: 'app', pod });
    if (!p.hasSidecar) return;
    const listens = [...new Set(p.fronts.map((f) => f.listenPort))];
    const sidecar = `${w.earlier!.container}${listens.length ? ` :${listens.join(', :')}` : ''}`;
    map.nodes.push({ id: `${pod}s`, label: sidecar, shape: 'sidecar', pod });
    for (const f of p.fronts) edge(`${pod}s`, `${pod}a`, `127.0.0.1:${f.appPort}`, false);
    if (p.redirected)
      for (const f of p.fronts)
        edge(source('pods', 'other pods'), `${pod}s`, `pod IP :${f.appPort}, redirect → ${f.listenPort}`, false);
  });
  services.forEach((s, i) => {
    const id = `s${i}`;
    map.nodes.push({ id, label: `Service ${s.ref.name}`, shape: 'service' });
    if (s.exposed) {
      map.nodes.push({ id: `e${i}`, label: s.exposed, shape: 'entry' });
      edge(`e${i}`, id, s.ports.map((sp) => `:${sp.port}`).join(', '), false);
    }
    for (const w of workloadsOf.get(s) ?? []) {
      const at = ids.get(w);
      if (at === undefined) continue;
      const p = planned[at]!;
      const declared = declaredPorts(runningContainers(w));
      for (const sp of s.ports) {
        const n = resolvePort(serviceTarget(sp), declared, protocolOf(sp));
        const to = (label: string) => `:${sp.port} → ${n ?? JSON.stringify(serviceTarget(sp))}${label}`;
        const onListen = p.fronts.find((f) => f.listenPort === n);
        const onApp = p.fronts.find((f) => f.appPort === n);
        if (onListen) edge(id, `w${at}s`, to(''), false);
        else if (onApp && p.redirected) edge(id, `w${at}s`, to(`, redirect → ${onApp.listenPort}`), false);
        else if (onApp) edge(id, `w${at}a`, to(', left on the app port'), true);
        else if (!p.hasSidecar && selected(w)) edge(id, `w${at}a`, to(', no sidecar'), true);
        else edge(id, `w${at}a`, to(''), false);
      }
    }
  });
  // Routes into the namespace: a backend on a Service port left on an app port is a path too.
  const serviceAt = new Map(services.map((s, i) => [s.ref.name, i]));
  routes.forEach((r, i) => {
    const id = `r${i}`;
    map.nodes.push({ id, label: `${r.ref.kind} ${r.ref.name}`, shape: 'entry' });
    for (const b of r.backends) {
      const at = (b.namespace ?? namespace) === namespace ? serviceAt.get(b.service) : undefined;
      if (at === undefined) continue;
      const s = services[at]!;
      const sp = s.ports.find((x) => x.port === b.port || (x.name !== undefined && x.name === b.port));
      const left = sp !== undefined && leftOnApp.has(portKey(s, sp));
      edge(
        id,
        `s${at}`,
        `${b.port === undefined ? '' : `:${b.port}`}${left ? ', to a port left on the app' : ''}`,
        left,
      );
    }
  });
  // The other paths the audit knows, each from where it starts.
  for (const p of planned) {
    const at = ids.get(p.workload)!;
    const app = `w${at}a`;
    for (const path of pathsOf.get(refKey(p.workload.ref)) ?? []) {
      const w = p.workload;
      if (path.kind === 'host-port')
        for (const hp of declaredPorts(w.containers).filter((d) => d.hostPort !== undefined))
          if (p.fronts.some((f) => f.appPort === hp.containerPort))
            edge(source(`n${at}`, `node :${hp.hostPort}`), app, `hostPort ${hp.hostPort} → ${hp.containerPort}`, true);
      if (path.kind === 'host-network') edge(source(`n${at}`, 'node network'), app, 'hostNetwork', true);
      if (path.kind === 'east-west') {
        const policy = path.result.resourceRef?.kind === 'NetworkPolicy' ? path.result.resourceRef.name : undefined;
        const what = policy ? `NetworkPolicy ${policy} admits the app port` : 'no NetworkPolicy';
        edge(source('pods', 'other pods'), app, `east-west: ${what}`, true);
      }
      if (path.kind === 'dapr') edge(source(`d${at}`, 'daprd (localhost)'), app, `dapr.io/app-port`, true);
      if (path.kind === 'no-sidecar' && w.hostNetwork)
        edge(source(`n${at}`, 'node network'), app, 'hostNetwork: no sidecar', true);
      else if ((path.kind === 'no-sidecar' || path.kind === 'kind-left-out') && !behindAService.has(w))
        edge(source('pods', 'other pods'), app, 'no sidecar', true);
    }
  }
  if (planned.length > MAX_DIAGRAM_WORKLOADS || map.edges.length > MAX_DIAGRAM_EDGES) {
    const why =
      planned.length > MAX_DIAGRAM_WORKLOADS
        ? `${planned.length} workloads, past the ${MAX_DIAGRAM_WORKLOADS} a diagram shows readably`
        : `${map.edges.length} connections, past the ${MAX_DIAGRAM_EDGES} a diagram shows readably`;
    map.tooLarge = { why, rows: trafficRows(map) };
  }
  return map;
}

/** The map as rows, one per pod: what reaches it from outside the pod, and how. */
function trafficRows(map: TrafficMap): { workload: string; traffic: string }[] {
  const nodes = new Map(map.nodes.map((n) => [n.id, n]));
  const into = groupBy(
    map.edges.filter((e) => nodes.get(e.to)?.pod !== undefined && nodes.get(e.from)?.pod !== nodes.get(e.to)?.pod),
    (e) => nodes.get(e.to)!.pod!,
  );
  const label = (id: string) => nodes.get(id)?.label ?? id;
  return map.pods.map((pod) => {
    const traffic = (into.get(pod.id) ?? []).map(
      (e) => `${e.bypass ? 'path past the sidecar: ' : ''}${label(e.from)} → ${label(e.to)} (${e.label})`,
    );
    return { workload: pod.title, traffic: traffic.join('; ') || 'nothing in the package reaches it' };
  });
}
