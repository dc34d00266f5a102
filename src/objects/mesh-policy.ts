// Mesh policies that name a port of the pods they select: a Linkerd `Server` (policy.linkerd.io),
// an Istio `AuthorizationPolicy` and an Istio `PeerAuthentication` with `portLevelMtls`
// (security.istio.io). Once the sidecar fronts that port, traffic reaches it from the sidecar on
// localhost: the authorization no longer guards the path from the network, and the port's mTLS mode
// no longer applies to the traffic, which now arrives on the listen port.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Subject } from '../results.js';
import type { IntOrString } from './ports.js';
import { type KrmObject, subjectOf } from './read.js';
import { isObj } from './shape.js';

export interface MeshPolicy extends Subject {
  /** Which pods it is about; an empty selector selects every pod of its namespace (Istio without one). */
  podSelector: LabelSelector;
  ports: { port: IntOrString; field: string }[];
  /** What it does for a port: authorizes traffic to it, or sets its mTLS mode. */
  about: 'authorization' | 'mtls';
}

export const isMeshPolicy = (apiVersion: string, kind: string) =>
  (kind === 'Server' && apiVersion.startsWith('policy.linkerd.io/')) ||
  ((kind === 'AuthorizationPolicy' || kind === 'PeerAuthentication') && apiVersion.startsWith('security.istio.io/'));

export function readMeshPolicy(object: KrmObject): MeshPolicy {
  const spec = isObj(object.plain?.spec) ? object.plain.spec : {};
  const ports: MeshPolicy['ports'] = [];
  let podSelector: LabelSelector = {};
  if (object.kind === 'Server') {
    if (isObj(spec.podSelector)) podSelector = spec.podSelector as LabelSelector;
    if (typeof spec.port === 'number' || typeof spec.port === 'string')
      ports.push({ port: spec.port, field: 'spec.port' });
  } else if (object.kind === 'PeerAuthentication') {
    if (isObj(spec.selector) && isObj(spec.selector.matchLabels))
      podSelector = { matchLabels: spec.selector.matchLabels as Record<string, string> };
    // portLevelMtls is keyed by the workload's port number.
    for (const key of Object.keys(isObj(spec.portLevelMtls) ? spec.portLevelMtls : {}))
      if (/^\d+$/.test(key)) ports.push({ port: Number(key), field: `spec.portLevelMtls.${key}` });
    return { ...subjectOf(object), podSelector, ports, about: 'mtls' };
  } else {
    if (isObj(spec.selector) && isObj(spec.selector.matchLabels))
      podSelector = { matchLabels: spec.selector.matchLabels as Record<string, string> };
    const rules = Array.isArray(spec.rules) ? spec.rules : [];
    rules.forEach((rule: unknown, i) => {
      const to = isObj(rule) && Array.isArray(rule.to) ? rule.to : [];
      to.forEach((target: unknown, j) => {
        const operation = isObj(target) && isObj(target.operation) ? target.operation : {};
        const listed = Array.isArray(operation.ports) ? operation.ports : [];
        listed.forEach((p: unknown, k) => {
          const n = Number(p);
          if (Number.isInteger(n)) ports.push({ port: n, field: `spec.rules[${i}].to[${j}].operation.ports[${k}]` });
        });
      });
    });
  }
  return { ...subjectOf(object), podSelector, ports, about: 'authorization' };
}
