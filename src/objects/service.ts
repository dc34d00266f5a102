// Services as plain data: ports, selector, and every injection's rewired-ports record as written.
// plan/seen-by.ts takes one injection's earlier rewiring back out, so the plan starts from what the
// user wrote.
import * as z from 'zod/mini';
import { REWIRED } from '../annotations.js';
import type { Subject } from '../results.js';
import { readRecords } from './ledger.js';
import type { IntOrString, ServicePort } from './ports.js';
import { type KrmObject, type ObjectAt, placedOf } from './read.js';
import { checkShape, isObj, type StringMap, stringMap } from './shape.js';

/** One port an earlier run rewired: what its targetPort was, and the listen port it was moved to. */
export interface RewiredPort {
  port: number;
  protocol: string;
  /** The targetPort as the user wrote it; absent when it was omitted. */
  targetPort?: IntOrString;
  listenPort: number;
}

/** A Service as the input holds it, as plain data. */
export interface ServiceObject extends Subject {
  order: number;
  at: ObjectAt;
  /** The selector; undefined when it is missing or empty (the Service selects no pods by itself). */
  selector?: StringMap;
  /** Its own labels (a ServiceMonitor selects Services by them). */
  labels?: StringMap;
  headless: boolean;
  /** spec.type NodePort or LoadBalancer: the Service is reached from outside the cluster too. */
  exposed?: 'NodePort' | 'LoadBalancer';
  /** The ports as written. */
  ports: readonly ServicePort[];
  /** Every injection's rewired ports, by name. */
  records: Readonly<Record<string, readonly RewiredPort[]>>;
  /** What the object holds now, for the apply step to change only what differs. */
  current: { targetPorts: (IntOrString | undefined)[]; rewired?: string };
}

/** A Service as one injection sees it (plan/seen-by.ts): its own earlier rewiring taken out. */
export interface Service extends ServiceObject {
  /** The other injections' rewired ports, by name. */
  others: Readonly<Record<string, readonly RewiredPort[]>>;
  /** Ports this injection rewired that another injection now fronts (a chain), by index. */
  covered?: ReadonlyMap<number, RewiredPort>;
}

const servicePortsShape = z.nullish(
  z.array(
    z.looseObject({
      port: z.int(),
      targetPort: z.nullish(z.union([z.int(), z.string()])),
      protocol: z.optional(z.string()),
      name: z.optional(z.string()),
    }),
  ),
);

const isRewiredList = (v: unknown): v is RewiredPort[] =>
  Array.isArray(v) && v.every((r) => isObj(r) && typeof r.port === 'number' && typeof r.listenPort === 'number');

export function readService(object: KrmObject): ServiceObject {
  const plain = object.plain!;
  const about: Subject = object;
  const spec = isObj(plain.spec) ? plain.spec : {};
  const metadata = isObj(plain.metadata) ? plain.metadata : {};
  const annotations = stringMap(metadata.annotations, about, 'metadata.annotations');
  const remedy = 'restore the targetPorts and remove it by hand';
  const records = readRecords(annotations, REWIRED, isRewiredList, about, 'metadata.annotations', remedy);
  const written = (checkShape(servicePortsShape, spec.ports, about, 'spec.ports') ?? []) as ServicePort[];
  const selector = stringMap(spec.selector, about, 'spec.selector');
  return {
    ...placedOf(object),
    ...(Object.keys(selector).length > 0 ? { selector } : {}),
    labels: stringMap(metadata.labels, about, 'metadata.labels'),
    headless: spec.clusterIP === 'None',
    ...(spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? { exposed: spec.type } : {}),
    ports: written,
    records,
    current: {
      targetPorts: written.map((p) => p.targetPort ?? undefined),
      ...(annotations[REWIRED] !== undefined ? { rewired: annotations[REWIRED] } : {}),
    },
  };
}
