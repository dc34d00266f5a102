// Rewiring a paired Service: each port whose target reaches a mapped app port moves to the
// sidecar's listen port, and only when every pod the Service selects gets the sidecar. The cases
// where it is left alone are named functions, each with the warning that says why.

import type { AppProtocol } from '../config/schema.js';
import { recordsAnnotation } from '../objects/ledger.js';
import type { IntOrString, ServicePort, Spoken } from '../objects/ports.js';
import { declaredPorts, protocolOf, resolvePort, serviceTarget, spokenTo } from '../objects/ports.js';
import type { RewiredPort, Service } from '../objects/service.js';
import { runningContainers, type Workload } from '../objects/workload.js';
import { describeRef, type Result, result } from '../results.js';
import { sidecarNames } from './seen-by.js';
import { frontsAny, type PlannedWorkload } from './workload.js';

export interface ServicePlan {
  service: Service;
  /** Each port's targetPort as it should be; undefined means omitted. */
  targetPorts: (IntOrString | undefined)[];
  /** This injection's rewired ports. */
  rewired: RewiredPort[];
  /** The rewired-ports annotation as it should be: every injection's record, this one's updated. */
  annotation?: string;
  /** Ports left on an app port of a workload that has the sidecar: their traffic bypasses it. */
  bypass: ServicePort[];
}

const names = (ws: readonly PlannedWorkload[]) => ws.map((w) => describeRef(w.workload.ref)).join(', ');
const portLabel = (sp: ServicePort) => `port ${sp.port}${sp.name ? ` (${sp.name})` : ''}`;

/** What a route says it speaks to a Service port (plan/routes.ts: spokenByRoutes). */
export type RouteSpeaks = (service: Service, sp: ServicePort) => { spoken: Spoken; by: string } | undefined;

export function planService(
  name: string,
  service: Service,
  paired: readonly PlannedWorkload[],
  routeSpeaks: RouteSpeaks = () => undefined,
): { plan: ServicePlan; results: Result[] } {
  // Ports this injection rewired and another one now fronts (a chain) stay as they are, recorded.
  const covered = [...(service.covered?.values() ?? [])];
  const withRecord = (plan: Omit<ServicePlan, 'annotation'>): ServicePlan => ({
    ...plan,
    annotation: recordsAnnotation(name, service.others, plan.rewired.length ? plan.rewired : undefined),
  });
  const unchanged = {
    service,
    targetPorts: service.ports.map((p) => p.targetPort ?? undefined),
    rewired: covered,
    bypass: [],
  };
  // A sidecar in front of no port (spec.ports empty) changes nothing about a Service.
  const injected = paired.filter(frontsAny);
  if (injected.length === 0) return { plan: withRecord(unchanged), results: [] };
  const skipped = skipHeadless(service, injected) ?? skipMixed(service, paired);
  if (skipped) {
    const bypass = service.ports.filter((sp) => listenPortFor(sp, injected) !== undefined);
    return { plan: withRecord({ ...unchanged, bypass }), results: [skipped] };
  }
  const plan: Omit<ServicePlan, 'annotation'> = { service, targetPorts: [], rewired: [], bypass: [] };
  const results: Result[] = [];
  service.ports.forEach((sp, i) => {
    const field = `spec.ports[${i}].targetPort`;
    const chained = service.covered?.get(i);
    if (chained) {
      plan.targetPorts.push(sp.targetPort ?? undefined);
      plan.rewired.push(chained);
      return;
    }
    const listenPort = listenPortFor(sp, injected);
    const mismatch =
      typeof listenPort === 'number' && protocolMismatch(sp, listenPort, injected, routeSpeaks(service, sp));
    if (mismatch) {
      plan.targetPorts.push(sp.targetPort ?? undefined);
      results.push(result('warning', mismatch, service, field));
      plan.bypass.push(sp);
      return;
    }
    if (typeof listenPort === 'number') {
      plan.targetPorts.push(listenPort);
      plan.rewired.push({
        port: sp.port,
        protocol: protocolOf(sp),
        ...(sp.targetPort !== undefined ? { targetPort: sp.targetPort } : {}),
        listenPort,
      });
      const target = JSON.stringify(serviceTarget(sp));
      results.push(result('info', `${portLabel(sp)}: targetPort ${target} -> ${listenPort} (sidecar)`, service, field));
      return;
    }
    plan.targetPorts.push(sp.targetPort ?? undefined);
    const warning = listenPort === 'differs' ? differentListenPorts(sp, injected) : bypassWarning(sp, injected);
    if (!warning) return;
    results.push(result('warning', warning, service, field));
    plan.bypass.push(sp);
  });
  return { plan: withRecord(plan), results };
}

/** A listener that serves one protocol takes clients of another only in these pairs (gRPC rides on h2c). */
const understands = (serves: AppProtocol, spoken: Spoken) =>
  serves === spoken || (serves === 'h2c' && spoken === 'grpc') || (serves === 'grpc' && spoken === 'h2c');

/**
 * Clients that speak TLS, h2c or gRPC to a port (its appProtocol, Istio's port name, an Ingress's
 * backend-protocol) sent to a listener that serves plain HTTP fail, every request: the port stays
 * on the app, and the warning says what to declare.
 */
function protocolMismatch(
  sp: ServicePort,
  listenPort: number,
  injected: readonly PlannedWorkload[],
  byRoute: { spoken: Spoken; by: string } | undefined,
): string | undefined {
  const speaks = spokenTo(sp) ?? byRoute;
  if (!speaks) return undefined;
  const serves = injected[0]!.fronts.find((f) => f.listenPort === listenPort)?.appProtocol ?? 'http';
  if (understands(serves, speaks.spoken)) return undefined;
  return (
    `${portLabel(sp)} left alone: clients speak ${speaks.spoken} to it (${speaks.by}), but the sidecar's listen port ${listenPort} ` +
    `serves ${serves} (spec.ports[].appProtocol), so every request would fail. If the sidecar serves ${speaks.spoken}, say so ` +
    `with appProtocol: ${speaks.spoken} on that ports entry; until then this port bypasses the sidecar`
  );
}

/** Clients of a headless Service reach pod addresses directly: no targetPort to move. */
function skipHeadless(service: Service, injected: readonly PlannedWorkload[]): Result | undefined {
  if (!service.headless) return undefined;
  const message = `left alone: headless, so clients reach pod addresses directly and bypass the sidecar in ${names(injected)}`;
  return result('warning', message, service, 'spec.clusterIP');
}

/** Rewiring a Service that also selects pods without the sidecar would be an outage for those pods. */
function skipMixed(service: Service, paired: readonly PlannedWorkload[]): Result | undefined {
  const without = paired.filter((p) => !p.hasSidecar);
  if (without.length === 0) return undefined;
  const message =
    `left alone: it also selects pods of ${names(without)}, which have no sidecar; rewiring it would send traffic to a port ` +
    'those pods do not open. Select both or neither, or split the Service';
  return result('warning', message, service, 'spec.selector');
}

/** The one listen port this Service port's target maps to in every injected workload. */
function listenPortFor(sp: ServicePort, injected: readonly PlannedWorkload[]): number | 'differs' | undefined {
  const protocol = protocolOf(sp);
  const target = serviceTarget(sp);
  const listens = injected.map(({ workload, fronts }) => {
    const appPort = resolvePort(target, declaredPorts(runningContainers(workload)), protocol);
    return fronts.find((m) => m.appPort === appPort && m.protocol === protocol)?.listenPort;
  });
  const first = listens[0];
  if (first !== undefined && listens.every((l) => l === first)) return first;
  return listens.some((l) => l !== undefined) ? 'differs' : undefined;
}

function differentListenPorts(sp: ServicePort, injected: readonly PlannedWorkload[]): string {
  return `${portLabel(sp)} left alone: its target ${JSON.stringify(serviceTarget(sp))} maps to different listen ports across ${names(injected)}`;
}

/** A port that still reaches the app directly, unless it already targets the sidecar itself. */
function bypassWarning(sp: ServicePort, injected: readonly PlannedWorkload[]): string | undefined {
  const target = serviceTarget(sp);
  if (alreadyOnListenPort(target, injected)) return undefined;
  return (
    `${portLabel(sp)} still targets app port ${JSON.stringify(target)} of ${names(injected)}, so its traffic bypasses the sidecar; ` +
    'add a ports entry for it if it should be filtered'
  );
}

/** The target is this sidecar's listen port, or another injection's sidecar: not the app. */
const alreadyOnListenPort = (target: IntOrString, injected: readonly PlannedWorkload[]) =>
  injected.every(
    ({ workload, fronts }) =>
      (typeof target === 'number' && fronts.some((m) => m.listenPort === target)) || onAnotherSidecar(target, workload),
  );

function onAnotherSidecar(target: IntOrString, w: Workload): boolean {
  const theirs = sidecarNames(w.others);
  const ports = declaredPorts(runningContainers(w)).filter((p) => theirs.has(p.container));
  return ports.some((p) => (typeof target === 'number' ? p.containerPort === target : p.name === target));
}
