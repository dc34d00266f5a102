// Services as plain data, with any earlier rewiring taken back out so the plan starts from what the
// user wrote.
import type { ResourceRef, Result } from './results.js';
import type { Labels } from './selector.js';
import * as z from 'zod/mini';
import { REWIRED } from './annotations.js';
import { checkShape } from './workload.js';
import { FunctionError } from './results.js';
import { protocolOf, type IntOrString, type ServicePort } from './ports.js';

/** One port an earlier run rewired: what its targetPort was, and the listen port it was moved to. */
export interface RewiredPort {
  port: number;
  protocol: string;
  /** The targetPort as the user wrote it; absent when it was omitted. */
  targetPort?: IntOrString;
  listenPort: number;
}

export interface Service {
  index: number;
  ref: ResourceRef;
  /** The file kpt says the object came from, for results. */
  file?: Result['file'];
  /** The selector; undefined or empty means the Service selects no pods by itself. */
  selector?: Labels;
  headless: boolean;
  /** The ports as the user wrote them: earlier rewiring undone. */
  ports: readonly ServicePort[];
  /** What the object holds now, for the apply step to change only what differs. */
  current: { targetPorts: (IntOrString | undefined)[]; rewired?: string };
}

type Obj = Record<string, unknown>;

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
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function readRewired(annotations: Obj, ref: ResourceRef): RewiredPort[] {
  const raw = annotations[REWIRED];
  if (raw === undefined) return [];
  try {
    const list = JSON.parse(String(raw)) as RewiredPort[];
    if (Array.isArray(list) && list.every((r) => typeof r.port === 'number' && typeof r.listenPort === 'number')) return list;
  } catch {
    // fall through
  }
  throw new FunctionError(`annotation ${REWIRED} is not what this function writes; restore the targetPorts and remove it by hand`, ref, `metadata.annotations[${REWIRED}]`);
}

export function readService(index: number, ref: ResourceRef, object: Obj): Service {
  const spec = isObj(object.spec) ? object.spec : {};
  const metadata = isObj(object.metadata) ? object.metadata : {};
  const annotations = isObj(metadata.annotations) ? metadata.annotations : {};
  const rewired = readRewired(annotations, ref);
  const rawPorts = checkShape(servicePortsShape, spec.ports, ref, 'spec.ports') ?? [];
  const ports = (rawPorts as ServicePort[]).map((sp) => {
    const undo = rewired.find((r) => r.port === sp.port && r.protocol === protocolOf(sp) && sp.targetPort === r.listenPort);
    if (!undo) return sp;
    const { targetPort: _rewired, ...rest } = sp;
    return undo.targetPort === undefined ? rest : { ...rest, targetPort: undo.targetPort };
  });
  let selector: Labels | undefined;
  if (isObj(spec.selector) && Object.keys(spec.selector).length > 0) {
    const s: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(spec.selector)) s[k] = String(v);
    selector = s;
  }
  return {
    index,
    ref,
    ...(selector ? { selector } : {}),
    headless: spec.clusterIP === 'None',
    ports,
    current: {
      targetPorts: (rawPorts as ServicePort[]).map((p) => p.targetPort ?? undefined),
      ...(annotations[REWIRED] !== undefined ? { rewired: String(annotations[REWIRED]) } : {}),
    },
  };
}
