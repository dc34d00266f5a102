// Workloads: objects that carry a pod template. The pod template is reached through one small
// table, so new kinds are a row here, not a change to the plan.
import type { Container } from 'kubernetes-types/core/v1.js';
import type { ResourceRef, Result } from './results.js';
import type { Labels } from './selector.js';
import { DEFAULT_CONTAINER, STATUS } from './annotations.js';
import * as z from 'zod/mini';
import { pathString } from './config.js';
import { FunctionError } from './results.js';

export interface WorkloadKind {
  /** API groups this kind is recognised in. */
  groups: readonly string[];
  /** Path from the object to its pod template (metadata + spec). Empty: the object is the pod. */
  podTemplatePath: readonly string[];
  /** Whether the sidecar is injected into this kind yet; others are only read for pairing. */
  injectable: boolean;
}

export const workloadKinds: Readonly<Record<string, WorkloadKind>> = {
  Deployment: { groups: ['apps', 'extensions'], podTemplatePath: ['spec', 'template'], injectable: true },
  StatefulSet: { groups: ['apps'], podTemplatePath: ['spec', 'template'], injectable: false },
  DaemonSet: { groups: ['apps', 'extensions'], podTemplatePath: ['spec', 'template'], injectable: false },
  ReplicaSet: { groups: ['apps', 'extensions'], podTemplatePath: ['spec', 'template'], injectable: false },
  Job: { groups: ['batch'], podTemplatePath: ['spec', 'template'], injectable: false },
  CronJob: { groups: ['batch'], podTemplatePath: ['spec', 'jobTemplate', 'spec', 'template'], injectable: false },
  ReplicationController: { groups: [''], podTemplatePath: ['spec', 'template'], injectable: false },
  Pod: { groups: [''], podTemplatePath: [], injectable: false },
  Rollout: { groups: ['argoproj.io'], podTemplatePath: ['spec', 'template'], injectable: false },
};

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function workloadKindOf(apiVersion: string, kind: string): WorkloadKind | undefined {
  const wk = Object.prototype.hasOwnProperty.call(workloadKinds, kind) ? workloadKinds[kind] : undefined;
  return wk && wk.groups.includes(groupOf(apiVersion)) ? wk : undefined;
}

/** What an earlier run injected, as recorded in the status annotation. */
export interface InjectionStatus {
  container: string;
  ports: { appPort: number; listenPort: number; protocol: string }[];
  /** The default-container annotation value this function set, if it set one. */
  defaultContainer?: string;
}

/** A workload as plain data, with any earlier injection already taken out. */
export interface Workload {
  /** Position in the ResourceList. */
  index: number;
  ref: ResourceRef;
  /** The file kpt says the object came from, for results. */
  file?: Result['file'];
  kind: WorkloadKind;
  labels: Labels;
  annotations: Labels;
  podLabels: Labels;
  podAnnotations: Labels;
  /** App containers: the pod's containers less an earlier run's sidecar. */
  containers: readonly Container[];
  initContainers: readonly Container[];
  /** Set when an earlier run injected a sidecar into this workload. */
  injected?: InjectionStatus;
  /** What the object holds now, for the apply step to change only what differs. */
  current: { podAnnotations: Labels; sidecar?: { container: Container; last: boolean } };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function podTemplateOf(object: Obj, kind: WorkloadKind): Obj | undefined {
  let at: unknown = object;
  for (const key of kind.podTemplatePath) at = isObj(at) ? at[key] : undefined;
  return isObj(at) ? at : undefined;
}

function stringMap(value: unknown, ref: ResourceRef, field: string): Labels {
  if (value === undefined || value === null) return {};
  if (!isObj(value)) throw new FunctionError(`${field} is not a map`, ref, field);
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(value)) out[k] = typeof v === 'string' ? v : String(v);
  return out;
}

// The parts of a container the plan relies on, checked so that a malformed pod template is an
// error naming the field instead of a crash further in.
const containerPortShape = z.looseObject({
  containerPort: z.int(),
  name: z.optional(z.string()),
  protocol: z.optional(z.string()),
});
const containersShape = z.nullish(z.array(z.looseObject({ name: z.string(), ports: z.nullish(z.array(containerPortShape)) })));

export function checkShape<T>(schema: z.ZodMiniType<T>, value: unknown, ref: ResourceRef, field: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = `${field}${issue.path.length ? (typeof issue.path[0] === 'number' ? '' : '.') + pathString(issue.path) : ''}`;
  throw new FunctionError(`${path}: ${issue.message.replace(/^Invalid input: /, '')}`, ref, path);
}

function containerList(value: unknown, ref: ResourceRef, field: string): Container[] {
  return (checkShape(containersShape, value, ref, field) ?? []) as unknown as Container[];
}

export function readStatus(podAnnotations: Labels, ref: ResourceRef, field: string): InjectionStatus | undefined {
  const raw = podAnnotations[STATUS];
  if (raw === undefined) return undefined;
  try {
    const status = JSON.parse(raw) as InjectionStatus;
    if (typeof status.container === 'string' && Array.isArray(status.ports)) return status;
  } catch {
    // fall through to the error below
  }
  throw new FunctionError(`annotation ${STATUS} is not what this function writes; remove it and the sidecar by hand`, ref, field);
}

export function readWorkload(index: number, ref: ResourceRef, kind: WorkloadKind, object: Obj): Workload {
  const template = podTemplateOf(object, kind);
  const base = kind.podTemplatePath.join('.');
  const at = (field: string) => (base ? `${base}.${field}` : field);
  if (!template) throw new FunctionError(`has no pod template at ${base}`, ref, base);
  const metadata = isObj(object.metadata) ? object.metadata : {};
  const podMetadata = isObj(template.metadata) ? template.metadata : {};
  const podSpec = isObj(template.spec) ? template.spec : undefined;
  if (!podSpec) throw new FunctionError(`has no pod spec at ${at("spec")}`, ref, at("spec"));
  const podAnnotations = stringMap(podMetadata.annotations, ref, at('metadata.annotations'));
  const injected = readStatus(podAnnotations, ref, `${at('metadata.annotations')}[${STATUS}]`);
  const allContainers = containerList(podSpec.containers, ref, at('spec.containers'));
  const sidecarAt = injected ? allContainers.findIndex((c) => c.name === injected.container) : -1;
  const containers = sidecarAt >= 0 ? allContainers.filter((_, i) => i !== sidecarAt) : allContainers;
  const strippedAnnotations: Record<string, string> = Object.assign(Object.create(null), podAnnotations);
  if (injected) {
    delete strippedAnnotations[STATUS];
    if (injected.defaultContainer !== undefined && strippedAnnotations[DEFAULT_CONTAINER] === injected.defaultContainer)
      delete strippedAnnotations[DEFAULT_CONTAINER];
  }
  return {
    index,
    ref,
    kind,
    labels: stringMap(metadata.labels, ref, 'metadata.labels'),
    annotations: stringMap(metadata.annotations, ref, 'metadata.annotations'),
    podLabels: stringMap(podMetadata.labels, ref, at('metadata.labels')),
    podAnnotations: strippedAnnotations,
    containers,
    initContainers: containerList(podSpec.initContainers, ref, at('spec.initContainers')),
    ...(injected ? { injected } : {}),
    current: {
      podAnnotations,
      ...(sidecarAt >= 0 ? { sidecar: { container: allContainers[sidecarAt]!, last: sidecarAt === allContainers.length - 1 } } : {}),
    },
  };
}
