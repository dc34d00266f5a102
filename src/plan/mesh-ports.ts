// Mesh annotations that list ports, per pod (Linkerd's opaque and skipped ports, Istio's captured
// and excluded inbound ports). Where one lists a fronted app port, the listen port is added beside
// it, so the mesh treats WAF-bound traffic as it treated app-bound traffic. One module adds the
// listen ports and takes them out again: taking out what was added gives back what the user wrote
// (test/mesh-ports.test.ts checks undo(add(x)) = x), and another injection's additions stay.
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

/** The mesh annotations that change: each that lists a fronted app port, with the listen port added. */
export function withListenPorts(
  annotations: StringMap,
  fronts: readonly { appPort: number; listenPort: number }[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of MESH_PORT_ANNOTATIONS) {
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
    const userParts = new Set(written.split(',').map((p) => p.trim()));
    out[key] = now
      .split(',')
      .filter((p) => userParts.has(p.trim()) || !listenPorts.includes(p.trim()))
      .join(',');
  }
  return out;
}
