// The sidecar a workload gets: the config's container with one port per applied entry and the app
// port in its env, checked against the pod for name and port collisions, and the pod template
// annotations that record it.
import type { Container, ContainerPort, EnvVar } from 'kubernetes-types/core/v1.js';
import { DEFAULT_CONTAINER, STATUS } from '../annotations.js';
import type { InjectionConfig } from '../config/schema.js';
import { recordsAnnotation } from '../objects/ledger.js';
import { appContainersOf } from '../objects/mesh.js';
import { declaredPorts, protocolOf } from '../objects/ports.js';
import { type InjectionStatus, listKey, podField, type Workload } from '../objects/workload.js';
import { type Result, result } from '../results.js';
import type { ResolvedMapping } from './decide.js';
import { withListenPorts } from './mesh-ports.js';
import { NO_PARTS, type PodParts } from './pod-parts.js';
import { restrictedUnder } from './security.js';
import { sidecarNames } from './seen-by.js';

export function buildSidecar(
  config: InjectionConfig,
  mappings: readonly ResolvedMapping[],
  native: boolean,
): Container {
  const base = config.container;
  const ports: ContainerPort[] = [...(base.ports ?? [])];
  for (const m of mappings) {
    if (ports.some((p) => p.containerPort === m.listenPort && protocolOf(p) === m.protocol)) continue;
    ports.push({
      ...(m.name ? { name: m.name } : {}),
      containerPort: m.listenPort,
      ...(m.protocol !== 'TCP' ? { protocol: m.protocol } : {}),
    });
  }
  // The sidecar learns each workload's app port through env, so `$(APP_PORT)` in its args works by
  // Kubernetes' own expansion. Ours come first: expansion only sees variables defined earlier.
  const userEnv = base.env ?? [];
  const ours: EnvVar[] = mappings.length ? [{ name: 'APP_PORT', value: String(mappings[0]!.appPort) }] : [];
  if (config.ports.length > 1)
    for (const m of mappings) ours.push({ name: `APP_PORT_${m.listenPort}`, value: String(m.appPort) });
  const env = [...ours.filter((e) => !userEnv.some((u) => u.name === e.name)), ...userEnv];
  // A native sidecar is an init container that keeps running: restartPolicy: Always, beside its image.
  const { name, image, ...rest } = base;
  const head = native ? { name, image, restartPolicy: 'Always' } : { name, image };
  // The config's own key order: env, ports and securityContext stay where the config has them, or come last.
  // The drain: the sidecar keeps accepting while the endpoint removal reaches every node.
  const drain = config.drainSeconds
    ? { lifecycle: { ...(base.lifecycle ?? {}), preStop: { sleep: { seconds: config.drainSeconds } } } }
    : {};
  return {
    ...head,
    ...rest,
    ...(env.length || base.env ? { env } : {}),
    ...(ports.length || base.ports ? { ports } : {}),
    ...drain,
    securityContext: restrictedUnder(base.securityContext),
  } as Container;
}

/** Every collision of the sidecar with the pod: its name, a port number, a port name. */
export function collisions(
  w: Workload,
  sidecar: Container,
  native: boolean,
  boundPorts: readonly { port: number; what: string }[] = [],
): Result[] {
  const field = podField(w, native ? 'spec.initContainers' : 'spec.containers');
  const problems: Result[] = [];
  const others = [...w.containers, ...w.initContainers];
  // Ports a preset's image binds without declaring them (loopback too: the pod shares one localhost).
  for (const { port, what } of boundPorts) {
    const taken = declaredPorts(others).find((q) => q.containerPort === port && q.protocol === 'TCP');
    if (taken)
      problems.push(result('error', `${what} collides with port ${port} of container "${taken.container}"`, w, field));
  }
  if (others.some((c) => c.name === sidecar.name)) {
    const user = sidecarNames(w.others).has(sidecar.name) ? 'another injection' : 'an app container';
    const message = `container name "${sidecar.name}" is already used by ${user}; choose another spec.container.name`;
    problems.push(result('error', message, w, field));
  }
  const podPorts = declaredPorts(others);
  for (const p of sidecar.ports ?? []) {
    const protocol = protocolOf(p);
    const taken = podPorts.find((q) => q.containerPort === p.containerPort && q.protocol === protocol);
    if (taken) {
      const what = `port ${taken.containerPort}${taken.name ? ` (${taken.name})` : ''} of container "${taken.container}"`;
      problems.push(result('error', `sidecar port ${p.containerPort}/${protocol} collides with ${what}`, w, field));
    }
    const named = p.name ? podPorts.find((q) => q.name === p.name) : undefined;
    if (named) {
      const message = `sidecar port name "${p.name}" is already used by container "${named.container}"; port names are unique in a pod`;
      problems.push(result('error', message, w, field));
    }
  }
  return problems;
}

/**
 * The pod template annotations for an injected workload: the status record, and the default
 * container set to the first app container (never a mesh proxy) unless the user set one.
 */
export function injectedAnnotations(
  name: string,
  w: Workload,
  sidecar: Container,
  mappings: readonly ResolvedMapping[],
  native: boolean,
  parts: PodParts = NO_PARTS,
  redirect?: string,
) {
  const others = sidecarNames(w.others);
  const firstApp = appContainersOf(w.containers).find((c) => !others.has(c.name))?.name;
  const setDefault = w.podAnnotations[DEFAULT_CONTAINER] === undefined && firstApp !== undefined;
  // Under redirect only Dapr's app port moves: daprd delivers on loopback, which no redirect catches.
  const mesh = withListenPorts(w.podAnnotations, mappings, redirect === undefined);
  const originals = Object.fromEntries(Object.keys(mesh).map((key) => [key, w.podAnnotations[key]!]));
  const status = statusRecord({
    container: sidecar.name,
    native,
    ports: mappings.map((m) => ({ appPort: m.appPort, listenPort: m.listenPort, protocol: m.protocol })),
    ...(redirect ? { redirect } : {}),
    ...(setDefault ? { defaultContainer: firstApp } : {}),
    ...(Object.keys(mesh).length ? { meshAnnotations: originals } : {}),
    ...(parts.volumes.length ? { volumes: parts.volumes.map((v) => v.name) } : {}),
    ...(parts.imagePullSecrets.length ? { imagePullSecrets: parts.imagePullSecrets } : {}),
    ...(parts.appVolumeMounts.length
      ? {
          appVolumeMounts: parts.appVolumeMounts.map((m) => ({ container: m.container, mountPath: m.mount.mountPath })),
        }
      : {}),
    ...emptyListsFilled(w, parts, native, redirect),
  });
  // A mesh annotation the earlier run changed and this one does not goes back to the user's value
  // (the workload is seen with it restored: seen-by.ts, withoutListenPorts).
  const restored = Object.keys(w.earlier?.meshAnnotations ?? {})
    .filter((key) => !Object.hasOwn(mesh, key))
    .map((key) => [key, w.podAnnotations[key]]);
  return {
    [STATUS]: recordsAnnotation(name, w.others, status),
    ...(setDefault ? { [DEFAULT_CONTAINER]: firstApp } : {}),
    ...Object.fromEntries(restored),
    ...mesh,
  };
}

/**
 * The lists this injection fills that the user wrote empty (`volumes:` or `[]`): as the earlier run
 * recorded them, or as the pod has them now. A removal gives them back so, byte for byte.
 */
function emptyListsFilled(
  w: Workload,
  parts: PodParts,
  native: boolean,
  redirect: string | undefined,
): { emptyLists?: Record<string, null | []> } {
  const filled = [
    ...(redirect || native ? [listKey('initContainers')] : []),
    ...(parts.volumes.length ? [listKey('volumes')] : []),
    ...(parts.imagePullSecrets.length ? [listKey('imagePullSecrets')] : []),
    ...new Set(parts.appVolumeMounts.map((m) => listKey('volumeMounts', m.container))),
  ];
  const out: Record<string, null | []> = {};
  for (const key of filled) {
    // null is a form here (`key:`), so the earlier record is asked by key, not with ??.
    const earlier = w.earlier?.emptyLists;
    const form = earlier && Object.hasOwn(earlier, key) ? earlier[key] : w.emptyLists[key];
    if (form !== undefined) out[key] = form;
  }
  return Object.keys(out).length ? { emptyLists: out } : {};
}

/** Taking an earlier sidecar out: drop the status, and give back the default container the user had. */
export function removedAnnotations(name: string, w: Workload): Record<string, string | undefined> {
  if (!w.earlier) return {};
  const { defaultContainer } = w.earlier;
  // The default container this injection set stays while other sidecars remain: it is handed to the
  // first of them by name, which would have set it alone, and goes when the last one goes.
  const heir = defaultContainer !== undefined ? Object.keys(w.others).sort()[0] : undefined;
  const others = heir ? { ...w.others, [heir]: statusRecord({ ...w.others[heir]!, defaultContainer }) } : w.others;
  const restoreDefaultContainer = defaultContainer !== undefined && heir === undefined;
  // The workload is seen with this injection's listen ports already out of its mesh annotations
  // (seen-by.ts, withoutListenPorts): those values are what the annotations go back to.
  const restoreMesh = Object.keys(w.earlier.meshAnnotations ?? {}).map((key) => [key, w.podAnnotations[key]]);
  return {
    [STATUS]: recordsAnnotation(name, others, undefined),
    ...(restoreDefaultContainer ? { [DEFAULT_CONTAINER]: w.podAnnotations[DEFAULT_CONTAINER] } : {}),
    ...Object.fromEntries(restoreMesh),
  };
}

/** A status record with its keys in the one order this function writes them. */
function statusRecord(s: InjectionStatus): InjectionStatus {
  return {
    container: s.container,
    ...(s.native ? { native: s.native } : {}),
    ports: s.ports,
    ...(s.redirect !== undefined ? { redirect: s.redirect } : {}),
    ...(s.defaultContainer !== undefined ? { defaultContainer: s.defaultContainer } : {}),
    ...(s.meshAnnotations ? { meshAnnotations: s.meshAnnotations } : {}),
    ...(s.volumes ? { volumes: s.volumes } : {}),
    ...(s.imagePullSecrets ? { imagePullSecrets: s.imagePullSecrets } : {}),
    ...(s.appVolumeMounts ? { appVolumeMounts: s.appVolumeMounts } : {}),
    ...(s.emptyLists ? { emptyLists: s.emptyLists } : {}),
  };
}
