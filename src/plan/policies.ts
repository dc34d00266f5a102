// NetworkPolicies follow the port change. Traffic through a rewired Service now arrives on the
// sidecar's listen port; a policy that admitted the app port and not the listen port would drop
// it (an outage). `spec.networkPolicies` is a ladder, each mode adding one thing to the one below:
//   keep     nothing changes; each rule that now blocks the new path is named in a warning;
//   follow   (default) every ingress rule that admits a moved app port also admits its listen port;
//            the app port it still admits is a path past the sidecar, and a warning says so;
//   replace  and the app port is taken out, so the app is reachable only through the WAF;
//   generate and every injected workload that no policy selects gets a policy of its own.
// A rule with no ports admits everything, the app port included: that is a warning, whatever the
// mode. The sidecar-to-app hop is on localhost, which no policy can block.
import { GENERATED_BY, GENERATED_FOR } from '../annotations.js';
import type { InjectionConfig } from '../config/schema.js';
import { labelIndex } from '../objects/label-index.js';
import { recordsAnnotation } from '../objects/ledger.js';
import { type NetworkPolicy, type PolicyPort, type RuleRecord, ruleChange } from '../objects/network-policy.js';
import { type Protocol, protocolOf, resolvePort } from '../objects/ports.js';
import { type Obj, objectKey, sameData } from '../objects/shape.js';
import { declaredAppPorts, type Workload } from '../objects/workload.js';
import { type ResourceRef, type Result, result } from '../results.js';
import { type FrontedPort, frontsAny, type PlannedWorkload } from './workload.js';

export interface PolicyPlan {
  policy: NetworkPolicy;
  /** Each ingress rule's ports as they should be (undefined: every port, as written). */
  rules: (readonly PolicyPort[] | undefined)[];
  /** This injection's changed rules. */
  records: RuleRecord[];
  /** The annotation as it should be: every injection's record, this one's updated. */
  annotation?: string;
}

export interface PoliciesPlan {
  plans: PolicyPlan[];
  /** NetworkPolicies to add (networkPolicies: generate), as plain objects. */
  generated: Obj[];
  /** Policies an earlier run generated that are no longer wanted. */
  dropped: NetworkPolicy[];
  results: Result[];
}

export function planPolicies(
  config: InjectionConfig,
  policies: readonly NetworkPolicy[],
  workloads: readonly PlannedWorkload[],
): PoliciesPlan {
  const results: Result[] = [];
  // Policies this injection generated are its own output, never the user's: regenerated or dropped.
  const isOurs = (p: NetworkPolicy) => p.generated?.by === config.name && p.at.path.length === 0;
  const ours = policies.filter(isOurs);
  const theirs = policies.filter((p) => !isOurs(p));
  const selectedBy = podsSelectedBy(workloads);
  const plans = theirs.map((policy) => {
    const planned = planPolicy(config, policy, selectedBy(policy));
    results.push(...planned.results);
    const plan = keepUnchanged(planned.plan);
    const { records } = plan;
    return {
      ...plan,
      annotation: recordsAnnotation(config.name, policy.others, records.length ? records : undefined),
    };
  });
  const wanted =
    config.networkPolicies === 'generate'
      ? unguarded(theirs, workloads, selectedBy).map((w) => generatedPolicy(config, w))
      : [];
  // An earlier generated policy that is still wanted as it is stays byte for byte; the rest go.
  const key = (ref: ResourceRef) => objectKey(ref.namespace, ref.name);
  const oursByKey = new Map(ours.map((p) => [key(p.ref), p]));
  const kept = new Set(
    wanted.filter((g) => sameData(oursByKey.get(key(g.ref))?.generated?.object, g.object)).map((g) => key(g.ref)),
  );
  const generated = wanted.filter((g) => !kept.has(key(g.ref)));
  const dropped = ours.filter((p) => !kept.has(key(p.ref)));
  for (const g of generated) {
    const ports = g.ports.map((p) => p.port).join(', ');
    results.push(
      result('info', `generated for ${g.workload}: admits ingress on ${ports} only, not on the fronted app ports`, g),
    );
  }
  for (const p of dropped)
    results.push(result('info', 'removed: it was generated for a workload that no longer gets this sidecar', p));
  return { plans, generated: generated.map((g) => g.object), dropped, results };
}

/**
 * A rule this injection changed before: when it would make the same change again, the rule stays
 * exactly as it is, other injections' entries where they stand.
 */
function keepUnchanged(plan: PolicyPlan): PolicyPlan {
  const { earlier } = plan.policy;
  if (!earlier) return plan;
  const rules = [...plan.rules];
  for (const record of plan.records) {
    if (sameData(earlier.get(record.rule), record)) rules[record.rule] = plan.policy.current.rules[record.rule];
  }
  return { ...plan, rules };
}

interface Generated {
  ref: ResourceRef;
  workload: string;
  ports: PolicyPort[];
  object: Obj;
}

/** Injected workloads that no policy restricting ingress selects: east-west traffic reaches their app. */
function unguarded(
  policies: readonly NetworkPolicy[],
  workloads: readonly PlannedWorkload[],
  selectedBy: (policy: NetworkPolicy) => PlannedWorkload[],
): PlannedWorkload[] {
  const guarded = new Set(policies.filter((p) => p.restrictsIngress).flatMap(selectedBy));
  return workloads.filter((p) => frontsAny(p) && !guarded.has(p));
}

/**
 * One policy per unguarded injected workload: ingress on the listen ports and on the pod's other
 * ports, not on the fronted app ports. Named after the workload and labelled, so a later run finds
 * it again and removes it when the workload no longer gets the sidecar.
 */
function generatedPolicy(
  config: InjectionConfig,
  { workload: w, fronts: mappings, serves }: PlannedWorkload,
): Generated {
  const fronted = (p: { port: number; protocol: Protocol }) =>
    mappings.some((m) => m.appPort === p.port && m.protocol === p.protocol);
  const other = serves.filter((p) => !fronted(p));
  const port = (n: number, protocol: Protocol): PolicyPort => ({
    ...(protocol !== 'TCP' ? { protocol } : {}),
    port: n,
  });
  const ports: PolicyPort[] = [];
  for (const p of [
    ...mappings.map((m) => port(m.listenPort, m.protocol)),
    ...other.map((p) => port(p.port, p.protocol)),
  ])
    if (!ports.some((q) => sameData(q, p))) ports.push(p);
  const name = `${w.ref.name}-${config.name}`.slice(0, 253);
  const ref: ResourceRef = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    name,
    ...(w.ref.namespace ? { namespace: w.ref.namespace } : {}),
  };
  const object = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name,
      ...(w.ref.namespace ? { namespace: w.ref.namespace } : {}),
      labels: { 'app.kubernetes.io/managed-by': 'inject-sidecar' },
      annotations: { [GENERATED_BY]: config.name, [GENERATED_FOR]: `${w.ref.kind}/${w.ref.name}` },
    },
    spec: { podSelector: { matchLabels: { ...w.podLabels } }, policyTypes: ['Ingress'], ingress: [{ ports }] },
  };
  return { ref, workload: `${w.ref.kind} ${w.ref.name}`, ports, object };
}

/** The workloads whose pods a policy selects: of its own namespace, with matching pod labels. */
function podsSelectedBy(workloads: readonly PlannedWorkload[]): (policy: NetworkPolicy) => PlannedWorkload[] {
  const select = labelIndex(
    workloads.filter((p) => p.workload.missing === undefined),
    (p) => p.workload.ref.namespace,
    (p) => p.workload.podLabels,
  );
  return (policy) => select(policy.ref.namespace, policy.podSelector);
}

function planPolicy(
  config: InjectionConfig,
  policy: NetworkPolicy,
  selected: readonly PlannedWorkload[],
): { plan: PolicyPlan; results: Result[] } {
  const asWritten: PolicyPlan = { policy, rules: policy.rules, records: [] };
  // Only a sidecar in front of an app port changes what a policy must admit.
  const injected = selected.filter(frontsAny);
  if (!policy.restrictsIngress || injected.length === 0) return { plan: asWritten, results: [] };
  const everyPodInjected = selected.every((p) => p.hasSidecar);
  // replace and generate take the fronted app ports out; follow and keep leave them.
  const takesOut = config.networkPolicies === 'replace' || config.networkPolicies === 'generate';
  const plan: PolicyPlan = { policy, rules: [], records: [] };
  const results: Result[] = [];
  policy.rules.forEach((ports, i) => {
    const field = `spec.ingress[${i}].ports`;
    if (ports === undefined) {
      plan.rules.push(undefined);
      const message = `ingress[${i}] admits every port, so ${appPortsOf(injected)} ${plural(injected) ? 'stay' : 'stays'} reachable without the sidecar`;
      results.push(result('warning', message, policy, `spec.ingress[${i}]`));
      return;
    }
    const moved = movedPorts(ports, injected);
    // replace also takes out an app port the rule admits beside a listen port it admits already (a range over both).
    const admitted = takesOut && everyPodInjected ? admittedAppPorts(ports, injected) : [];
    // follow: every fronted app port the rule admits stays admitted, a path past the sidecar.
    const open = config.networkPolicies === 'follow' ? admittedAppPorts(ports, injected) : [];
    if (moved.length === 0 && admitted.length === 0) {
      plan.rules.push(ports);
      // A rule that admits both already (a range over both): nothing to change, still a path.
      if (open.length)
        results.push(
          result(
            'warning',
            `ingress[${i}] admits listen port ${list(open, 'listenPort')} already, and ${appPortWords(open)} admitted: the pods it admits reach the app past the sidecar (networkPolicies: replace takes ${open.length > 1 ? 'them' : 'it'} out)`,
            policy,
            field,
          ),
        );
      return;
    }
    if (config.networkPolicies === 'keep') {
      plan.rules.push(ports);
      const message = `ingress[${i}] admits app port ${list(moved, 'appPort')} but not listen port ${list(moved, 'listenPort')}, so traffic through the rewired Service is dropped (networkPolicies: keep)`;
      results.push(result('warning', message, policy, field));
      return;
    }
    let wanted = withListenPorts(ports, moved);
    if (takesOut) {
      if (everyPodInjected) wanted = withoutAppPorts(wanted, admitted, injected);
      else {
        const message = `ingress[${i}] keeps app port ${list(moved, 'appPort')}: the policy also selects pods without the sidecar (networkPolicies: ${config.networkPolicies})`;
        results.push(result('warning', message, policy, field));
      }
    }
    plan.rules.push(wanted);
    if (sameData(wanted, ports)) return;
    plan.records.push(ruleChange(i, ports, wanted));
    const verb = takesOut && everyPodInjected ? 'instead of' : 'beside';
    const already = admitted.filter((a) => !moved.some((m) => sameFront(a, m)));
    const said = [
      ...(moved.length
        ? [`admits listen port ${list(moved, 'listenPort')} ${verb} app port ${list(moved, 'appPort')}`]
        : []),
      ...(already.length
        ? [
            `no longer admits app port ${list(already, 'appPort')} (it admitted listen port ${list(already, 'listenPort')} already)`,
          ]
        : []),
    ];
    // follow: the listen port is admitted, and the app port still is: east-west traffic to it skips the WAF.
    const stillAdmitted = open.length > 0;
    const past = stillAdmitted
      ? `; ${appPortWords(open)} admitted, so the pods it admits reach the app past the sidecar (networkPolicies: replace takes ${open.length > 1 ? 'them' : 'it'} out)`
      : '';
    const message = `ingress[${i}]: ${said.join('; ')} (sidecar)${past}`;
    results.push(result(stillAdmitted ? 'warning' : 'info', message, policy, field));
  });
  return { plan, results };
}

const plural = (injected: readonly PlannedWorkload[]) =>
  new Set(injected.flatMap((i) => i.fronts.map((m) => m.appPort))).size > 1;
const appPortsOf = (injected: readonly PlannedWorkload[]) => {
  const ports = [...new Set(injected.flatMap((i) => i.fronts.map((m) => m.appPort)))];
  return `app port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`;
};
/** `app port 8080 stays` or `app ports 8080, 8090 stay`. */
const appPortWords = (open: readonly Moved[]) =>
  open.length > 1 ? `app ports ${list(open, 'appPort')} stay` : `app port ${list(open, 'appPort')} stays`;
const list = (moved: readonly Moved[], key: 'appPort' | 'listenPort') =>
  [...new Set(moved.map((m) => m[key]))].join(', ');

/** An app port a rule admits, moved to the listen port its traffic now arrives on. */
type Moved = FrontedPort;

/** Whether a port entry admits this port of this workload's pod (a name resolves per pod). */
export function admits(
  entry: PolicyPort,
  port: number,
  protocol: Protocol,
  w: Workload,
  listenPortsByName: ReadonlyMap<string, number> = new Map(),
): boolean {
  if (protocolOf(entry) !== protocol) return false;
  if (entry.port === undefined) return true;
  if (typeof entry.port === 'string') {
    const resolved = resolvePort(entry.port, declaredAppPorts(w), protocol) ?? listenPortsByName.get(entry.port);
    return resolved === port;
  }
  return entry.endPort !== undefined ? entry.port <= port && port <= entry.endPort : entry.port === port;
}

/** The app ports this rule admits in some injected pod, with the listen port each moved to. */
function movedPorts(ports: readonly PolicyPort[], injected: readonly PlannedWorkload[]): Moved[] {
  const moved: Moved[] = [];
  for (const { workload, fronts } of injected) {
    const listenPortsByName = new Map(fronts.filter((m) => m.name).map((m) => [m.name!, m.listenPort]));
    for (const m of fronts) {
      if (!ports.some((e) => admits(e, m.appPort, m.protocol, workload, listenPortsByName))) continue;
      if (ports.some((e) => admits(e, m.listenPort, m.protocol, workload, listenPortsByName))) continue;
      if (!moved.some((x) => x.listenPort === m.listenPort && x.protocol === m.protocol)) moved.push(m);
    }
  }
  return moved;
}

/** The rule's ports with each missing listen port added, as a number (names on sidecars are CNI-specific). */
function withListenPorts(ports: readonly PolicyPort[], moved: readonly Moved[]): PolicyPort[] {
  const out = [...ports];
  for (const m of moved) {
    const like = ports.find((e) => protocolOf(e) === m.protocol);
    out.push({ ...(like?.protocol !== undefined ? { protocol: like.protocol } : {}), port: m.listenPort });
  }
  return out;
}

/** The fronted app ports this rule admits in some injected pod. */
function admittedAppPorts(ports: readonly PolicyPort[], injected: readonly PlannedWorkload[]): Moved[] {
  const out: Moved[] = [];
  for (const { workload, fronts } of injected) {
    const names = new Map(fronts.filter((m) => m.name).map((m) => [m.name!, m.listenPort]));
    for (const m of fronts)
      if (ports.some((e) => admits(e, m.appPort, m.protocol, workload, names)) && !out.some((x) => sameFront(x, m)))
        out.push(m);
  }
  return out;
}

const sameFront = (a: Moved, b: Moved) => a.appPort === b.appPort && a.protocol === b.protocol;

/** The rule's ports with these app ports taken out: entries removed, ranges split around each. */
function withoutAppPorts(
  ports: readonly PolicyPort[],
  appPorts: readonly Moved[],
  injected: readonly PlannedWorkload[],
): PolicyPort[] {
  const out: PolicyPort[] = [];
  for (const entry of ports) {
    const holes = appPorts.filter((m) =>
      injected.some(({ workload, fronts }) => {
        const names = new Map(fronts.filter((x) => x.name).map((x) => [x.name!, x.listenPort]));
        return admits(entry, m.appPort, m.protocol, workload, names);
      }),
    );
    if (holes.length === 0 || entry.port === undefined) {
      out.push(entry);
      continue;
    }
    if (typeof entry.port === 'number' && entry.endPort !== undefined)
      out.push(
        ...splitRange(
          entry,
          entry.port,
          entry.endPort,
          holes.map((h) => h.appPort),
        ),
      );
  }
  return out;
}

/** A range with ports taken out: the ranges between them, single ports where a part is one port wide. */
function splitRange(entry: PolicyPort, start: number, end: number, holes: readonly number[]): PolicyPort[] {
  const { endPort: _range, ...single } = entry;
  const part = (from: number, to: number): PolicyPort[] =>
    from > to ? [] : [to > from ? { ...single, port: from, endPort: to } : { ...single, port: from }];
  const out: PolicyPort[] = [];
  let from = start;
  for (const hole of [...new Set(holes)].sort((a, b) => a - b)) {
    out.push(...part(from, hole - 1));
    from = hole + 1;
  }
  return out.concat(part(from, end));
}
