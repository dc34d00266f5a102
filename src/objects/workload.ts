// Workloads: objects that carry a pod template. The pod template is reached through one small
// table, so a new kind is a row here, not a change to the plan.
import type { Container, Volume } from 'kubernetes-types/core/v1.js';
import * as z from 'zod/mini';
import { HOOKS, STATUS } from '../annotations.js';
import type { Subject } from '../results.js';
import { readRecords } from './ledger.js';
import { appContainersOf } from './mesh.js';
import { declaredPorts } from './ports.js';
import { type KrmObject, type ObjectAt, placedOf } from './read.js';
import { below, checkShape, has, isObj, type Obj, type StringMap, stringMap } from './shape.js';

export interface WorkloadKind {
  kind: string;
  /** The API versions this kind is served under, old ones included (Istio injects those too). */
  apiVersions: readonly string[];
  /** Path from the object to its pod template (metadata + spec). Empty: the object is the pod. */
  podTemplatePath: readonly string[];
  /** Whether `spec.kinds` may name it; a PodTemplate is injected only through a Rollout's workloadRef. */
  selectable: boolean;
  /** Its pods run to completion (Job, CronJob): a regular sidecar would keep them from ever finishing. */
  completes?: boolean;
  /** Not in the table: a kind that carries a pod template (foreignKindOf). Its pods count; it is never injected. */
  foreign?: boolean;
}

const template = ['spec', 'template'];
const row = (kind: string, apiVersions: string[], podTemplatePath = template, more: Partial<WorkloadKind> = {}) => ({
  kind,
  apiVersions,
  podTemplatePath,
  selectable: true,
  ...more,
});

const workloadKinds: readonly WorkloadKind[] = [
  row('Deployment', ['apps/v1', 'apps/v1beta1', 'apps/v1beta2', 'extensions/v1beta1']),
  row('StatefulSet', ['apps/v1', 'apps/v1beta1', 'apps/v1beta2']),
  row('DaemonSet', ['apps/v1', 'apps/v1beta2', 'extensions/v1beta1']),
  row('ReplicaSet', ['apps/v1', 'apps/v1beta2', 'extensions/v1beta1']),
  row('ReplicationController', ['v1']),
  row('Job', ['batch/v1'], template, { completes: true }),
  row('CronJob', ['batch/v1', 'batch/v1beta1', 'batch/v2alpha1'], ['spec', 'jobTemplate', 'spec', 'template'], {
    completes: true,
  }),
  row('Pod', ['v1'], []),
  row('Rollout', ['argoproj.io/v1alpha1']),
  row('PodTemplate', ['v1'], ['template'], { selectable: false }),
];

/** The kinds `spec.kinds` may name: the table's selectable rows, in its order (a test keeps them in step). */
export const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
  'Pod',
  'Rollout',
] as const;
export const selectableKinds = () => workloadKinds.filter((k) => k.selectable).map((k) => k.kind);

export function workloadKindOf(apiVersion: string, kind: string): WorkloadKind | undefined {
  return workloadKinds.find((k) => k.kind === kind && k.apiVersions.includes(apiVersion));
}

/** Where a kind the table does not know keeps a pod template, if it has one: the shapes Kubernetes uses. */
const FOREIGN_TEMPLATE_PATHS = [template, ['spec', 'jobTemplate', 'spec', 'template']];

/**
 * A kind the table does not know that carries a pod template with containers (OpenShift
 * DeploymentConfig, OpenKruise CloneSet, Knative Service): its pods are real, so they count for
 * pairing, NetworkPolicies and the audit; it is never selected or injected.
 */
export function foreignKindOf(apiVersion: string, kind: string, plain: Obj): WorkloadKind | undefined {
  for (const podTemplatePath of FOREIGN_TEMPLATE_PATHS) {
    const pod = podTemplateOf(plain, { podTemplatePath });
    if (pod && isObj(pod.spec) && Array.isArray(pod.spec.containers))
      return { kind, apiVersions: [apiVersion], podTemplatePath, selectable: false, foreign: true };
  }
  return undefined;
}

/** A workload kind written with an API version it is not served under (a typo, or a CRD of that name). */
export function unknownVersionOf(apiVersion: string, kind: string): WorkloadKind | undefined {
  return workloadKinds.find((k) => k.selectable && k.kind === kind && !k.apiVersions.includes(apiVersion));
}

/** What one injection put into the pod, as recorded in the status annotation under its name. */
export interface InjectionStatus {
  container: string;
  /** The sidecar is a native one: first in initContainers, with restartPolicy: Always. */
  native?: boolean;
  ports: { appPort: number; listenPort: number; protocol: string }[];
  /** The default-container annotation value this function set, if it set one. */
  defaultContainer?: string;
  /** Mesh port-list annotations this function extended, with the values the user wrote. */
  meshAnnotations?: Record<string, string>;
  /** The pod's volumes this injection brought (spec.volumes), by name. */
  volumes?: string[];
  /** The pod's image pull Secrets this injection brought, by name. */
  imagePullSecrets?: string[];
  /** The mounts this injection put into app containers (spec.appVolumeMounts). */
  appVolumeMounts?: AppMount[];
  /** The init container that redirects the fronted ports to the sidecar (capture: redirect), by name. */
  redirect?: string;
  /** Lists it put entries into that were written empty (`volumes:` or `volumes: []`), by listKey. */
  emptyLists?: Record<string, null | []>;
}

/** A pod list's key for the status record: `volumes`, `imagePullSecrets`, `containers[app].volumeMounts`. */
export const listKey = (list: string, container?: string) =>
  container === undefined ? list : `containers[${container}].${list}`;

/** A mount in an app container, by the container's name and the mount's path (unique in a container). */
export interface AppMount {
  container: string;
  mountPath: string;
}

/** The status annotation's records by injection name (shape.ts: readRecords). */
export type Statuses = Readonly<Record<string, InjectionStatus>>;

/** A Rollout's `spec.workloadRef`: its pods come from another object's template. */
export interface WorkloadRef {
  kind: string;
  name: string;
}

/** A workload as the input holds it, as plain data. */
export interface WorkloadObject extends Subject {
  order: number;
  at: ObjectAt;
  kind: WorkloadKind;
  labels: StringMap;
  annotations: StringMap;
  /** The path of the pod template or pod spec this object lacks (a kustomize patch, say). */
  missing?: string;
  /** A Rollout without a template of its own: where its pods come from. */
  workloadRef?: WorkloadRef;
  /** A hook of its release (`helm.sh/hook: test`, say), not one of its workloads: which annotation, and its value. */
  hook?: string;
  /** `hostNetwork: true`: the pod's ports are the node's. */
  hostNetwork: boolean;
  /**
   * Its pods run to completion: a Job or CronJob, or a pod with restartPolicy Never or OnFailure.
   * A regular sidecar would keep such a pod running forever.
   */
  completes: boolean;
  podLabels: StringMap;
  podAnnotations: StringMap;
  containers: readonly Container[];
  initContainers: readonly Container[];
  /** The pod's volumes and image pull Secrets (by name). */
  volumes: readonly Volume[];
  imagePullSecrets: readonly string[];
  /** The pod's lists written empty (null or []), by listKey: a removal gives them back so. */
  emptyLists: Readonly<Record<string, null | []>>;
  /** The pod's securityContext.runAsUser, which its containers inherit. */
  podRunAsUser?: number;
  /** The pod's terminationGracePeriodSeconds, when set (Kubernetes' default is 30). */
  terminationGracePeriodSeconds?: number;
  /** Every injection's record, by name. */
  statuses: Statuses;
}

/** Where a sidecar sits in the pod now. */
export interface SidecarPlace {
  container: Container;
  /** In initContainers (a native sidecar), else in containers. */
  native: boolean;
  /** Its index in that list, as written. */
  index: number;
}

/**
 * A workload as one injection sees it: its own earlier sidecar and annotations taken out, so the
 * plan starts from what the user (and the other injections) wrote.
 */
export interface Workload extends WorkloadObject {
  /** The pod's containers less this injection's earlier sidecar (mesh proxies and other sidecars stay). */
  containers: readonly Container[];
  initContainers: readonly Container[];
  /** Set when an earlier run of this injection put a sidecar into this workload. */
  earlier?: InjectionStatus;
  /** The other injections' records. */
  others: Statuses;
  /** What the object holds now, for the apply step to change only what differs. */
  current: {
    podAnnotations: StringMap;
    sidecar?: SidecarPlace;
    /** This injection's redirect init container, where it stands in initContainers. */
    redirect?: { container: Container; index: number };
    containers: readonly Container[];
    volumes: readonly Volume[];
    imagePullSecrets: readonly string[];
  };
}

/** Whether a container is a native sidecar: an init container that keeps running (Kubernetes 1.29+). */
export const isNativeSidecar = (c: Container) => c.restartPolicy === 'Always';

/** The containers that run beside the app and open its ports: regular ones and native sidecars. */
export const runningContainers = (w: Pick<WorkloadObject, 'containers' | 'initContainers'>): Container[] => [
  ...w.containers,
  ...w.initContainers.filter(isNativeSidecar),
];

/** The ports the pod's app containers declare: running containers, mesh proxies left out. */
export const declaredAppPorts = (w: Pick<WorkloadObject, 'containers' | 'initContainers'>) =>
  declaredPorts(appContainersOf(runningContainers(w)));

/** A field of the pod: below the pod template, or the Pod's own (`spec.hostNetwork`). */
export const podField = (w: Pick<WorkloadObject, 'kind'>, path: string) =>
  below(w.kind.podTemplatePath.join('.'), path);

/** The pod template of an object of this kind, or undefined. */
export function podTemplateOf(object: Obj, kind: Pick<WorkloadKind, 'podTemplatePath'>): Obj | undefined {
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

const emptyForm = (v: unknown): null | [] | undefined =>
  v === null ? null : Array.isArray(v) && v.length === 0 ? [] : undefined;

/** The pod's lists an injection may fill that are written empty, and how. */
function emptyListsOf(podSpec: Obj): Record<string, null | []> {
  const out: Record<string, null | []> = {};
  const note = (key: string, v: unknown) => {
    const form = emptyForm(v);
    if (form !== undefined) out[key] = form;
  };
  if (has(podSpec, 'volumes')) note(listKey('volumes'), podSpec.volumes);
  if (has(podSpec, 'imagePullSecrets')) note(listKey('imagePullSecrets'), podSpec.imagePullSecrets);
  if (has(podSpec, 'initContainers')) note(listKey('initContainers'), podSpec.initContainers);
  if (Array.isArray(podSpec.containers))
    for (const c of podSpec.containers)
      if (isObj(c) && typeof c.name === 'string' && has(c, 'volumeMounts'))
        note(listKey('volumeMounts', c.name), c.volumeMounts);
  return out;
}

// Volumes and image pull Secrets are entries with a name; the rest is the API server's to check.
const namedListShape = z.nullish(z.array(z.looseObject({ name: z.string() })));

const containerList = (value: unknown, about: Subject, field: string) =>
  (checkShape(containersShape, value, about, field) ?? []) as unknown as Container[];

const isStatus = (v: unknown): v is InjectionStatus =>
  isObj(v) && typeof v.container === 'string' && Array.isArray(v.ports);

export function readWorkload(object: KrmObject, kind: WorkloadKind): WorkloadObject {
  const plain = object.plain!;
  const about: Subject = object;
  const metadata = isObj(plain.metadata) ? plain.metadata : {};
  const base = kind.podTemplatePath.join('.');
  const annotations = stringMap(metadata.annotations, about, 'metadata.annotations');
  const hook = HOOKS.find((a) => has(annotations, a));
  const common = {
    ...placedOf(object),
    kind,
    labels: stringMap(metadata.labels, about, 'metadata.labels'),
    annotations,
    ...(hook ? { hook: `${hook}: ${annotations[hook]}` } : {}),
  };
  const template = podTemplateOf(plain, kind);
  const podSpec = template && isObj(template.spec) ? template.spec : undefined;
  if (!template || !podSpec) {
    const empty = {
      podLabels: {},
      podAnnotations: {},
      containers: [],
      initContainers: [],
      volumes: [],
      imagePullSecrets: [],
      emptyLists: {},
      hostNetwork: false,
      completes: kind.completes === true,
    };
    const ref = template ? undefined : workloadRefOf(plain, kind, about);
    if (ref) return { ...common, workloadRef: ref, ...empty, statuses: {} };
    return { ...common, missing: template ? below(base, 'spec') : base, ...empty, statuses: {} };
  }
  const at = (field: string) => below(base, field);
  const podMetadata = isObj(template.metadata) ? template.metadata : {};
  const podAnnotations = stringMap(podMetadata.annotations, about, at('metadata.annotations'));
  const remedy = 'remove it and the sidecars by hand';
  const statuses = readRecords(podAnnotations, STATUS, isStatus, about, at('metadata.annotations'), remedy);
  return {
    ...common,
    podLabels: stringMap(podMetadata.labels, about, at('metadata.labels')),
    hostNetwork: podSpec.hostNetwork === true,
    completes: kind.completes === true || podSpec.restartPolicy === 'Never' || podSpec.restartPolicy === 'OnFailure',
    podAnnotations,
    containers: containerList(podSpec.containers, about, at('spec.containers')),
    initContainers: containerList(podSpec.initContainers, about, at('spec.initContainers')),
    volumes: (checkShape(namedListShape, podSpec.volumes, about, at('spec.volumes')) ?? []) as Volume[],
    emptyLists: emptyListsOf(podSpec),
    imagePullSecrets: (
      checkShape(namedListShape, podSpec.imagePullSecrets, about, at('spec.imagePullSecrets')) ?? []
    ).map((r) => r.name),
    ...(typeof podSpec.terminationGracePeriodSeconds === 'number'
      ? { terminationGracePeriodSeconds: podSpec.terminationGracePeriodSeconds }
      : {}),
    ...(isObj(podSpec.securityContext) && typeof podSpec.securityContext.runAsUser === 'number'
      ? { podRunAsUser: podSpec.securityContext.runAsUser }
      : {}),
    statuses,
  };
}

const workloadRefShape = z.looseObject({ kind: z.string(), name: z.string().check(z.minLength(1)) });

/** An Argo Rollout may take its pods from a Deployment, ReplicaSet or PodTemplate (`spec.workloadRef`). */
function workloadRefOf(plain: Obj, kind: WorkloadKind, about: Subject): WorkloadRef | undefined {
  if (kind.kind !== 'Rollout' || !isObj(plain.spec) || plain.spec.workloadRef == null) return undefined;
  const ref = checkShape(workloadRefShape, plain.spec.workloadRef, about, 'spec.workloadRef');
  return ref ? { kind: ref.kind, name: ref.name } : undefined;
}
