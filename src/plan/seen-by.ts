// Several injections may change one object, each under its own name: its sidecar and status record
// on a workload, its rewired ports on a Service, its added ports on a NetworkPolicy. Before planning,
// each object is seen as this injection would find it had it never run: its own earlier change
// taken out, everyone else's left in. Re-running one injection then changes only what it owns.

import type { Container, Volume } from 'kubernetes-types/core/v1.js';
import { DEFAULT_CONTAINER, STATUS } from '../annotations.js';
import { ownRecord } from '../objects/ledger.js';
import type { NetworkPolicy, NetworkPolicyObject, PolicyPort, RuleRecord } from '../objects/network-policy.js';
import { protocolOf } from '../objects/ports.js';
import type { RewiredPort, Service, ServiceObject } from '../objects/service.js';
import { type StringMap, sameData } from '../objects/shape.js';
import type {
  AppMount,
  InjectionStatus,
  SidecarPlace,
  Statuses,
  Workload,
  WorkloadObject,
} from '../objects/workload.js';
import { withoutListenPorts } from './mesh-ports.js';

/** The container names every other injection's sidecar goes by in this pod. */
export const sidecarNames = (others: Statuses) => new Set(Object.values(others).map((s) => s.container));

/** The init containers other injections' redirects go by in this pod. */
export const redirectNames = (others: Statuses) =>
  new Set(Object.values(others).flatMap((s) => (s.redirect === undefined ? [] : [s.redirect])));

export function workloadSeenBy(name: string, w: WorkloadObject): Workload {
  const { own, others } = ownRecord(name, w.statuses);
  let containers = w.containers;
  let initContainers = w.initContainers;
  let sidecar: SidecarPlace | undefined;
  let redirect: { container: Container; index: number } | undefined;
  // The redirect init container first: the sidecar's place is then counted without it.
  const redirectAt = own?.redirect === undefined ? -1 : initContainers.findIndex((c) => c.name === own.redirect);
  if (redirectAt >= 0) {
    redirect = { container: initContainers[redirectAt]!, index: redirectAt };
    initContainers = initContainers.filter((_, i) => i !== redirectAt);
  }
  if (own) {
    const inInit = initContainers.findIndex((c) => c.name === own.container);
    const inMain = containers.findIndex((c) => c.name === own.container);
    // In the list the record names, else in the other (a sidecar moved by hand is still found).
    const native = inInit >= 0 && (own.native === true || inMain < 0);
    const [list, at] = native ? [initContainers, inInit] : [containers, inMain];
    if (at >= 0) {
      sidecar = { container: list[at]!, native, index: at };
      const rest = list.filter((_, i) => i !== at);
      if (native) initContainers = rest;
      else containers = rest;
    }
  }
  const parts = own
    ? withoutOwnParts({ containers, volumes: w.volumes, imagePullSecrets: w.imagePullSecrets }, own, others)
    : undefined;
  return {
    ...w,
    containers: parts?.containers ?? containers,
    initContainers,
    ...(parts ? { volumes: parts.volumes, imagePullSecrets: parts.imagePullSecrets } : {}),
    podAnnotations: own ? withoutOwnAnnotations(w.podAnnotations, own) : withoutStatus(w.podAnnotations),
    ...(own ? { earlier: own } : {}),
    others,
    current: {
      podAnnotations: w.podAnnotations,
      ...(sidecar ? { sidecar } : {}),
      ...(redirect ? { redirect } : {}),
      containers: w.containers,
      volumes: w.volumes,
      imagePullSecrets: w.imagePullSecrets,
    },
  };
}

/** The pod parts an injection brought that go with it: those it recorded that no other injection also needs. */
export function partsToTakeOut(own: InjectionStatus, others: Statuses) {
  const otherRecords = Object.values(others);
  const needed =
    <T>(pick: (s: InjectionStatus) => readonly T[] | undefined, same: (a: T, b: T) => boolean) =>
    (item: T) =>
      otherRecords.some((o) => (pick(o) ?? []).some((x) => same(x, item)));
  const eq = (a: string, b: string) => a === b;
  const sameMount = (a: AppMount, b: AppMount) => a.container === b.container && a.mountPath === b.mountPath;
  return {
    volumes: new Set((own.volumes ?? []).filter((v) => !needed((s) => s.volumes, eq)(v))),
    imagePullSecrets: new Set((own.imagePullSecrets ?? []).filter((r) => !needed((s) => s.imagePullSecrets, eq)(r))),
    appVolumeMounts: (own.appVolumeMounts ?? []).filter((m) => !needed((s) => s.appVolumeMounts, sameMount)(m)),
  };
}

/** The pod without the volumes, image pull Secrets and app mounts this injection alone brought. */
function withoutOwnParts(
  pod: { containers: readonly Container[]; volumes: readonly Volume[]; imagePullSecrets: readonly string[] },
  own: InjectionStatus,
  others: Statuses,
) {
  const out = partsToTakeOut(own, others);
  const mountsOf = (c: string) => new Set(out.appVolumeMounts.filter((m) => m.container === c).map((m) => m.mountPath));
  return {
    volumes: pod.volumes.filter((v) => !out.volumes.has(v.name)),
    imagePullSecrets: pod.imagePullSecrets.filter((r) => !out.imagePullSecrets.has(r)),
    containers: pod.containers.map((c) => {
      const mine = mountsOf(c.name);
      if (mine.size === 0 || !c.volumeMounts) return c;
      const { volumeMounts, ...rest } = c;
      const kept = volumeMounts.filter((m) => !mine.has(m.mountPath));
      return kept.length ? { ...rest, volumeMounts: kept } : rest;
    }),
  };
}

function withoutStatus(annotations: StringMap): StringMap {
  if (!Object.hasOwn(annotations, STATUS)) return annotations;
  const out: Record<string, string> = Object.assign(Object.create(null), annotations);
  delete out[STATUS];
  return out;
}

/** The pod annotations less what this injection set: its default container and its mesh ports. */
function withoutOwnAnnotations(annotations: StringMap, own: InjectionStatus): StringMap {
  const out = withoutListenPorts(withoutStatus(annotations), own);
  if (own.defaultContainer !== undefined && out[DEFAULT_CONTAINER] === own.defaultContainer)
    delete out[DEFAULT_CONTAINER];
  return out;
}

/**
 * A Service with this injection's rewiring undone. A port whose listen port another injection now
 * fronts (a chain) is covered: it stays as it is, and this injection's record of it is kept.
 */
export function serviceSeenBy(name: string, s: ServiceObject): Service {
  const { own = [], others } = ownRecord(name, s.records);
  const covered = new Map<number, RewiredPort>();
  const ports = s.ports.map((sp, i) => {
    const mine = own.find((r) => r.port === sp.port && r.protocol === protocolOf(sp));
    if (!mine) return sp;
    if (sp.targetPort === mine.listenPort) {
      const { targetPort: _rewired, ...rest } = sp;
      return mine.targetPort === undefined ? rest : { ...rest, targetPort: mine.targetPort };
    }
    const chained = Object.values(others).some((rs) =>
      rs.some((r) => r.port === sp.port && r.protocol === mine.protocol && r.targetPort === mine.listenPort),
    );
    if (chained) covered.set(i, mine);
    return sp;
  });
  return { ...s, ports, others, ...(covered.size ? { covered } : {}) };
}

/**
 * A NetworkPolicy with the entries this injection added taken back out of each rule, and the ones it
 * took out put back where they stood; every other injection's entries stay.
 */
export function policySeenBy(name: string, p: NetworkPolicyObject): NetworkPolicy {
  const { own = [], others } = ownRecord(name, p.records);
  if (own.length === 0) return { ...p, others };
  const rules = p.rules.map((ports, i) => {
    const record = own.find((r) => r.rule === i);
    return record ? undo(ports ?? [], record) : ports;
  });
  return { ...p, rules, others, earlier: new Map(own.map((r) => [r.rule, r])) };
}

function undo(ports: readonly PolicyPort[], record: RuleRecord): PolicyPort[] | undefined {
  const has = (list: readonly PolicyPort[], e: PolicyPort) => list.some((x) => sameData(x, e));
  const out = ports.filter((e) => !has(record.added, e));
  // Each entry taken out goes back where it stood (duplicates too: each was taken out once).
  for (const { index, entry } of record.removed ?? []) out.splice(Math.min(index, out.length), 0, entry);
  // A rule left with no entries admitted every port as written (a rule without ports).
  return out.length ? out : undefined;
}
