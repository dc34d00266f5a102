// Mesh annotations that list ports, per pod (Linkerd's opaque and skipped ports, Istio's captured
// and excluded inbound ports). Where one lists a fronted app port, the listen port is added beside
// it, so the mesh treats WAF-bound traffic as it treated app-bound traffic. And Dapr's app port:
// daprd delivers every service invocation and pub/sub message to localhost:<dapr.io/app-port>, so
// when that is a fronted app port it moves to the listen port, and the WAF passes those too. One
// module changes these annotations and takes the change out again: taking out what was changed
// gives back what the user wrote (test/mesh-ports.test.ts checks undo(add(x)) = x), and another
// injection's additions stay.
import type { StringMap } from '../objects/shape.js';
import type { InjectionStatus } from '../objects/workload.js';

export const MESH_PORT_ANNOTATIONS = [
  'config.linkerd.io/opaque-ports',
  'config.linkerd.io/skip-inbound-ports',
  'traffic.sidecar.istio.io/includeInboundPorts',
  'traffic.sidecar.istio.io/excludeInboundPorts',
];

function listsPort(value: string, port: number): boolean {
  return value.split(',').some((part) => {
    const [from, to] = part.trim().split('-').map(Number);
    return to === undefined ? from === port : from! <= port && port <= to;
  });
}

/** Annotations naming the one port a sidecar delivers to: a fronted app port there moves to the listen port. */
export const DAPR_APP_PORT = 'dapr.io/app-port';
export const MOVED_PORT_ANNOTATIONS = [DAPR_APP_PORT];

/**
 * The mesh annotations that change: each that lists a fronted app port, with the listen port added;
 * each that names one (Dapr's app port), with the listen port in its place.
 */
export function withListenPorts(
  annotations: StringMap,
  fronts: readonly { appPort: number; listenPort: number }[],
  meshLists = true,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of MOVED_PORT_ANNOTATIONS) {
    const value = annotations[key]?.trim();
    const moved = fronts.find((m) => String(m.appPort) === value);
    if (moved) out[key] = String(moved.listenPort);
  }
  for (const key of meshLists ? MESH_PORT_ANNOTATIONS : []) {
    const value = annotations[key];
    if (value === undefined || value.trim() === '*') continue;
    const added = fronts
      .filter((m) => listsPort(value, m.appPort) && !listsPort(value, m.listenPort))
      .map((m) => m.listenPort);
    if (added.length) out[key] = [value, ...new Set(added)].join(',');
  }
  return out;
}

/**
 * The annotations with this injection's listen ports taken back out of each mesh annotation it
 * extended (`meshAnnotations` holds the values the user wrote); another injection's additions stay.
 */
export function withoutListenPorts(
  annotations: StringMap,
  own: Pick<InjectionStatus, 'ports' | 'meshAnnotations'>,
): Record<string, string> {
  const out: Record<string, string> = Object.assign(Object.create(null), annotations);
  const listenPorts = own.ports.map((p) => String(p.listenPort));
  for (const [key, written] of Object.entries(own.meshAnnotations ?? {})) {
    const now = out[key];
    if (now === undefined) continue;
    if (MOVED_PORT_ANNOTATIONS.includes(key)) {
      // Still on this injection's listen port: back to what the user wrote; changed since: the user's.
      if (listenPorts.includes(now.trim())) out[key] = written;
      continue;
    }
    const userParts = new Set(written.split(',').map((p) => p.trim()));
    out[key] = now
      .split(',')
      .filter((p) => userParts.has(p.trim()) || !listenPorts.includes(p.trim()))
      .join(',');
  }
  return out;
}
