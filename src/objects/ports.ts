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
  appProtocol?: string;
  targetPort?: IntOrString;
  nodePort?: number;
}

/** What a Service port sends traffic to: `targetPort`, or `port` when targetPort is omitted or 0. */
export function serviceTarget(sp: ServicePort): IntOrString {
  const tp = sp.targetPort;
  return tp === undefined || tp === null || tp === 0 || tp === '' ? sp.port : tp;
}

export const protocolOf = (sp: { protocol?: string }): Protocol => (sp.protocol ?? 'TCP') as Protocol;

/** What clients speak to a Service port, in the words of spec.ports[].appProtocol ('tls' and 'tcp' besides). */
export type Spoken = 'http' | 'https' | 'h2c' | 'grpc' | 'tls' | 'tcp';

/** The appProtocol values Kubernetes and its implementations use, read as what a client speaks. */
const APP_PROTOCOL_WORDS: Record<string, Spoken> = {
  http: 'http',
  https: 'https',
  'kubernetes.io/h2c': 'h2c',
  h2c: 'h2c',
  http2: 'h2c',
  grpc: 'grpc',
  'kubernetes.io/ws': 'http',
  'kubernetes.io/wss': 'https',
  tls: 'tls',
  tcp: 'tcp',
};

/**
 * What a Service port says clients speak to it: its appProtocol, else Istio's port-name convention
 * (`https`, `grpc-api`, `http2-web`, `tls-db`, `tcp-redis`). Undefined when it says nothing.
 */
export function spokenTo(sp: ServicePort & { appProtocol?: string }): { spoken: Spoken; by: string } | undefined {
  if (sp.appProtocol) {
    const spoken = APP_PROTOCOL_WORDS[sp.appProtocol.toLowerCase()];
    return spoken ? { spoken, by: `appProtocol: ${sp.appProtocol}` } : undefined;
  }
  const prefix = /^([a-z0-9]+)(-|$)/.exec(sp.name ?? '')?.[1];
  const byName: Record<string, Spoken> = {
    http: 'http',
    https: 'https',
    http2: 'h2c',
    grpc: 'grpc',
    tls: 'tls',
    tcp: 'tcp',
  };
  const spoken =
    prefix === 'grpc' && /^grpc-web(-|$)/.test(sp.name ?? '') ? 'http' : prefix ? byName[prefix] : undefined;
  return spoken ? { spoken, by: `its name ${sp.name}` } : undefined;
}
