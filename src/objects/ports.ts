// Port resolution: how a Service port's target, or a config's appPort, lands on a container port.
import type { Container } from 'kubernetes-types/core/v1.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type IntOrString = number | string;

export interface DeclaredPort {
  container: string;
  name?: string;
  containerPort: number;
  protocol: Protocol;
  /** Published on the node's address too. */
  hostPort?: number;
  /** Where it is declared: `containers[0].ports[1]`. */
  at: string;
}

export function declaredPorts(containers: readonly Container[]): DeclaredPort[] {
  const out: DeclaredPort[] = [];
  containers.forEach((c, i) => {
    (c.ports ?? []).forEach((p, j) => {
      if (typeof p?.containerPort !== 'number') return;
      out.push({
        container: c.name,
        ...(p.name ? { name: p.name } : {}),
        containerPort: p.containerPort,
        protocol: protocolOf(p),
        ...(typeof p.hostPort === 'number' ? { hostPort: p.hostPort } : {}),
        at: `containers[${i}].ports[${j}]`,
      });
    });
  });
  return out;
}

/** A port number, or a name resolved against the declared ports; undefined when a name is not found. */
export function resolvePort(
  target: IntOrString,
  declared: readonly DeclaredPort[],
  protocol: Protocol,
): number | undefined {
  if (typeof target === 'number') return target;
  return declared.find((p) => p.name === target && p.protocol === protocol)?.containerPort;
}

export interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  targetPort?: IntOrString;
  nodePort?: number;
}

/** What a Service port sends traffic to: `targetPort`, or `port` when targetPort is omitted or 0. */
export function serviceTarget(sp: ServicePort): IntOrString {
  const tp = sp.targetPort;
  return tp === undefined || tp === null || tp === 0 || tp === '' ? sp.port : tp;
}

export const protocolOf = (sp: { protocol?: string }): Protocol => (sp.protocol ?? 'TCP') as Protocol;
