// The pure core. From the config, the workloads and the Services as plain data: decide which
// workloads get the sidecar (decide.ts), build it (sidecar.ts), and move each paired Service's
// targetPort (rewire.ts). Nothing here touches YAML; every outcome is a result value.
import type { Container } from 'kubernetes-types/core/v1.js';
import { APP_PORT, INJECT } from '../annotations.js';
import type { InjectionConfig } from '../config/schema.js';
import type { Autoscaler } from '../objects/autoscaler.js';
import type { MeshPolicy } from '../objects/mesh-policy.js';
import type { NetworkPolicy } from '../objects/network-policy.js';
import { declaredPorts } from '../objects/ports.js';
import type { ObjectAt } from '../objects/read.js';
import type { Route } from '../objects/route.js';
import type { Service } from '../objects/service.js';
import type { Obj } from '../objects/shape.js';
import type { Workload } from '../objects/workload.js';
import { type Result, result } from '../results.js';
import { autoscalerWarnings } from './autoscalers.js';
import { decideSidecar, type ResolvedMapping, type SidecarDecision } from './decide.js';
import { meshPolicyWarnings } from './mesh-policies.js';
import { pairServices } from './pairing.js';
import { type PolicyPlan, planPolicies } from './policies.js';
import { planService, type ServicePlan } from './rewire.js';
import { routeWarnings } from './routes.js';
import { sidecarConfigWarnings } from './security.js';
import { buildSidecar, collisions, injectedAnnotations, removedAnnotations } from './sidecar.js';

export interface WorkloadPlan {
  workload: Workload;
  decision: SidecarDecision;
  /** The sidecar to have last in the pod, or undefined for none. */
  sidecar?: Container;
  /** Pod template annotations to set (a string) or remove (undefined). */
  podAnnotations: Record<string, string | undefined>;
}

export type { ServicePlan };

export interface Plan {
  workloads: WorkloadPlan[];
  services: ServicePlan[];
  networkPolicies: PolicyPlan[];
  /** Objects to add, and objects an earlier run added that go (networkPolicies: generate). */
  added: Obj[];
  dropped: ObjectAt[];
  results: Result[];
}

/** What the plan reads; the unit tables pass only what they need. */
export interface PlanInput {
  workloads: readonly Workload[];
  services: readonly Service[];
  networkPolicies?: readonly NetworkPolicy[];
  autoscalers?: readonly Autoscaler[];
  routes?: readonly Route[];
  meshPolicies?: readonly MeshPolicy[];
}

export function planInjection(config: InjectionConfig, input: PlanInput): Plan {
  const { workloads, services, networkPolicies = [], autoscalers = [], routes = [], meshPolicies = [] } = input;
  const pairing = pairServices(workloads, services);
  const results: Result[] = [...sidecarConfigWarnings(config)];
  const workloadPlans = workloads.map((w) => {
    const planned = planWorkload(config, w, decideSidecar(config, w, pairing.servicesOf.get(w) ?? []));
    results.push(...planned.results);
    return planned.plan;
  });
  const mappingsOf = new Map(
    workloadPlans.map((p) => [p.workload, p.sidecar && p.decision.gets ? p.decision.mappings : undefined]),
  );
  const servicePlans = services.map((s) => {
    const paired = (pairing.workloadsOf.get(s) ?? []).map((workload) => ({
      workload,
      mappings: mappingsOf.get(workload),
    }));
    const planned = planService(s, paired);
    results.push(...planned.results);
    return planned.plan;
  });
  const planned = workloadPlans.map((p) => ({ workload: p.workload, mappings: mappingsOf.get(p.workload) }));
  const policies = planPolicies(config, networkPolicies, planned);
  results.push(...policies.results);
  const injected = planned.filter((p) => p.mappings !== undefined).map((p) => p.workload);
  results.push(...autoscalerWarnings(config, autoscalers, injected));
  results.push(...routeWarnings(routes, servicePlans));
  const withSidecar = planned.filter(
    (p): p is { workload: Workload; mappings: ResolvedMapping[] } => p.mappings !== undefined,
  );
  results.push(...meshPolicyWarnings(meshPolicies, withSidecar));
  return {
    workloads: workloadPlans,
    services: servicePlans,
    networkPolicies: policies.plans,
    added: policies.generated,
    dropped: policies.dropped.map((p) => p.at),
    results,
  };
}

function planWorkload(
  config: InjectionConfig,
  w: Workload,
  decision: SidecarDecision,
): { plan: WorkloadPlan; results: Result[] } {
  if (!decision.gets) {
    const results = [...whyNoSidecar(decision, w)];
    if (w.earlier) results.push(result('info', `removed sidecar "${w.earlier.container}" from an earlier run`, w));
    return { plan: { workload: w, decision, podAnnotations: removedAnnotations(w) }, results };
  }
  const sidecar = buildSidecar(config, decision.mappings);
  const problems = collisions(w, sidecar, config.boundPorts);
  if (problems.length)
    return { plan: { workload: w, decision, podAnnotations: removedAnnotations(w) }, results: problems };
  const ports = decision.mappings.map(
    (m) => `${m.appPort} -> ${m.listenPort}${m.chosen ? ` (app port ${m.appPort}: ${m.chosen})` : ''}`,
  );
  const message = `sidecar "${sidecar.name}" in front of app port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`;
  return {
    plan: { workload: w, decision, sidecar, podAnnotations: injectedAnnotations(w, sidecar, decision.mappings) },
    results: [result('info', message, w), ...hostPortWarnings(w, decision.mappings)],
  };
}

/** What a selected workload without the sidecar is told. */
function whyNoSidecar(decision: Exclude<SidecarDecision, { gets: true }>, w: Workload): Result[] {
  switch (decision.why) {
    case 'opted-out':
      return [result('info', `opted out with ${INJECT}: "false"`, w)];
    case 'no-pod-template':
      return [
        result(
          'warning',
          `selected, but left alone: it has no pod template at ${decision.detail} (a patch, not a whole object?)`,
          w,
          decision.detail,
        ),
      ];
    case 'no-app-port': {
      const remedy = `Declare the port, or name it with the ${APP_PORT} annotation.`;
      return [result('warning', `selected, but left without a sidecar. ${decision.detail} ${remedy}`, w)];
    }
    case 'host-network': {
      const why = "its ports are the node's, so traffic cannot be sent through a sidecar (Istio skips such pods too)";
      return [
        result('warning', `selected, but left alone: hostNetwork: true; ${why}`, w, `${base(w)}spec.hostNetwork`),
      ];
    }
    case 'app-port-twice':
      return [result('error', decision.detail, w)];
    default:
      return [];
  }
}

const base = (w: Workload) => (w.kind.podTemplatePath.length ? `${w.kind.podTemplatePath.join('.')}.` : '');

/** A fronted app port also published on the node is a path to the app that skips the sidecar. */
function hostPortWarnings(w: Workload, mappings: readonly ResolvedMapping[]): Result[] {
  return declaredPorts(w.containers)
    .filter(
      (p) =>
        p.hostPort !== undefined && mappings.some((m) => m.appPort === p.containerPort && m.protocol === p.protocol),
    )
    .map((p) => {
      const message = `app port ${p.containerPort} of container "${p.container}" is published on the node as hostPort ${p.hostPort}: that path reaches the app without the sidecar`;
      return result('warning', message, w, `${base(w)}spec.${p.at}.hostPort`);
    });
}
