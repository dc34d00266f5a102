// The plain data the plan works from: every workload, Service, NetworkPolicy, HPA, route, mesh
// authorization and Namespace of the input, read from its KRM object. A problem with one object is an error result; the others are still read, so one run
// shows every problem.
import { collect, problem, type Result, result } from '../results.js';
import { type Autoscaler, isAutoscaler, readAutoscaler } from './autoscaler.js';
import { isMeshPolicy, type MeshPolicy, readMeshPolicy } from './mesh-policy.js';
import { isNamespace, type NamespaceObject, readNamespace } from './namespace.js';
import { isNetworkPolicy, type NetworkPolicyObject, readNetworkPolicy } from './network-policy.js';
import {
  type Canary,
  type ForeignPolicy,
  isCanary,
  isForeignPolicy,
  isMonitor,
  type Monitor,
  readCanary,
  readForeignPolicy,
  readMonitor,
} from './outside.js';
import type { KrmObject } from './read.js';
import { isRoute, type Route, readRoute } from './route.js';
import { readService, type ServiceObject } from './service.js';
import { foreignKindOf, readWorkload, unknownVersionOf, type WorkloadObject, workloadKindOf } from './workload.js';

export interface Inventory {
  workloads: WorkloadObject[];
  services: ServiceObject[];
  networkPolicies: NetworkPolicyObject[];
  autoscalers: Autoscaler[];
  routes: Route[];
  meshPolicies: MeshPolicy[];
  canaries: Canary[];
  monitors: Monitor[];
  foreignPolicies: ForeignPolicy[];
  namespaces: NamespaceObject[];
  results: Result[];
}

export const isService = (apiVersion: string, kind: string) => apiVersion === 'v1' && kind === 'Service';

/** Whether the plan reads this object as plain data. */
export const isReadByPlan = (apiVersion: string, kind: string) =>
  isService(apiVersion, kind) ||
  isNetworkPolicy(apiVersion, kind) ||
  isAutoscaler(apiVersion, kind) ||
  isRoute(apiVersion, kind) ||
  isMeshPolicy(apiVersion, kind) ||
  isCanary(apiVersion, kind) ||
  isMonitor(apiVersion, kind) ||
  isForeignPolicy(apiVersion, kind) ||
  isNamespace(apiVersion, kind) ||
  workloadKindOf(apiVersion, kind) !== undefined;

/** Adds one object to the inventory; its problems become error results there. */
export function takeStock(inventory: Inventory, object: KrmObject): void {
  collect(inventory.results, () => readOne(object, inventory));
}

function readOne(object: KrmObject, inventory: Inventory): void {
  const { apiVersion, kind } = object;
  const workloadKind = workloadKindOf(apiVersion, kind);
  if (workloadKind) {
    if (object.ref.name === '') throw problem('has no name', object, 'metadata.name');
    inventory.workloads.push(readWorkload(object, workloadKind));
  } else if (isService(apiVersion, kind)) {
    inventory.services.push(readService(object));
  } else if (isNetworkPolicy(apiVersion, kind)) {
    inventory.networkPolicies.push(readNetworkPolicy(object));
  } else if (isAutoscaler(apiVersion, kind)) {
    inventory.autoscalers.push(readAutoscaler(object));
  } else if (isRoute(apiVersion, kind)) {
    inventory.routes.push(readRoute(object));
  } else if (isMeshPolicy(apiVersion, kind)) {
    inventory.meshPolicies.push(readMeshPolicy(object));
  } else if (isCanary(apiVersion, kind)) {
    inventory.canaries.push(readCanary(object));
  } else if (isMonitor(apiVersion, kind)) {
    inventory.monitors.push(readMonitor(object));
  } else if (isForeignPolicy(apiVersion, kind)) {
    inventory.foreignPolicies.push(readForeignPolicy(object));
  } else if (isNamespace(apiVersion, kind)) {
    inventory.namespaces.push(readNamespace(object));
  } else {
    const known = unknownVersionOf(apiVersion, kind);
    if (known) {
      // A typo more likely than a kind of its own: said, and not counted as pods.
      const message = `left alone: apiVersion ${apiVersion} is not one ${kind} is served under (${known.apiVersions.join(', ')})`;
      inventory.results.push(result('warning', message, object, 'apiVersion'));
      return;
    }
    const foreign = object.plain && foreignKindOf(apiVersion, kind, object.plain);
    if (foreign && object.ref.name !== '') inventory.workloads.push(readWorkload(object, foreign));
  }
}
