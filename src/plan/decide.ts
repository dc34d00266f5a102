// The one predicate: does this workload get the sidecar, and in front of which app ports? Injection
// and Service rewiring both read its answer, so they cannot drift apart.
import { APP_PORT, INJECT } from '../annotations.js';
import type { AppProtocol, InjectionConfig, PortMapping } from '../config/schema.js';
import { isMeshContainer } from '../objects/mesh.js';
import {
  type DeclaredPort,
  declaredPorts,
  type IntOrString,
  type Protocol,
  protocolOf,
  resolvePort,
  serviceTarget,
} from '../objects/ports.js';
import { matchesSelector } from '../objects/selector.js';
import type { Service } from '../objects/service.js';
import { declaredAppPorts, runningContainers, type Workload, type WorkloadObject } from '../objects/workload.js';

/** A config port entry as it applies to one workload: the app port is a number there. */
export interface ResolvedMapping {
  /** Its index in spec.ports. */
  entry: number;
  appPort: number;
  listenPort: number;
  name?: string;
  protocol: Protocol;
  /** What the sidecar serves on the listen port and speaks to the app; http when unset. */
  appProtocol?: AppProtocol;
  /** Why this app port, when the entry left appPort out. */
  chosen?: string;
}

export type SidecarDecision =
  | { gets: true; mappings: ResolvedMapping[]; native: boolean }
  | { gets: false; why: 'not-selected' | 'hook' | 'opted-out' | 'host-network' | 'workload-ref' }
  | {
      gets: false;
      why: 'no-pod-template' | 'no-app-port' | 'app-port-twice' | 'app-port-fronted' | 'native-required';
      detail: string;
    };

/** What the workload's pod offers as app ports: declared by app containers, targeted by its Services. */
interface AppPorts {
  declared: DeclaredPort[];
  targeted: { target: IntOrString; protocol: Protocol }[];
}

/** The one predicate: this object's own kind, namespace and labels are selected by the config. */
export function isSelected(config: InjectionConfig, w: WorkloadObject): boolean {
  return w.kind.selectable && config.kinds.includes(w.kind.kind) && labelsSelected(config, w);
}

/** Its namespace and labels are selected, whatever its kind. */
export function labelsSelected(config: InjectionConfig, w: WorkloadObject): boolean {
  if (config.namespaces && !config.namespaces.includes(w.ref.namespace ?? '')) return false;
  return matchesSelector(config.selector, w.labels);
}

const optedOut = (w: WorkloadObject) => (w.annotations[INJECT] ?? w.podAnnotations[INJECT]) === 'false';

/**
 * Whether the workload's pod template gets the sidecar, and in front of which app ports. A template
 * is selected through its own object, or through an Argo Rollout whose spec.workloadRef names it
 * (`rollouts`): the Rollout runs its pods.
 */
export function decideSidecar(
  config: InjectionConfig,
  w: Workload,
  services: readonly Service[],
  rollouts: readonly WorkloadObject[] = [],
): SidecarDecision {
  // A hook is never one of the release's workloads, whatever selects it.
  if (w.hook) return { gets: false, why: 'hook' };
  if (w.workloadRef) return { gets: false, why: isSelected(config, w) ? 'workload-ref' : 'not-selected' };
  const selectors = [w, ...rollouts].filter((o) => isSelected(config, o));
  if (selectors.length === 0) return { gets: false, why: 'not-selected' };
  if (optedOut(w) || selectors.some(optedOut)) return { gets: false, why: 'opted-out' };
  if (w.missing !== undefined) return { gets: false, why: 'no-pod-template', detail: w.missing };
  if (w.hostNetwork) return { gets: false, why: 'host-network' };
  if (config.native === false && w.completes) {
    const detail = `spec.native is false, but ${completesWhy(w)} and a regular sidecar would keep ${w.kind.kind === 'Pod' ? 'it' : 'them'} running forever; leave spec.native unset (or true), or take ${w.kind.kind} out of spec.kinds`;
    return { gets: false, why: 'native-required', detail };
  }
  const native = config.native ?? w.completes;
  const ports = appPortsOf(w, services);
  const mappings: ResolvedMapping[] = [];
  const reasons: string[] = [];
  config.ports.forEach((entry, i) => {
    const found = resolveAppPort(entry, w, ports);
    if ('missing' in found) reasons.push(`spec.ports[${i}]: ${found.missing}`);
    else {
      const { listenPort, protocol, name, appProtocol } = entry;
      mappings.push({
        entry: i,
        appPort: found.appPort,
        listenPort,
        protocol,
        ...(name ? { name } : {}),
        ...(appProtocol ? { appProtocol } : {}),
        ...found.why,
      });
    }
  });
  if (mappings.length === 0 && config.ports.length > 0) {
    const detail = [...reasons, ...otherProtocolsOnly(config, ports.declared)].map(sentence).join(' ');
    return { gets: false, why: 'no-app-port', detail };
  }
  const twice = sameAppPortTwice(config, mappings);
  if (twice) return { gets: false, why: 'app-port-twice', detail: twice };
  const fronted = frontedByAnother(config, w, mappings);
  if (fronted) return { gets: false, why: 'app-port-fronted', detail: fronted };
  return { gets: true, mappings, native };
}

/** Why a workload's pods run to completion, in a few words. */
export const completesWhy = (w: WorkloadObject) =>
  w.kind.completes
    ? `a ${w.kind.kind}'s pods run to completion`
    : `its pod runs to completion (restartPolicy not Always)`;

/** Two sidecars cannot both listen for one app port's traffic: the second must front the first. */
function frontedByAnother(config: InjectionConfig, w: Workload, mappings: readonly ResolvedMapping[]) {
  for (const m of mappings) {
    for (const [name, status] of Object.entries(w.others)) {
      const theirs = status.ports.find((p) => p.appPort === m.appPort && p.protocol === m.protocol);
      if (!theirs) continue;
      return (
        `spec.ports[${m.entry}]: app port ${m.appPort}/${m.protocol} is already fronted by injection "${name}" ` +
        `(sidecar "${status.container}", listen port ${theirs.listenPort}), and this injection "${config.name}" claims it too. ` +
        `To put this sidecar in front of that one, set appPort: ${theirs.listenPort}`
      );
    }
  }
  return undefined;
}

function appPortsOf(w: Workload, services: readonly Service[]): AppPorts {
  const declared = declaredAppPorts(w);
  const meshPorts = declaredPorts(runningContainers(w).filter(isMeshContainer)).map((p) => p.containerPort);
  const targeted = services
    .flatMap((s) => s.ports.map((sp) => ({ target: serviceTarget(sp), protocol: protocolOf(sp) })))
    .filter((t) => !(typeof t.target === 'number' && meshPorts.includes(t.target)));
  return { declared, targeted };
}

const sentence = (s: string) => (/[.!?]$/.test(s) ? s : `${s}.`);
const portList = (ports: readonly DeclaredPort[]) => ports.map((p) => `${p.containerPort}/${p.protocol}`).join(', ');

/** A workload with only UDP ports, say, is told so when the entries are for TCP. */
function otherProtocolsOnly(config: InjectionConfig, declared: readonly DeclaredPort[]): string[] {
  const wanted = new Set(config.ports.map((e) => e.protocol));
  if (declared.length === 0 || declared.some((p) => wanted.has(p.protocol))) return [];
  const theirs = [...new Set(declared.map((p) => p.protocol))].join(' and ');
  return [
    `It declares only ${theirs} ports (${portList(declared)}), and spec.ports is for ${[...wanted].join(' and ')}`,
  ];
}

type Found = { appPort: number; why?: { chosen: string } } | { missing: string };

function resolveAppPort(entry: PortMapping, w: Workload, ports: AppPorts): Found {
  const { protocol } = entry;
  const declared = ports.declared.filter((p) => p.protocol === protocol);
  const targeted = ports.targeted.filter((t) => t.protocol === protocol);
  if (typeof entry.appPort === 'number') {
    const n = entry.appPort;
    if (declared.some((p) => p.containerPort === n) || targeted.some((t) => t.target === n)) return { appPort: n };
    return {
      missing: `app port ${n}/${protocol} is neither declared by an app container nor targeted by a paired Service`,
    };
  }
  if (typeof entry.appPort === 'string') {
    const n = resolvePort(entry.appPort, declared, protocol);
    return n !== undefined
      ? { appPort: n }
      : { missing: `no app container declares a ${protocol} port named "${entry.appPort}"` };
  }
  return appPortOmitted(w, declared, targeted, protocol);
}

/** appPort left out: found per workload, in this order. */
function appPortOmitted(
  w: Workload,
  declared: DeclaredPort[],
  targeted: AppPorts['targeted'],
  protocol: Protocol,
): Found {
  const chosen = (appPort: number, chosen: string): Found => ({ appPort, why: { chosen } });
  const annotated = w.annotations[APP_PORT] ?? w.podAnnotations[APP_PORT];
  if (annotated !== undefined) {
    const value: IntOrString = /^\d+$/.test(annotated) ? Number(annotated) : annotated;
    const n = resolvePort(value, declared, protocol);
    if (n !== undefined) return chosen(n, `the ${APP_PORT} annotation names it`);
    return {
      missing: `the ${APP_PORT} annotation names "${annotated}", which no app container declares as a ${protocol} port`,
    };
  }
  const targetedPorts = [...new Set(targeted.map((t) => resolvePort(t.target, declared, protocol)))].filter(
    (n) => n !== undefined,
  );
  if (targetedPorts.length === 1) return chosen(targetedPorts[0]!, 'the one port its Services target');
  if (targetedPorts.length > 1) {
    // Prefer a port that traffic actually reaches: the sidecar should front what Services target.
    // Named in port order, not Service order, so the answer and its reason do not depend on item order.
    targetedPorts.sort((a, b) => a - b);
    const their = `its Services target ${targetedPorts.join(' and ')}`;
    const candidates = declared.filter((p) => targetedPorts.includes(p.containerPort));
    const http = candidates.find((p) => p.name === 'http');
    if (http) return chosen(http.containerPort, `${their}; ${http.containerPort} is the one named http`);
    if (candidates[0])
      return chosen(candidates[0].containerPort, `${their}; ${candidates[0].containerPort} is declared first`);
    return chosen(targetedPorts[0]!, `${their}, none declared; ${targetedPorts[0]} is the lowest`);
  }
  const http = declared.find((p) => p.name === 'http');
  if (http) return chosen(http.containerPort, 'the port named http');
  if (declared[0]) return chosen(declared[0].containerPort, 'the first declared port');
  return { missing: `no ${protocol} app port is declared or targeted by a paired Service` };
}

/** Two entries that land on one app port would both forward to it; one app port takes one entry. */
function sameAppPortTwice(config: InjectionConfig, mappings: readonly ResolvedMapping[]): string | undefined {
  for (const [i, a] of mappings.entries()) {
    const b = mappings.slice(i + 1).find((m) => m.appPort === a.appPort && m.protocol === a.protocol);
    if (!b) continue;
    const written = (m: ResolvedMapping) => {
      const appPort = config.ports[m.entry]!.appPort;
      return `spec.ports[${m.entry}] (${appPort === undefined ? 'appPort omitted' : `appPort ${appPort}`})`;
    };
    return `${written(a)} and ${written(b)} both resolve to app port ${a.appPort}/${a.protocol}; one app port takes one entry`;
  }
  return undefined;
}
