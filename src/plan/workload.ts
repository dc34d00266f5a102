// The one fact every planner reads about a workload: whether its pods have this injection's sidecar,
// and which app ports the sidecar fronts. Built once: by the plan from its decisions (what the
// render will give), and by the audit from the objects as they are (what the render gave). A
// sidecar in front of no port (`spec.ports: []`, a log shipper) has the sidecar and fronts nothing:
// no Service, policy or path is about it.
//
// Also here: what a workload itself is told (why no sidecar, a chain this would break, a fronted
// port published on the node).
import { APP_PORT, INJECT } from '../annotations.js';
import type { AppProtocol, InjectionConfig } from '../config/schema.js';
import { isMeshContainer } from '../objects/mesh.js';
import {
  declaredPorts,
  type IntOrString,
  type Protocol,
  protocolOf,
  resolvePort,
  serviceTarget,
} from '../objects/ports.js';
import type { ServiceObject } from '../objects/service.js';
import { podField, runningContainers, type Workload, type WorkloadObject } from '../objects/workload.js';
import { type Result, result } from '../results.js';
import { isSelected, type ResolvedMapping, type SidecarDecision } from './decide.js';
import { redirectRules } from './redirect.js';
import { type WorkloadRefs, workloadRefResults } from './rollouts.js';
import { redirectNames, sidecarNames } from './seen-by.js';

/** An app port the sidecar fronts, and the listen port its traffic now arrives on. */
export interface FrontedPort {
  appPort: number;
  listenPort: number;
  protocol: Protocol;
  /** The listen port's name on the sidecar, when the config gives one. */
  name?: string;
  /** What the sidecar serves there and speaks to the app; http when unset. */
  appProtocol?: AppProtocol;
}

export interface PlannedWorkload {
  workload: Workload;
  /** Its pods have this injection's sidecar. */
  hasSidecar: boolean;
  /** The app ports the sidecar fronts: empty without a sidecar, and for a sidecar in front of no port. */
  fronts: readonly FrontedPort[];
  /** Every port its pods serve, declared or not (servedPorts); a generated policy keeps the unfronted ones open. */
  serves: readonly ServedPort[];
  /** capture: redirect: the pod itself sends its fronted app ports to the sidecar. */
  redirected?: boolean;
}

export interface ServedPort {
  port: number;
  protocol: Protocol;
}

/**
 * The ports a pod serves: those its containers declare, and those it serves without declaring them,
 * which something reaches anyway: a numeric targetPort of a Service over it, a probe's port, the
 * prometheus.io/port annotation. A generated policy that admitted only the declared ones cut the
 * others off.
 */
export function servedPorts(w: Workload, services: readonly ServiceObject[]): ServedPort[] {
  const declared = declaredPorts(runningContainers(w));
  const out: ServedPort[] = declared.map((p) => ({ port: p.containerPort, protocol: p.protocol }));
  const add = (port: IntOrString | undefined, protocol: Protocol, within = declared) => {
    const n = port === undefined ? undefined : resolvePort(port, within, protocol);
    if (n !== undefined && n > 0 && !out.some((p) => p.port === n && p.protocol === protocol))
      out.push({ port: n, protocol });
  };
  for (const s of services) for (const sp of s.ports) add(serviceTarget(sp), protocolOf(sp));
  for (const c of runningContainers(w)) {
    const own = declaredPorts([c]);
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
      if (!probe) continue;
      add((probe.httpGet?.port ?? probe.tcpSocket?.port) as IntOrString | undefined, 'TCP', own);
      if (probe.grpc?.port !== undefined) add(probe.grpc.port, 'TCP', own);
    }
  }
  const scraped = w.podAnnotations['prometheus.io/port'];
  if (scraped !== undefined && /^\d+$/.test(scraped)) add(Number(scraped), 'TCP');
  return out;
}

/** A workload whose sidecar fronts at least one app port: the only kind a Service, policy or path is about. */
export const frontsAny = (p: PlannedWorkload) => p.fronts.length > 0;

/**
 * The workload as the objects outside its pod see it: Services, NetworkPolicies, routes, mesh and
 * monitoring objects. Under capture: redirect, traffic keeps arriving on the app port and the pod
 * sends it to the sidecar itself, so there is nothing fronted for them to follow or to bypass.
 */
export const fromOutside = (p: PlannedWorkload): PlannedWorkload => (p.redirected ? { ...p, fronts: [] } : p);

/** After this render: the sidecar where the plan puts one, in front of its mappings. */
export function planned(
  workload: Workload,
  mappings: readonly ResolvedMapping[] | undefined,
  services: readonly ServiceObject[] = [],
  redirected = false,
): PlannedWorkload {
  return {
    workload,
    hasSidecar: mappings !== undefined,
    fronts: mappings ?? [],
    serves: servedPorts(workload, services),
    ...(redirected && mappings?.length ? { redirected } : {}),
  };
}

/** As the objects are (the audit): the sidecar an earlier render put there and recorded. */
export function asRendered(
  config: InjectionConfig,
  workload: Workload,
  services: readonly ServiceObject[] = [],
): PlannedWorkload {
  const { earlier, current } = workload;
  const hasSidecar =
    earlier !== undefined && current.sidecar !== undefined && earlier.container === config.container.name;
  const fronts = hasSidecar ? earlier.ports.map((p) => ({ ...p, protocol: p.protocol as Protocol })) : [];
  // Redirected only while the init container the record names is in the pod with a rule for each port.
  const script = (current.redirect?.container.command ?? []).join('\n');
  const redirected =
    hasSidecar && earlier.redirect !== undefined && redirectRules(fronts).every((rule) => script.includes(rule));
  return {
    workload,
    hasSidecar,
    fronts,
    serves: servedPorts(workload, services),
    ...(redirected && fronts.length ? { redirected } : {}),
  };
}

/** Where a sidecar stands: its list (initContainers for a native one) and its index there. */
export interface SidecarSlot {
  native: boolean;
  index: number;
}

/**
 * Where this injection's sidecar stands after this run, decided once: where it stands now when only
 * other injections' sidecars are on its far side (after it for a regular one, before it for a native
 * one); else last in containers, or first in initContainers after other injections' native sidecars.
 * The index is in the list as written; the workload's lists here are without this sidecar.
 */
export function slotOf(w: Workload, native: boolean): SidecarSlot {
  const theirs = new Set([...sidecarNames(w.others), ...redirectNames(w.others)]);
  const list = native ? w.initContainers : w.containers;
  const here = w.current.sidecar;
  if (here && here.native === native) {
    const farSide = native ? list.slice(0, here.index) : list.slice(here.index);
    if (farSide.every((c) => theirs.has(c.name))) return { native, index: here.index };
  }
  if (!native) return { native, index: list.length };
  let index = 0;
  while (index < list.length && theirs.has(list[index]!.name)) index++;
  return { native, index };
}

/** Selected through its own object, or through an Argo Rollout whose spec.workloadRef names it. */
export const selectedThrough = (config: InjectionConfig, w: WorkloadObject, rollouts: readonly WorkloadObject[]) =>
  isSelected(config, w) || rollouts.some((r) => isSelected(config, r));

/**
 * Another injection fronts one of this injection's listen ports (a chain): taking this sidecar out,
 * or moving it to another listen port, would leave that one forwarding to a closed port.
 */
export function brokenChains(config: InjectionConfig, w: Workload, mappings: readonly ResolvedMapping[]): Result[] {
  if (!w.earlier) return [];
  const out: Result[] = [];
  for (const port of w.earlier.ports) {
    if (mappings.some((m) => m.listenPort === port.listenPort && m.protocol === port.protocol)) continue;
    for (const [name, status] of Object.entries(w.others)) {
      if (!status.ports.some((p) => p.appPort === port.listenPort && p.protocol === port.protocol)) continue;
      const what = mappings.length ? 'moving it off that port' : `removing sidecar "${w.earlier.container}"`;
      const message =
        `injection "${name}" (sidecar "${status.container}") fronts listen port ${port.listenPort} of this injection "${config.name}": ` +
        `${what} would leave "${status.container}" forwarding to a closed port. Remove injection "${name}" first, or point its appPort at the app`;
      out.push(result('error', message, w));
    }
  }
  return out;
}

/** What a selected workload without the sidecar is told. */
export function whyNoSidecar(
  decision: Exclude<SidecarDecision, { gets: true }>,
  w: Workload,
  refs: WorkloadRefs,
): Result[] {
  switch (decision.why) {
    case 'workload-ref':
      return workloadRefResults(w, refs);
    case 'opted-out':
      return [result('info', `opted out with ${INJECT}: "false"`, w)];
    case 'no-pod-template':
      return [
        result(
          'warning',
          `selected, but left alone: it has no pod template at ${decision.detail} (a patch, not a whole object?)`,
          w,
          decision.detail,
        ),
      ];
    case 'no-app-port': {
      const remedy = `Declare the port, or name it with the ${APP_PORT} annotation.`;
      return [result('warning', `selected, but left without a sidecar. ${decision.detail} ${remedy}`, w)];
    }
    case 'host-network': {
      const why = "its ports are the node's, so traffic cannot be sent through a sidecar (Istio skips such pods too)";
      return [
        result('warning', `selected, but left alone: hostNetwork: true; ${why}`, w, podField(w, 'spec.hostNetwork')),
      ];
    }
    case 'app-port-twice':
    case 'app-port-fronted':
    case 'native-required':
      return [result('error', decision.detail, w)];
    default:
      return [];
  }
}

/** A fronted app port also published on the node is a path to the app that skips the sidecar. */
export function hostPortWarnings(w: Workload, fronts: readonly FrontedPort[]): Result[] {
  return declaredPorts(w.containers)
    .filter(
      (p) => p.hostPort !== undefined && fronts.some((m) => m.appPort === p.containerPort && m.protocol === p.protocol),
    )
    .map((p) => {
      const message = `app port ${p.containerPort} of container "${p.container}" is published on the node as hostPort ${p.hostPort}: that path reaches the app without the sidecar`;
      return result('warning', message, w, podField(w, `spec.${p.at}.hostPort`));
    });
}

/**
 * An app that binds only its pod IP (`$(POD_IP)` in its args, command or env, POD_IP being
 * `fieldRef: status.podIP`) does not answer on 127.0.0.1, where the sidecar forwards: an outage.
 */
export function podIpBindWarnings(w: Workload, fronts: readonly FrontedPort[]): Result[] {
  if (fronts.length === 0) return [];
  const out: Result[] = [];
  w.containers.forEach((c, i) => {
    if (isMeshContainer(c) || Object.values(w.others).some((o) => o.container === c.name)) return;
    const podIp = (c.env ?? [])
      .filter((e) => /^status\.podIPs?$/.test(e.valueFrom?.fieldRef?.fieldPath ?? ''))
      .map((e) => e.name);
    if (podIp.length === 0) return;
    const uses = (text: string | undefined) => podIp.find((name) => text?.includes(`$(${name})`));
    const places: [string, string | undefined][] = [
      ...(c.command ?? []).map((t, k): [string, string] => [`command[${k}]`, t]),
      ...(c.args ?? []).map((t, k): [string, string] => [`args[${k}]`, t]),
      ...(c.env ?? []).map((e, k): [string, string | undefined] => [`env[${k}].value`, e.value]),
    ];
    const hit = places.find(([, text]) => uses(text));
    if (!hit) return;
    const message =
      `app container "${c.name}" binds its pod IP ($(${uses(hit[1])}) in ${hit[0]}), but the sidecar forwards to ` +
      `127.0.0.1:${fronts.map((f) => f.appPort).join(', ')}, where it does not listen: bind 0.0.0.0 or 127.0.0.1`;
    out.push(result('warning', message, w, podField(w, `spec.containers[${i}].${hit[0]}`)));
  });
  return out;
}
