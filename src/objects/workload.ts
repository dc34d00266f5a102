// Workloads: objects that carry a pod template. The pod template is reached through one small
// table, so a new kind is a row here, not a change to the plan.
import type { Container } from 'kubernetes-types/core/v1.js';
import * as z from 'zod/mini';
import { DEFAULT_CONTAINER, STATUS } from '../annotations.js';
import type { Subject } from '../results.js';
import type { KrmObject, ObjectAt } from './read.js';
import { below, checkShape, isObj, type Obj, readJsonAnnotation, type StringMap, stringMap } from './shape.js';

export interface WorkloadKind {
  kind: string;
  /** The API versions this kind is served under, old ones included (Istio injects those too). */
  apiVersions: readonly string[];
  /** Path from the object to its pod template (metadata + spec). Empty: the object is the pod. */
  podTemplatePath: readonly string[];
  /** Whether the sidecar is injected into this kind yet; others are only read for pairing. */
  injectable: boolean;
}

const row = (kind: string, apiVersions: string[], podTemplatePath: string[], injectable = false): WorkloadKind => ({
  kind,
  apiVersions,
  podTemplatePath,
  injectable,
});
const template = ['spec', 'template'];

const workloadKinds: readonly WorkloadKind[] = [
  row('Deployment', ['apps/v1', 'apps/v1beta1', 'apps/v1beta2', 'extensions/v1beta1'], template, true),
  row('StatefulSet', ['apps/v1', 'apps/v1beta1', 'apps/v1beta2'], template),
  row('DaemonSet', ['apps/v1', 'apps/v1beta2', 'extensions/v1beta1'], template),
  row('ReplicaSet', ['apps/v1', 'apps/v1beta2', 'extensions/v1beta1'], template),
  row('Job', ['batch/v1'], template),
  row('CronJob', ['batch/v1', 'batch/v1beta1', 'batch/v2alpha1'], ['spec', 'jobTemplate', 'spec', 'template']),
  row('ReplicationController', ['v1'], template),
  row('Pod', ['v1'], []),
  row('Rollout', ['argoproj.io/v1alpha1'], template),
];

export function workloadKindOf(apiVersion: string, kind: string): WorkloadKind | undefined {
  return workloadKinds.find((k) => k.kind === kind && k.apiVersions.includes(apiVersion));
}

/** An injectable kind written with an API version it is not served under (a typo, or a CRD of that name). */
export function unknownVersionOf(apiVersion: string, kind: string): WorkloadKind | undefined {
  return workloadKinds.find((k) => k.injectable && k.kind === kind && !k.apiVersions.includes(apiVersion));
}

/** What an earlier run injected, as recorded in the status annotation. */
export interface InjectionStatus {
  container: string;
  ports: { appPort: number; listenPort: number; protocol: string }[];
  /** The default-container annotation value this function set, if it set one. */
  defaultContainer?: string;
  /** Mesh port-list annotations this function extended, with the values the user wrote. */
  meshAnnotations?: Record<string, string>;
}

/** A workload as plain data, with any earlier injection already taken out. */
export interface Workload extends Subject {
  order: number;
  at: ObjectAt;
  kind: WorkloadKind;
  labels: StringMap;
  annotations: StringMap;
  /** The path of the pod template or pod spec this object lacks (a kustomize patch, say). */
  missing?: string;
  /** `hostNetwork: true`: the pod's ports are the node's. */
  hostNetwork: boolean;
  podLabels: StringMap;
  podAnnotations: StringMap;
  /** The pod's containers less an earlier run's sidecar (mesh proxies included). */
  containers: readonly Container[];
  initContainers: readonly Container[];
  /** Set when an earlier run injected a sidecar into this workload. */
  earlier?: InjectionStatus;
  /** What the object holds now, for the apply step to change only what differs. */
  current: { podAnnotations: StringMap; sidecar?: { container: Container; last: boolean } };
}

/** The pod template of an object of this kind, or undefined. */
export function podTemplateOf(object: Obj, kind: WorkloadKind): Obj | undefined {
  let at: unknown = object;
  for (const key of kind.podTemplatePath) at = isObj(at) ? at[key] : undefined;
  return isObj(at) ? at : undefined;
}

// The parts of a container the plan relies on, checked so that a malformed pod template is an
// error naming the field instead of a crash further in.
const containerPortShape = z.looseObject({
  containerPort: z.int(),
  name: z.optional(z.string()),
  protocol: z.optional(z.string()),
});
const containersShape = z.nullish(
  z.array(z.looseObject({ name: z.string(), ports: z.nullish(z.array(containerPortShape)) })),
);

const containerList = (value: unknown, about: Subject, field: string) =>
  (checkShape(containersShape, value, about, field) ?? []) as unknown as Container[];

const isStatus = (v: unknown): v is InjectionStatus =>
  isObj(v) && typeof v.container === 'string' && Array.isArray(v.ports);

/** The earlier sidecar and its annotations taken out, so the plan starts from what the user wrote. */
function withoutEarlierInjection(
  podAnnotations: StringMap,
  containers: Container[],
  earlier: InjectionStatus | undefined,
) {
  const sidecarAt = earlier ? containers.findIndex((c) => c.name === earlier.container) : -1;
  const appContainers = sidecarAt >= 0 ? containers.filter((_, i) => i !== sidecarAt) : containers;
  const userAnnotations: Record<string, string> = Object.assign(Object.create(null), podAnnotations);
  if (earlier) {
    delete userAnnotations[STATUS];
    if (earlier.defaultContainer !== undefined && userAnnotations[DEFAULT_CONTAINER] === earlier.defaultContainer)
      delete userAnnotations[DEFAULT_CONTAINER];
    for (const [key, written] of Object.entries(earlier.meshAnnotations ?? {})) userAnnotations[key] = written;
  }
  const sidecar =
    sidecarAt >= 0 ? { container: containers[sidecarAt]!, last: sidecarAt === containers.length - 1 } : undefined;
  return { appContainers, userAnnotations, sidecar };
}

export function readWorkload(object: KrmObject, kind: WorkloadKind): Workload {
  const plain = object.plain!;
  const about: Subject = object;
  const metadata = isObj(plain.metadata) ? plain.metadata : {};
  const base = kind.podTemplatePath.join('.');
  const common = {
    ref: object.ref,
    ...(object.file ? { file: object.file } : {}),
    order: object.order,
    at: object.at,
    kind,
    labels: stringMap(metadata.labels, about, 'metadata.labels'),
    annotations: stringMap(metadata.annotations, about, 'metadata.annotations'),
  };
  const template = podTemplateOf(plain, kind);
  const podSpec = template && isObj(template.spec) ? template.spec : undefined;
  if (!template || !podSpec) {
    const missing = template ? below(base, 'spec') : base;
    const empty = { podLabels: {}, podAnnotations: {}, containers: [], initContainers: [], hostNetwork: false };
    return { ...common, missing, ...empty, current: { podAnnotations: {} } };
  }
  const at = (field: string) => below(base, field);
  const podMetadata = isObj(template.metadata) ? template.metadata : {};
  const podAnnotations = stringMap(podMetadata.annotations, about, at('metadata.annotations'));
  const remedy = 'remove it and the sidecar by hand';
  const earlier = readJsonAnnotation(podAnnotations, STATUS, isStatus, about, at('metadata.annotations'), remedy);
  const containers = containerList(podSpec.containers, about, at('spec.containers'));
  const { appContainers, userAnnotations, sidecar } = withoutEarlierInjection(podAnnotations, containers, earlier);
  return {
    ...common,
    podLabels: stringMap(podMetadata.labels, about, at('metadata.labels')),
    hostNetwork: podSpec.hostNetwork === true,
    podAnnotations: userAnnotations,
    containers: appContainers,
    initContainers: containerList(podSpec.initContainers, about, at('spec.initContainers')),
    ...(earlier ? { earlier } : {}),
    current: { podAnnotations, ...(sidecar ? { sidecar } : {}) },
  };
}
