// Objects that reach a workload's pods outside its Services and NetworkPolicies, as plain data:
// - a Flagger `Canary` creates Services for the workload it targets at run time, on a port the
//   render never sees;
// - a Prometheus Operator `PodMonitor` or `ServiceMonitor` scrapes pod IPs on a named port;
// - a policy the function does not evaluate (Cilium, Calico, AdminNetworkPolicy) may admit or deny
//   any port of the pods it selects.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Subject } from '../results.js';
import type { IntOrString } from './ports.js';
import { type KrmObject, subjectOf } from './read.js';
import { isObj, type Obj } from './shape.js';

/** A Flagger Canary: the workload it targets, and the port its generated Services target. */
export interface Canary extends Subject {
  target: { kind: string; name: string };
  /** spec.service.targetPort, else spec.service.port: what Flagger's Services target. */
  targetPort?: IntOrString;
  field: string;
}

/** A PodMonitor (pods by label) or a ServiceMonitor (Services by label): the ports it scrapes. */
export interface Monitor extends Subject {
  selector: LabelSelector;
  /** Namespaces it looks in: its own when unset; `any` for every namespace. */
  namespaces: readonly string[] | 'any' | undefined;
  endpoints: { port: IntOrString; field: string }[];
}

/** A policy whose rules the function does not evaluate; cluster-wide ones may select any pod. */
export interface ForeignPolicy extends Subject {
  clusterWide: boolean;
}

export const isCanary = (apiVersion: string, kind: string) =>
  kind === 'Canary' && apiVersion.startsWith('flagger.app/');
export const isMonitor = (apiVersion: string, kind: string) =>
  (kind === 'PodMonitor' || kind === 'ServiceMonitor') && apiVersion.startsWith('monitoring.coreos.com/');

/** Policy kinds another engine enforces, and whether each is cluster-wide. */
const FOREIGN_POLICIES: { group: string; kind: string; clusterWide: boolean }[] = [
  { group: 'cilium.io/', kind: 'CiliumNetworkPolicy', clusterWide: false },
  { group: 'cilium.io/', kind: 'CiliumClusterwideNetworkPolicy', clusterWide: true },
  { group: 'crd.projectcalico.org/', kind: 'NetworkPolicy', clusterWide: false },
  { group: 'projectcalico.org/', kind: 'NetworkPolicy', clusterWide: false },
  { group: 'crd.projectcalico.org/', kind: 'GlobalNetworkPolicy', clusterWide: true },
  { group: 'projectcalico.org/', kind: 'GlobalNetworkPolicy', clusterWide: true },
  { group: 'policy.networking.k8s.io/', kind: 'AdminNetworkPolicy', clusterWide: true },
  { group: 'policy.networking.k8s.io/', kind: 'BaselineAdminNetworkPolicy', clusterWide: true },
];
const foreignKind = (apiVersion: string, kind: string) =>
  FOREIGN_POLICIES.find((p) => p.kind === kind && apiVersion.startsWith(p.group));
export const isForeignPolicy = (apiVersion: string, kind: string) => foreignKind(apiVersion, kind) !== undefined;

const specOf = (object: KrmObject): Obj => (isObj(object.plain?.spec) ? object.plain.spec : {});
const port = (v: unknown): IntOrString | undefined => (typeof v === 'number' || typeof v === 'string' ? v : undefined);

export function readCanary(object: KrmObject): Canary {
  const spec = specOf(object);
  const target = isObj(spec.targetRef) ? spec.targetRef : {};
  const service = isObj(spec.service) ? spec.service : {};
  const targetPort = port(service.targetPort) ?? port(service.port);
  return {
    ...subjectOf(object),
    target: { kind: String(target.kind ?? ''), name: String(target.name ?? '') },
    ...(targetPort !== undefined ? { targetPort } : {}),
    field: service.targetPort !== undefined ? 'spec.service.targetPort' : 'spec.service.port',
  };
}

export function readMonitor(object: KrmObject): Monitor {
  const spec = specOf(object);
  const list = object.kind === 'PodMonitor' ? 'podMetricsEndpoints' : 'endpoints';
  const endpoints: Monitor['endpoints'] = [];
  (Array.isArray(spec[list]) ? spec[list] : []).forEach((e: unknown, i) => {
    if (!isObj(e)) return;
    const p = port(e.port) ?? port(e.targetPort);
    if (p !== undefined) endpoints.push({ port: p, field: `spec.${list}[${i}]` });
  });
  const ns = isObj(spec.namespaceSelector) ? spec.namespaceSelector : {};
  const namespaces = ns.any === true ? 'any' : Array.isArray(ns.matchNames) ? ns.matchNames.map(String) : undefined;
  return {
    ...subjectOf(object),
    selector: isObj(spec.selector) ? (spec.selector as LabelSelector) : {},
    namespaces,
    endpoints,
  };
}

export function readForeignPolicy(object: KrmObject): ForeignPolicy {
  return { ...subjectOf(object), clusterWide: foreignKind(object.apiVersion, object.kind)!.clusterWide };
}
