// The pure core, wired in one place. Each object as this injection finds it (seen-by.ts); which
// workloads get the sidecar (decide.ts) and the sidecar itself (sidecar.ts); what each workload has
// and fronts (workload.ts), which every later planner reads: Services (pairing.ts, rewire.ts),
// NetworkPolicies (policies.ts), HPAs (autoscalers.ts), routes (routes.ts), mesh authorizations
// (mesh-policies.ts), Rollouts (rollouts.ts), and the config's own warnings (security.ts). Nothing
// here touches YAML; every outcome is a result value.
import type { Container } from 'kubernetes-types/core/v1.js';
import type { InjectionConfig } from '../config/schema.js';
import type { Autoscaler } from '../objects/autoscaler.js';
import type { MeshPolicy } from '../objects/mesh-policy.js';
import type { NamespaceObject } from '../objects/namespace.js';
import type { NetworkPolicyObject } from '../objects/network-policy.js';
import type { Canary, ForeignPolicy, Monitor } from '../objects/outside.js';
import type { ObjectAt } from '../objects/read.js';
import type { Route } from '../objects/route.js';
import type { ServiceObject } from '../objects/service.js';
import type { Obj } from '../objects/shape.js';
import type { Workload, WorkloadObject } from '../objects/workload.js';
import { type Result, result } from '../results.js';
import { autoscalerWarnings } from './autoscalers.js';
import { completesWhy, decideSidecar, type SidecarDecision } from './decide.js';
import { lifecycleResults } from './lifecycle.js';
import { meshPolicyWarnings } from './mesh-policies.js';
import { canaryWarnings, foreignPolicyWarnings, monitorWarnings } from './outside.js';
import { withOverrides } from './overrides.js';
import { pairServices } from './pairing.js';
import { NO_PARTS, type PodParts, planPodParts } from './pod-parts.js';
import { type PolicyPlan, planPolicies } from './policies.js';
import { buildRedirect, redirectProblems, redirectWarnings } from './redirect.js';
import { planService, type ServicePlan } from './rewire.js';
import { resolveWorkloadRefs, type WorkloadRefs } from './rollouts.js';
import { routeWarnings, spokenByRoutes } from './routes.js';
import { sidecarConfigWarnings, unverifiableNonRoot } from './security.js';
import { policySeenBy, serviceSeenBy, workloadSeenBy } from './seen-by.js';
import { foreignWorkloads, hooksLeftAlone, kindsLeftOut, unusedPortEntries } from './selection.js';
import { buildSidecar, collisions, injectedAnnotations, removedAnnotations } from './sidecar.js';
import {
  brokenChains,
  fromOutside,
  frontsAny,
  hostPortWarnings,
  planned,
  podIpBindWarnings,
  type SidecarSlot,
  slotOf,
  whyNoSidecar,
} from './workload.js';

export interface WorkloadPlan {
  workload: Workload;
  decision: SidecarDecision;
  /** The sidecar to have in the pod, or undefined for none. */
  sidecar?: Container;
  /** Where the sidecar stands after this run; set with `sidecar`. */
  slot?: SidecarSlot;
  /** capture: redirect: the init container, first in initContainers, that sends the fronted ports to the sidecar. */
  redirect?: Container;
  /** Pod template annotations to set (a string) or remove (undefined). */
  podAnnotations: Record<string, string | undefined>;
  /** The volumes, image pull Secrets and app mounts this injection has in the pod after this run. */
  parts: PodParts;
  /** The annotation the sidecar's resources came from, when a workload override set them. */
  resourcesFrom?: string;
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
  /** What the render comes to, for the one summary line: counts after this run. */
  summary: PlanSummary;
}

export interface PlanSummary {
  /** Workloads whose pods have the sidecar. */
  workloads: number;
  /** Services with a port on the sidecar's listen port (this injection's record). */
  services: number;
  /** NetworkPolicies with a rule that follows the sidecar, and the ones generated. */
  networkPolicies: number;
}

/** What the plan reads, as the input holds it; the unit tables pass only what they need. */
export interface PlanInput {
  workloads: readonly WorkloadObject[];
  services: readonly ServiceObject[];
  networkPolicies?: readonly NetworkPolicyObject[];
  autoscalers?: readonly Autoscaler[];
  routes?: readonly Route[];
  meshPolicies?: readonly MeshPolicy[];
  canaries?: readonly Canary[];
  monitors?: readonly Monitor[];
  foreignPolicies?: readonly ForeignPolicy[];
  /** Namespaces the input holds: a mesh injector turned on for one (capture: redirect reads it). */
  namespaces?: readonly NamespaceObject[];
}

export function planInjection(config: InjectionConfig, input: PlanInput): Plan {
  const {
    autoscalers = [],
    routes = [],
    meshPolicies = [],
    canaries = [],
    monitors = [],
    foreignPolicies = [],
    namespaces = [],
  } = input;
  const namespaceOf = new Map(namespaces.map((n) => [n.ref.name, n]));
  // Each object as this injection finds it: its own earlier changes out, other injections' in.
  const workloads = input.workloads.map((w) => workloadSeenBy(config.name, w));
  const services = input.services.map((s) => serviceSeenBy(config.name, s));
  const networkPolicies = (input.networkPolicies ?? []).map((p) => policySeenBy(config.name, p));
  const refs = resolveWorkloadRefs(workloads);
  const running = workloads.filter(refs.runsPods);
  const pairing = pairServices(running, services);
  const results: Result[] = [...sidecarConfigWarnings(config)];
  const workloadPlans = workloads.map((w) => {
    const rollouts = refs.rolloutsOf.get(w) ?? [];
    const decision = decideSidecar(config, w, pairing.servicesOf.get(w) ?? [], rollouts);
    const planned = planWorkload(config, w, decision, refs, namespaceOf.get(w.ref.namespace ?? ''));
    results.push(...planned.results);
    return planned.plan;
  });
  results.push(
    ...hooksLeftAlone(workloads),
    ...kindsLeftOut(config, workloads),
    ...foreignWorkloads(workloads),
    ...unusedPortEntries(
      config,
      workloadPlans.map((p) => p.decision),
    ),
  );
  // What every later planner reads: which workloads have the sidecar, in front of which ports.
  const plannedOf = new Map(
    workloadPlans.map((p) => [
      p.workload,
      planned(
        p.workload,
        p.sidecar && p.decision.gets ? p.decision.mappings : undefined,
        pairing.servicesOf.get(p.workload) ?? [],
        p.redirect !== undefined,
      ),
    ]),
  );
  // Services, policies, routes and the rest see a redirected workload fronting nothing they must follow.
  const plannedAs = (w: Workload) => fromOutside(plannedOf.get(w)!);
  const routeSpeaks = spokenByRoutes(routes);
  const servicePlans = services.map((s) => {
    const planned = planService(config.name, s, (pairing.workloadsOf.get(s) ?? []).map(plannedAs), routeSpeaks);
    results.push(...planned.results);
    return planned.plan;
  });
  const runningPlanned = running.map(plannedAs);
  const policies = planPolicies(config, networkPolicies, runningPlanned);
  results.push(...policies.results);
  // Each running workload with the sidecar it actually gets: what the per-sidecar checks read.
  const planOf = new Map(workloadPlans.map((p) => [p.workload, p]));
  const withSidecar = running
    .map((w) => plannedOf.get(w)!)
    .filter((p) => p.hasSidecar)
    .map((p) => {
      const { sidecar, resourcesFrom, slot } = planOf.get(p.workload)!;
      return {
        workload: p.workload,
        sidecar: sidecar!,
        native: slot?.native === true,
        fronts: frontsAny(p),
        ...(resourcesFrom ? { resourcesFrom } : {}),
      };
    });
  results.push(...autoscalerWarnings(autoscalers, withSidecar));
  results.push(...unverifiableNonRoot(config, withSidecar));
  results.push(...lifecycleResults(config, withSidecar));
  results.push(...routeWarnings(routes, servicePlans));
  const fronting = runningPlanned.filter(frontsAny);
  results.push(...meshPolicyWarnings(meshPolicies, fronting));
  results.push(
    ...canaryWarnings(canaries, fronting),
    ...monitorWarnings(
      config,
      monitors,
      fronting,
      servicePlans.map((p) => ({ ...p, behind: (pairing.workloadsOf.get(p.service) ?? []).map(plannedAs) })),
    ),
    ...foreignPolicyWarnings(foreignPolicies, fronting),
  );
  return {
    workloads: workloadPlans,
    services: servicePlans,
    networkPolicies: policies.plans,
    added: policies.generated,
    dropped: policies.dropped.map((p) => p.at),
    results,
    summary: {
      workloads: workloadPlans.filter((p) => p.sidecar).length,
      services: servicePlans.filter((p) => p.rewired.length > 0).length,
      networkPolicies: policies.plans.filter((p) => p.records.length > 0).length + policies.generated.length,
    },
  };
}

function planWorkload(
  config: InjectionConfig,
  w: Workload,
  decision: SidecarDecision,
  refs: WorkloadRefs,
  namespace?: NamespaceObject,
): { plan: WorkloadPlan; results: Result[] } {
  const native = decision.gets ? decision.native : (w.earlier?.native ?? false);
  const none = (results: Result[]) => ({
    plan: { workload: w, decision, podAnnotations: removedAnnotations(config.name, w), parts: NO_PARTS },
    results,
  });
  if (!decision.gets) {
    const results = [...whyNoSidecar(decision, w, refs), ...brokenChains(config, w, [])];
    if (w.earlier) results.push(result('info', `removed sidecar "${w.earlier.container}" from an earlier run`, w));
    return none(results);
  }
  const overridden = withOverrides(config, w, buildSidecar(config, decision.mappings, native));
  const sidecar = overridden.sidecar;
  const { parts, problems: partProblems } = planPodParts(config, w, sidecar, native);
  const redirect =
    config.capture === 'redirect' && decision.mappings.length
      ? buildRedirect(config, sidecar.name, decision.mappings)
      : undefined;
  const problems = [
    ...overridden.results.filter((r) => r.severity === 'error'),
    ...collisions(w, sidecar, native, config.boundPorts),
    ...(redirect
      ? [...collisions(w, redirect, true), ...redirectProblems(config, w, decision.mappings, namespace)]
      : []),
    ...partProblems,
    ...brokenChains(config, w, decision.mappings),
  ];
  if (problems.length) return none(problems);
  // In a chain the "app port" is another sidecar's listen port: say whose.
  const fronts = (port: number) =>
    Object.values(w.others).find((o) => o.ports.some((p) => p.listenPort === port))?.container;
  const ports = decision.mappings.map((m) => {
    const sidecarThere = fronts(m.appPort);
    const what = sidecarThere ? ` (sidecar "${sidecarThere}")` : '';
    return `${m.appPort}${what} -> ${m.listenPort}${m.chosen ? ` (app port ${m.appPort}: ${m.chosen})` : ''}`;
  });
  const where = native
    ? ` (native: ${redirect ? `in initContainers after "${redirect.name}"` : 'first in initContainers'}, restartPolicy: Always)`
    : '';
  const redirected = redirect ? `; init container "${redirect.name}" redirects the pod IP's app ports to it` : '';
  const message = ports.length
    ? `sidecar "${sidecar.name}"${where} in front of app port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}${redirected}`
    : `sidecar "${sidecar.name}"${where} added; spec.ports is empty, so no Service is rewired`;
  const results = [
    result('info', message, w),
    ...overridden.results,
    // A redirect catches what arrives through a hostPort too: the node sends it to the pod IP.
    ...(redirect ? redirectWarnings(w, sidecar, native, decision.mappings) : hostPortWarnings(w, decision.mappings)),
    ...podIpBindWarnings(w, decision.mappings),
  ];
  if (native && config.native === undefined)
    results.push(
      result(
        'info',
        `${completesWhy(w)}, so the sidecar is native: it stops when the app's containers have (Kubernetes 1.29+)`,
        w,
      ),
    );
  const podAnnotations = injectedAnnotations(config.name, w, sidecar, decision.mappings, native, parts, redirect?.name);
  const resourcesFrom = overridden.applied.resources;
  return {
    plan: {
      workload: w,
      decision,
      sidecar,
      slot: slotOf(w, native),
      ...(redirect ? { redirect } : {}),
      podAnnotations,
      parts,
      ...(resourcesFrom ? { resourcesFrom } : {}),
    },
    results,
  };
}
