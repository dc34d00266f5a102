// Service-mesh proxies that an injector (Istio, Linkerd) already put in the pod. They are never the
// app: app-port detection and the default container skip them, so an Istio-injected pod does not
// get Envoy's metrics port as its app port or `istio-proxy` as the container `kubectl logs` opens.
import type { Container } from 'kubernetes-types/core/v1.js';

const MESH_CONTAINERS = new Set([
  'istio-proxy',
  'istio-init',
  'istio-validation',
  'linkerd-proxy',
  'linkerd-init',
  'linkerd-network-validator',
]);

export const isMeshContainer = (container: Pick<Container, 'name'>) => MESH_CONTAINERS.has(container.name);

/** The containers that may be the app: all but mesh proxies. */
export const appContainersOf = (containers: readonly Container[]) => containers.filter((c) => !isMeshContainer(c));
