// Routes into the cluster: Ingress backends and Gateway API routes' backendRefs, as plain data.
// Each backend names a Service and one of its ports, by number or by the Service port's name.
import type { Subject } from '../results.js';
import type { IntOrString, Spoken } from './ports.js';
import { type KrmObject, subjectOf } from './read.js';
import { isObj, type Obj } from './shape.js';

export interface Backend {
  service: string;
  namespace?: string;
  port?: IntOrString;
  field: string;
}

export interface Route extends Subject {
  backends: Backend[];
  /** What the route speaks to its backends, when it says (ingress-nginx's backend-protocol annotation). */
  speaks?: { spoken: Spoken; by: string };
}

/** ingress-nginx's backend-protocol values, as what the controller speaks to the Service. */
const BACKEND_PROTOCOLS: Record<string, Spoken> = {
  HTTP: 'http',
  AUTO_HTTP: 'http',
  HTTPS: 'https',
  GRPC: 'grpc',
  GRPCS: 'tls',
  FCGI: 'tcp',
};
const BACKEND_PROTOCOL = 'nginx.ingress.kubernetes.io/backend-protocol';

const GATEWAY_ROUTES = ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute'];

export const isRoute = (apiVersion: string, kind: string) =>
  (kind === 'Ingress' && (apiVersion.startsWith('networking.k8s.io/') || apiVersion.startsWith('extensions/'))) ||
  (GATEWAY_ROUTES.includes(kind) && apiVersion.startsWith('gateway.networking.k8s.io/'));

const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** An Ingress backend: `service: {name, port: {number | name}}`, or the v1beta1 `serviceName`/`servicePort`. */
function ingressBackend(backend: unknown, field: string): Backend[] {
  if (!isObj(backend)) return [];
  if (isObj(backend.service) && typeof backend.service.name === 'string') {
    const port = isObj(backend.service.port) ? (backend.service.port.number ?? backend.service.port.name) : undefined;
    return [{ service: backend.service.name, ...(port !== undefined ? { port: port as IntOrString } : {}), field }];
  }
  if (typeof backend.serviceName === 'string')
    return [
      {
        service: backend.serviceName,
        ...(backend.servicePort !== undefined ? { port: backend.servicePort as IntOrString } : {}),
        field,
      },
    ];
  return [];
}

/** A Gateway API backendRef to a core Service. */
function backendRef(ref: unknown, field: string): Backend[] {
  if (!isObj(ref)) return [];
  const core = (ref.group ?? '') === '' && (ref.kind ?? 'Service') === 'Service';
  if (!core || typeof ref.name !== 'string') return [];
  return [
    {
      service: ref.name,
      ...(typeof ref.namespace === 'string' ? { namespace: ref.namespace } : {}),
      ...(typeof ref.port === 'number' ? { port: ref.port } : {}),
      field,
    },
  ];
}

/** A RequestMirror filter's backendRef: a copy of every request goes there, so it is a backend too. */
const mirrors = (filters: unknown, field: string): Backend[] =>
  list(filters).flatMap((f, k) =>
    isObj(f.requestMirror) ? backendRef(f.requestMirror.backendRef, `${field}[${k}].requestMirror.backendRef`) : [],
  );

export function readRoute(object: KrmObject): Route {
  const spec = isObj(object.plain?.spec) ? object.plain.spec : {};
  const backends: Backend[] = [];
  if (object.kind === 'Ingress') {
    backends.push(
      ...ingressBackend(
        spec.defaultBackend ?? spec.backend,
        spec.defaultBackend ? 'spec.defaultBackend' : 'spec.backend',
      ),
    );
    list(spec.rules).forEach((rule, i) => {
      list(isObj(rule.http) ? rule.http.paths : undefined).forEach((path, j) => {
        backends.push(...ingressBackend(path.backend, `spec.rules[${i}].http.paths[${j}].backend`));
      });
    });
  } else {
    list(spec.rules).forEach((rule, i) => {
      backends.push(...mirrors(rule.filters, `spec.rules[${i}].filters`));
      list(rule.backendRefs).forEach((ref, j) => {
        const field = `spec.rules[${i}].backendRefs[${j}]`;
        backends.push(...backendRef(ref, field), ...mirrors(ref.filters, `${field}.filters`));
      });
    });
  }
  const annotations =
    isObj(object.plain?.metadata) && isObj(object.plain.metadata.annotations) ? object.plain.metadata.annotations : {};
  const declared =
    typeof annotations[BACKEND_PROTOCOL] === 'string' ? annotations[BACKEND_PROTOCOL].toUpperCase() : undefined;
  const spoken = declared ? BACKEND_PROTOCOLS[declared] : undefined;
  return {
    ...subjectOf(object),
    backends,
    ...(spoken
      ? { speaks: { spoken, by: `${BACKEND_PROTOCOL}: ${declared} on ${object.kind} ${object.ref.name}` } }
      : {}),
  };
}
