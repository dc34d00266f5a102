// A route that sends traffic to a Service port left on an app port (the Service also selects pods
// without the sidecar, is headless, or that port is not fronted) bypasses the WAF: say so, naming
// the route and the backend.

import type { ServicePort } from '../objects/ports.js';
import type { Route } from '../objects/route.js';
import type { ServiceObject } from '../objects/service.js';
import { groupBy, objectKey } from '../objects/shape.js';
import { describeRef, type Result, result } from '../results.js';
import type { RouteSpeaks } from './rewire.js';

/** A Service with the ports of it that still reach an app port past the sidecar. */
interface Bypassed {
  service: ServiceObject;
  bypass: readonly ServicePort[];
}

export function routeWarnings(routes: readonly Route[], services: readonly Bypassed[]): Result[] {
  const results: Result[] = [];
  const byName = new Map(services.map((s) => [objectKey(s.service.ref.namespace, s.service.ref.name), s]));
  for (const route of routes) {
    for (const backend of route.backends) {
      const namespace = backend.namespace ?? route.ref.namespace ?? '';
      const plan = byName.get(`${namespace}/${backend.service}`);
      if (!plan || plan.bypass.length === 0) continue;
      const port = plan.bypass.find(
        (p) => backend.port === undefined || p.port === backend.port || p.name === backend.port,
      );
      if (!port) continue;
      const message =
        `sends traffic to ${describeRef(plan.service.ref)} port ${port.port}, which still reaches the app without the sidecar: ` +
        'this route bypasses the WAF';
      results.push(result('warning', message, route, backend.field));
    }
  }
  return results;
}

/** What the routes say they speak to each Service port they send to (an Ingress's backend-protocol). */
export function spokenByRoutes(routes: readonly Route[]): RouteSpeaks {
  const byService = groupBy(
    routes.flatMap((route) => (route.speaks ? route.backends.map((backend) => ({ route, backend })) : [])),
    ({ route, backend }) => objectKey(backend.namespace ?? route.ref.namespace, backend.service),
  );
  return (service, sp) =>
    byService
      .get(objectKey(service.ref.namespace, service.ref.name))
      ?.find(({ backend }) => backend.port === undefined || backend.port === sp.port || backend.port === sp.name)?.route
      .speaks;
}
