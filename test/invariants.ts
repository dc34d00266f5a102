// The invariants every run must keep, checked on plain objects before and after the function.
// Used by the corpus runs and the property tests alike; each returns what it found broken.
import { isDeepStrictEqual } from 'node:util';
import { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-models/apps/v1';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { Pod, ReplicationController, Service } from 'kubernetes-models/v1';

export type Obj = Record<string, any>;
export interface Finding {
  severity: string;
  kind?: string;
  namespace?: string;
  name?: string;
  message: string;
}

const STATUS = 'inject-sidecar.dev/status';
const REWIRED = 'inject-sidecar.dev/rewired-ports';
const id = (o: Obj) => `${o?.kind} ${o?.metadata?.namespace ?? ''}/${o?.metadata?.name}`;
const nsOf = (o: Obj) => o.metadata?.namespace ?? undefined;
// The checker's own view of pod templates and selectors, written from the Kubernetes API docs and
// not imported from src/, so a bug there cannot hide itself here.
const POD_TEMPLATE_PATHS: Record<string, string[]> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
  Rollout: ['spec', 'template'],
  Pod: [],
  PodTemplate: ['template'],
};
/** Where any other kind keeps a pod template, if it has one (OpenShift DeploymentConfig, OpenKruise CloneSet, Knative). */
const OTHER_TEMPLATE_PATHS = [
  ['spec', 'template'],
  ['spec', 'jobTemplate', 'spec', 'template'],
];
const at = (o: Obj, path: string[]) => path.reduce<any>((x, key) => x?.[key], o);
/** Hooks run beside a release (Helm tests, Argo CD sync hooks): their pods are not the release's. */
const isHook = (o: Obj) =>
  o?.metadata?.annotations?.['helm.sh/hook'] !== undefined ||
  o?.metadata?.annotations?.['argocd.argoproj.io/hook'] !== undefined;
export const podOf = (o: Obj): Obj | undefined => {
  if (isHook(o)) return undefined;
  const path = POD_TEMPLATE_PATHS[o?.kind];
  if (path) {
    const pod = at(o, path);
    return pod && typeof pod === 'object' && pod.spec ? pod : undefined;
  }
  // A kind the table does not know still runs pods if it carries a template with containers.
  return OTHER_TEMPLATE_PATHS.map((p) => at(o, p)).find((pod) => Array.isArray(pod?.spec?.containers));
};
/** A Service selector: every pair present. */
const selects = (selector: Obj, labels: Obj = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);
/** A LabelSelector: matchLabels and every expression hold; {} selects everything. */
export function matchesLabelSelector(selector: Obj, labels: Obj = {}): boolean {
  if (!selects(selector.matchLabels ?? {}, labels)) return false;
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }: Obj) => {
    const present = key in labels;
    if (operator === 'In') return present && values.includes(labels[key]);
    if (operator === 'NotIn') return !present || !values.includes(labels[key]);
    if (operator === 'Exists') return present;
    return !present;
  });
}
/** Objects with every v1 List opened into its items, as the function reads them. */
export const flattenLists = (objs: readonly Obj[]): Obj[] =>
  objs.flatMap((o) => (o?.apiVersion === 'v1' && o?.kind === 'List' ? flattenLists(o.items ?? []) : [o]));
const containersOf = (o: Obj): Obj[] => podOf(o)?.spec?.containers ?? [];
const initContainersOf = (o: Obj): Obj[] => podOf(o)?.spec?.initContainers ?? [];
/** Containers that run beside the app: regular ones and native sidecars (init, restartPolicy: Always). */
const runningOf = (o: Obj): Obj[] => [
  ...containersOf(o),
  ...initContainersOf(o).filter((c) => c.restartPolicy === 'Always'),
];
const COMPLETES = new Set(['Job', 'CronJob']);
const hasWarning = (findings: readonly Finding[], o: Obj) =>
  findings.some(
    (f) =>
      f.severity === 'warning' &&
      f.kind === o.kind &&
      f.name === o.metadata?.name &&
      (f.namespace ?? undefined) === nsOf(o),
  );

function withoutOurAnnotations(o: Obj): Obj {
  const copy = structuredClone(o);
  const strip = (m: Obj | undefined) => {
    if (!m?.annotations) return;
    delete m.annotations[STATUS];
    delete m.annotations[REWIRED];
    delete m.annotations['kubectl.kubernetes.io/default-container'];
    delete m.annotations['inject-sidecar.dev/ingress-ports'];
    if (Object.keys(m.annotations).length === 0) delete m.annotations;
  };
  strip(copy.metadata);
  strip(podOf(copy)?.metadata);
  return copy;
}

export interface InvariantOptions {
  sidecarName: string;
  /** spec.kinds: the kinds the config selects from (default Deployment). */
  kinds?: readonly string[];
  /** spec.native; Jobs and CronJobs get a native sidecar unless it is false. */
  native?: boolean;
  listenPorts: readonly number[];
  /** Whether the config selects this workload (selector, namespaces, opt-out). */
  selected: (workload: Obj) => boolean;
  /** spec.appVolumeMounts: the only change an app container may see. */
  appVolumeMounts?: readonly Obj[];
  /** spec.volumes and spec.imagePullSecrets (names): every injected pod has them. */
  volumes?: readonly Obj[];
  imagePullSecrets?: readonly string[];
  /** spec.capture: redirect: Services and policies stay as written, and one init container redirects. */
  capture?: 'service' | 'redirect';
}

/** The status record of the injection whose sidecar has this name. */
const recordOf = (out: Obj, sidecarName: string): Obj | undefined =>
  Object.values(JSON.parse(podOf(out)?.metadata?.annotations?.[STATUS] ?? '{}') as Record<string, Obj>).find(
    (r) => r.container === sidecarName,
  );

/**
 * Under capture: redirect, the one init container `<sidecar>-redirect`, first in initContainers,
 * whose script holds one rule per port the status record says the sidecar fronts, each from the app
 * port to a port the sidecar opens, and no other rule.
 */
function checkRedirect(out: Obj, sidecarName: string, broken: string[]): void {
  const name = `${sidecarName}-redirect`;
  const inits = initContainersOf(out);
  const found = inits.filter((c) => c.name === name);
  if (found.length !== 1 || inits[0]?.name !== name) {
    broken.push(`${id(out)}: ${found.length} redirect init containers, and "${name}" is not first`);
    return;
  }
  const record = recordOf(out, sidecarName);
  const sidecar = runningOf(out).find((c) => c.name === sidecarName);
  const opens = new Set((sidecar?.ports ?? []).map((p: Obj) => `${p.containerPort}/${p.protocol ?? 'TCP'}`));
  const script = (found[0]!.command ?? []).join('\n');
  const rules = [...script.matchAll(/iptables .*-p (\w+) .*--dport (\d+) -j REDIRECT --to-ports (\d+)/g)].map(
    (m) => `${m[1]!.toUpperCase()} ${m[2]} -> ${m[3]}`,
  );
  const wanted = (record?.ports ?? []).map((p: Obj) => `${p.protocol} ${p.appPort} -> ${p.listenPort}`);
  if (!isDeepStrictEqual([...rules].sort(), [...wanted].sort()))
    broken.push(
      `${id(out)}: the redirect's rules [${rules.join(', ')}] are not the fronted ports [${wanted.join(', ')}]`,
    );
  for (const p of record?.ports ?? [])
    if (!opens.has(`${p.listenPort}/${p.protocol}`))
      broken.push(`${id(out)}: the redirect sends ${p.appPort} to ${p.listenPort}, which the sidecar does not open`);
  if (
    !(found[0]!.env ?? []).some((e: Obj) => e.name === 'POD_IP' && e.valueFrom?.fieldRef?.fieldPath === 'status.podIP')
  )
    broken.push(`${id(out)}: the redirect has no POD_IP from status.podIP`);
}

/**
 * A container as the user wrote it: the config's app mounts that the input did not have taken out.
 * An empty `volumeMounts:` (null, as some Helm templates write it) is the same as none to Kubernetes.
 */
const withoutEmptyMounts = (cs: readonly Obj[]) =>
  cs.map((c) => {
    if (c.volumeMounts !== null && !(Array.isArray(c.volumeMounts) && c.volumeMounts.length === 0)) return c;
    const { volumeMounts: _, ...rest } = c;
    return rest;
  });
function withoutAppMounts(after: readonly Obj[], before: readonly Obj[], mounts: readonly Obj[]): Obj[] {
  return withoutEmptyMounts(after).map((c) => {
    const was = before.find((b) => b.name === c.name);
    const added = (m: Obj) =>
      mounts.some((x) => isDeepStrictEqual(x, m)) &&
      !(was?.volumeMounts ?? []).some((x: Obj) => isDeepStrictEqual(x, m));
    if (!c.volumeMounts?.some(added)) return c;
    const kept = c.volumeMounts.filter((m: Obj) => !added(m));
    const { volumeMounts: _, ...rest } = c;
    return kept.length ? { ...rest, volumeMounts: kept } : rest;
  });
}

/**
 * Every mount in the pod names one of its volumes, as the API server requires; a dangling mount the
 * input already had is the user's, not the run's.
 */
function checkMounts(out: Obj, before: Obj, broken: string[]): void {
  const volumes = new Set((podOf(out)?.spec?.volumes ?? []).map((v: Obj) => v.name));
  const had = (c: Obj, m: Obj) =>
    [...containersOf(before), ...initContainersOf(before)].some(
      (b) => b.name === c.name && (b.volumeMounts ?? []).some((x: Obj) => isDeepStrictEqual(x, m)),
    ) && !(podOf(before)?.spec?.volumes ?? []).some((v: Obj) => v.name === m.name);
  for (const c of [...containersOf(out), ...initContainersOf(out)])
    for (const m of c.volumeMounts ?? [])
      if (!volumes.has(m.name) && !had(c, m))
        broken.push(`${id(out)}: container ${c.name} mounts volume ${m.name}, which the pod does not define`);
}

export interface Tally {
  workloads: number;
  injected: number;
  servicesRewired: number;
}

export function checkInvariants(
  inputItems: readonly Obj[],
  outputItems: readonly Obj[],
  findings: readonly Finding[],
  opts: InvariantOptions,
  tally?: Tally,
): string[] {
  const input = flattenLists(inputItems);
  const output = flattenLists(outputItems);
  const broken: string[] = [];
  const fail = (what: string) => broken.push(what);
  // No silent mixed namespaces: objects the function relates by namespace, some with one and some
  // without, land together under kubectl apply -n; the function must say so (or be told where).
  const related = input.filter((o) => podOf(o) || ['Service', 'NetworkPolicy'].includes(o?.kind));
  const namespaces = new Set(related.map((o) => nsOf(o) ?? ''));
  if (namespaces.has('') && namespaces.size > 1 && !findings.some((f) => /has no namespace/.test(f.message)))
    fail('objects with and without a namespace side by side, and no warning says so');
  // Nothing lost: the same items, in the same order.
  if (input.length !== output.length || input.some((o, i) => id(o) !== id(output[i]!))) {
    fail(`items differ: ${input.map(id).join(', ')} -> ${output.map(id).join(', ')}`);
    return broken;
  }
  const sidecarPods = new Set<Obj>();
  const kinds = opts.kinds ?? ['Deployment'];
  // Templates an Argo Rollout of a selected kind runs its pods from (spec.workloadRef).
  const referenced = new Set(
    output
      .filter((o) => o.kind === 'Rollout' && kinds.includes('Rollout') && o.spec?.workloadRef)
      .map((o) => `${nsOf(o) ?? ''}/${o.spec.workloadRef.kind}/${o.spec.workloadRef.name}`),
  );
  const isReferenced = (o: Obj) => referenced.has(`${nsOf(o) ?? ''}/${o.kind}/${o.metadata?.name}`);
  const inScope = (o: Obj) => podOf(o) !== undefined && (kinds.includes(o.kind) || isReferenced(o));
  output.forEach((out, i) => {
    const before = input[i]!;
    if (inScope(out)) {
      tally && tally.workloads++;
      const restartPolicy = podOf(out)?.spec?.restartPolicy;
      const completes = COMPLETES.has(out.kind) || restartPolicy === 'Never' || restartPolicy === 'OnFailure';
      const native = completes ? opts.native !== false : opts.native === true;
      const list = native ? initContainersOf : containersOf;
      const sidecars = [...containersOf(out), ...initContainersOf(out)].filter((c) => c.name === opts.sidecarName);
      if (sidecars.length > 1) fail(`${id(out)} has ${sidecars.length} sidecars`);
      if (sidecars.length === 1) {
        sidecarPods.add(out);
        tally && tally.injected++;
        if (!opts.selected(before) && !isReferenced(before)) fail(`${id(out)} is not selected but got the sidecar`);
        // The app containers, less the sidecar and the config's app mounts (regular containers only).
        const mounts = opts.appVolumeMounts ?? [];
        const apps = containersOf(out).filter((c) => c.name !== opts.sidecarName);
        const redirect = `${opts.sidecarName}-redirect`;
        const inits = initContainersOf(out).filter((c) => c.name !== opts.sidecarName && c.name !== redirect);
        if (
          !isDeepStrictEqual(
            withoutAppMounts(apps, containersOf(before), mounts),
            withoutEmptyMounts(containersOf(before)),
          )
        )
          fail(`${id(out)}: app containers changed`);
        if (!isDeepStrictEqual(inits, initContainersOf(before))) fail(`${id(out)}: app containers changed`);
        const pod = podOf(out)!.spec;
        for (const v of opts.volumes ?? [])
          if (!(pod.volumes ?? []).some((x: Obj) => isDeepStrictEqual(x, v)))
            fail(`${id(out)}: has the sidecar but not the volume ${v.name}`);
        for (const name of opts.imagePullSecrets ?? [])
          if ((pod.imagePullSecrets ?? []).filter((r: Obj) => r.name === name).length !== 1)
            fail(`${id(out)}: has the sidecar but not the pull Secret ${name} exactly once`);
        // A native sidecar is first in initContainers, after the redirect when there is one.
        const redirected = opts.capture === 'redirect' && initContainersOf(out)[0]?.name === redirect;
        if (opts.capture === 'redirect' && recordOf(out, opts.sidecarName)?.ports?.length)
          checkRedirect(out, opts.sidecarName, broken);
        else if (initContainersOf(out).some((c) => c.name === redirect))
          fail(`${id(out)}: has a redirect init container, but no port is redirected`);
        const at = native ? list(out)[redirected ? 1 : 0] : list(out).at(-1);
        if (at?.name !== opts.sidecarName)
          fail(`${id(out)}: the sidecar is not ${native ? 'first in initContainers' : 'last in containers'}`);
        if (native && at?.restartPolicy !== 'Always')
          fail(`${id(out)}: the native sidecar lacks restartPolicy: Always`);
      } else {
        const declaresPort = containersOf(before).some((c) => (c.ports ?? []).length > 0);
        if (opts.selected(before) && declaresPort && !hasWarning(findings, out))
          fail(`${id(out)} is selected and declares a port, but has no sidecar and no warning`);
        if (!isDeepStrictEqual(withoutOurAnnotations(out), withoutOurAnnotations(before)))
          fail(`${id(out)} has no sidecar but changed`);
      }
      if (sidecars.length === 1) {
        validate(out, broken);
        checkPodPorts(out, broken);
      }
      checkMounts(out, before, broken);
    } else if (out.kind === 'NetworkPolicy' && opts.capture === 'redirect') {
      if (!isDeepStrictEqual(out, before)) fail(`${id(out)} changed under capture: redirect`);
    } else if (out.kind === 'NetworkPolicy') {
      // A policy changes in its ingress rules' ports and our record annotation, nowhere else.
      const portsOnly = (o: Obj) => {
        const copy = withoutOurAnnotations(o);
        for (const rule of copy.spec?.ingress ?? []) delete rule.ports;
        return copy;
      };
      if (!isDeepStrictEqual(portsOnly(out), portsOnly(before))) fail(`${id(out)} changed beyond its ingress ports`);
    } else if (out.kind !== 'Service' || out.apiVersion !== 'v1') {
      // Other kinds untouched, and workloads of kinds the config does not select.
      if (!isDeepStrictEqual(out, before)) fail(`${id(out)} is not ours to change, but changed`);
    }
  });
  output.forEach((out, i) => {
    if (out.kind !== 'Service' || out.apiVersion !== 'v1') return;
    const before = input[i]!;
    const selector = out.spec?.selector;
    const pods =
      selector && Object.keys(selector).length
        ? output.filter(
            (w) =>
              podOf(w) &&
              (w.kind !== 'PodTemplate' || isReferenced(w)) &&
              nsOf(w) === nsOf(out) &&
              selects(selector, podOf(w)!.metadata?.labels ?? {}),
          )
        : [];
    if (opts.capture === 'redirect') {
      // Traffic keeps arriving on the app port; the pod redirects it itself.
      if (!isDeepStrictEqual(out, before)) fail(`${id(out)} changed under capture: redirect`);
      return;
    }
    const portsBefore: Obj[] = before.spec?.ports ?? [];
    const portsAfter: Obj[] = out.spec?.ports ?? [];
    let rewired = false;
    portsAfter.forEach((p, j) => {
      const q = portsBefore[j]!;
      if (isDeepStrictEqual(p, q)) return;
      rewired = true;
      const { targetPort: _a, ...restAfter } = p;
      const { targetPort: _b, ...restBefore } = q;
      if (!isDeepStrictEqual(restAfter, restBefore)) fail(`${id(out)} port ${j}: more than targetPort changed`);
      if (!opts.listenPorts.includes(p.targetPort))
        fail(`${id(out)} port ${j}: targetPort ${p.targetPort} is not a listen port`);
      for (const w of pods) {
        const opens = runningOf(w).some(
          (c) => c.name === opts.sidecarName && (c.ports ?? []).some((cp: Obj) => cp.containerPort === p.targetPort),
        );
        if (!opens) fail(`${id(out)} port ${j} -> ${p.targetPort}, which ${id(w)} does not open in its sidecar`);
      }
    });
    if (rewired) {
      tally && tally.servicesRewired++;
      if (out.spec?.clusterIP === 'None') fail(`${id(out)} is headless but was rewired`);
      const without = pods.filter((w) => !sidecarPods.has(w));
      if (without.length)
        fail(`${id(out)} was rewired but also selects ${without.map(id).join(', ')} without the sidecar`);
      if (pods.length === 0) fail(`${id(out)} was rewired but selects no pods`);
    }
    // A Service that still sends traffic straight to an injected workload's app says so.
    if (pods.some((w) => sidecarPods.has(w))) {
      const straight = portsAfter.some((p) => !opts.listenPorts.includes(p.targetPort));
      if (straight && !hasWarning(findings, out))
        fail(`${id(out)} still targets an app port of an injected workload, without a warning`);
    }
    if (rewired) validate(out, broken);
  });
  return broken;
}

const validators: Record<string, new (o: Obj) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment as never,
  'apps/v1 StatefulSet': StatefulSet as never,
  'apps/v1 DaemonSet': DaemonSet as never,
  'apps/v1 ReplicaSet': ReplicaSet as never,
  'batch/v1 Job': Job as never,
  'batch/v1 CronJob': CronJob as never,
  'v1 Pod': Pod as never,
  'v1 ReplicationController': ReplicationController as never,
  'v1 Service': Service as never,
};

/** Validation against the Kubernetes OpenAPI schemas, by kubernetes-models. */
function validate(o: Obj, broken: string[]): void {
  const Model = validators[`${o.apiVersion} ${o.kind}`];
  if (!Model) return;
  try {
    new Model(o).validate();
  } catch (e) {
    broken.push(`${id(o)} is not valid: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Port names unique in the pod and at most 15 characters; no containerPort shared by two containers. */
function checkPodPorts(o: Obj, broken: string[]): void {
  const names = new Map<string, string>();
  const numbers = new Map<string, string>();
  for (const c of runningOf(o)) {
    for (const p of c.ports ?? []) {
      if (p.name !== undefined) {
        if (String(p.name).length > 15) broken.push(`${id(o)}: port name ${p.name} is longer than 15 characters`);
        if (names.has(p.name) && names.get(p.name) !== c.name)
          broken.push(`${id(o)}: port name ${p.name} used by ${names.get(p.name)} and ${c.name}`);
        names.set(p.name, c.name);
      }
      const key = `${p.containerPort}/${p.protocol ?? 'TCP'}`;
      if (numbers.has(key) && numbers.get(key) !== c.name)
        broken.push(`${id(o)}: containerPort ${key} in ${numbers.get(key)} and ${c.name}`);
      numbers.set(key, c.name);
    }
  }
}

/** Whether a policy port entry admits this port of this pod (a name resolves in the pod's containers). */
function policyAdmits(entry: Obj, port: number, protocol: string, pod: Obj): boolean {
  if ((entry.protocol ?? 'TCP') !== protocol) return false;
  if (entry.port === undefined) return true;
  if (typeof entry.port === 'string') {
    const named = (pod.spec?.containers ?? [])
      .flatMap((c: Obj) => c.ports ?? [])
      // A name matches a container port of that name and the rule's protocol.
      .find((p: Obj) => p.name === entry.port && (p.protocol ?? 'TCP') === protocol);
    return named?.containerPort === port;
  }
  return entry.endPort !== undefined ? entry.port <= port && port <= entry.endPort : entry.port === port;
}
const ruleAdmits = (rule: Obj, port: number, protocol: string, pod: Obj) =>
  !rule.ports?.length || rule.ports.some((e: Obj) => policyAdmits(e, port, protocol, pod));

/**
 * No rewired path is blocked: for every Service port moved from app port A to listen port L, each
 * policy that selects its pods and admitted A in some rule admits L in that rule now. With
 * `replaced`, no rule that lists ports admits A any more in a policy whose pods all have the sidecar.
 */
export function checkPolicies(
  input: readonly Obj[],
  output: readonly Obj[],
  opts: { sidecarName: string; replaced?: boolean },
): string[] {
  const broken: string[] = [];
  const before = flattenLists(input);
  const after = flattenLists(output);
  const everyPodHasSidecar = (policy: Obj) =>
    after
      .filter((x) => podOf(x) && nsOf(x) === nsOf(policy))
      .filter((x) => matchesLabelSelector(policy.spec?.podSelector ?? {}, podOf(x)!.metadata?.labels))
      .every((x) => podOf(x)!.spec.containers.some((c: Obj) => c.name === opts.sidecarName));
  after.forEach((svc, i) => {
    if (svc.kind !== 'Service' || !svc.spec?.selector) return;
    const pods = after.filter(
      (w) => podOf(w) && nsOf(w) === nsOf(svc) && selects(svc.spec.selector, podOf(w)!.metadata?.labels),
    );
    (svc.spec.ports ?? []).forEach((p: Obj, j: number) => {
      const old = before[i]?.spec?.ports?.[j];
      if (!old || old.targetPort === p.targetPort) return;
      const protocol: string = old.protocol ?? 'TCP';
      for (const w of pods) {
        const pod = podOf(w)!;
        const appPort = typeof (old.targetPort ?? old.port) === 'number' ? (old.targetPort ?? old.port) : undefined;
        after.forEach((policy, k) => {
          if (policy.kind !== 'NetworkPolicy' || nsOf(policy) !== nsOf(w)) return;
          if (!matchesLabelSelector(policy.spec?.podSelector ?? {}, pod.metadata?.labels)) return;
          const wasRules: Obj[] = before[k]?.spec?.ingress ?? [];
          const nowRules: Obj[] = policy.spec?.ingress ?? [];
          wasRules.forEach((rule, r) => {
            const beforePod = podOf(before[after.indexOf(w)]!) ?? pod;
            const admittedApp =
              appPort === undefined
                ? ruleAdmits(rule, resolved(old, beforePod), protocol, beforePod)
                : ruleAdmits(rule, appPort, protocol, beforePod);
            if (!admittedApp) return;
            if (!ruleAdmits(nowRules[r] ?? {}, p.targetPort, protocol, pod))
              broken.push(
                `${id(policy)} ingress[${r}] admitted the app port of ${id(svc)} port ${p.port} but not its listen port ${p.targetPort}`,
              );
            if (opts.replaced && nowRules[r]?.ports?.length && everyPodHasSidecar(policy)) {
              const stillApp = ruleAdmits(nowRules[r], appPort ?? resolved(old, beforePod), protocol, pod);
              if (stillApp)
                broken.push(
                  `${id(policy)} ingress[${r}] still admits the app port of ${id(svc)} port ${p.port} after replace`,
                );
            }
          });
        });
      }
    });
  });
  return broken;
}

/** A Service port's target as a number in this pod. */
function resolved(port: Obj, pod: Obj): number {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  return (
    (pod.spec?.containers ?? [])
      .flatMap((c: Obj) => c.ports ?? [])
      .find((p: Obj) => p.name === target && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'))?.containerPort ?? -1
  );
}
