// NetworkPolicies as plain data: which pods they select, what their ingress rules admit, and every
// injection's record of the ports it added or removed. plan/seen-by.ts takes one injection's
// earlier changes back out, so the plan starts from what the user wrote.

import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import * as z from 'zod/mini';
import { GENERATED_BY, POLICY_PORTS } from '../annotations.js';
import type { Subject } from '../results.js';
import { readRecords } from './ledger.js';
import type { IntOrString } from './ports.js';
import { type KrmObject, type ObjectAt, placedOf } from './read.js';
import { checkShape, isObj, type Obj, sameData, stringMap } from './shape.js';

/** One `ingress[].ports[]` entry as written: a number or a name, or a range with endPort. */
export interface PolicyPort {
  protocol?: string;
  port?: IntOrString;
  endPort?: number;
}

/**
 * What one injection did to one ingress rule: the entries it added, and the ones it took out with
 * where they stood. A change, not a copy of the rule, so other injections' entries never end up in it.
 */
export interface RuleRecord {
  rule: number;
  added: PolicyPort[];
  removed?: { index: number; entry: PolicyPort }[];
}

/** A NetworkPolicy as the input holds it, as plain data. */
export interface NetworkPolicyObject extends Subject {
  order: number;
  at: ObjectAt;
  podSelector: LabelSelector;
  /** Whether the policy restricts ingress at all (policyTypes, or ingress rules present). */
  restrictsIngress: boolean;
  /** Each ingress rule's ports (as one injection sees it: its own change undone); undefined admits every port. */
  rules: (readonly PolicyPort[] | undefined)[];
  /** Every injection's changed rules, by name. */
  records: Readonly<Record<string, readonly RuleRecord[]>>;
  /** What the object holds now, for the apply step to change only what differs. */
  current: { rules: (readonly PolicyPort[] | undefined)[]; annotation?: string };
  /** Set on a policy this function generated: the injection's name, and the whole object. */
  generated?: { by: string; object: Obj };
}

/** A NetworkPolicy as one injection sees it (plan/seen-by.ts): its own earlier changes taken out. */
export interface NetworkPolicy extends NetworkPolicyObject {
  /** The other injections' changed rules, by name. */
  others: Readonly<Record<string, readonly RuleRecord[]>>;
  /** This injection's own earlier change of each rule, by rule index. */
  earlier?: ReadonlyMap<number, RuleRecord>;
}

export const isNetworkPolicy = (apiVersion: string, kind: string) =>
  kind === 'NetworkPolicy' && (apiVersion === 'networking.k8s.io/v1' || apiVersion === 'extensions/v1beta1');

const policyPort = z.looseObject({
  protocol: z.optional(z.string()),
  port: z.optional(z.union([z.int(), z.string()])),
  endPort: z.optional(z.int()),
});
const ingressShape = z.nullish(z.array(z.looseObject({ ports: z.nullish(z.array(policyPort)) })));
const selectorShape = z.nullish(z.looseObject({}));

// A record written before injections had names keeps a copy of the rule before and after.
type SnapshotRecord = { rule: number; ports: PolicyPort[]; wrote: PolicyPort[] };
const isSnapshot = (r: unknown): r is SnapshotRecord =>
  isObj(r) && typeof r.rule === 'number' && Array.isArray(r.ports) && Array.isArray(r.wrote);
const isRecordList = (v: unknown): v is (RuleRecord | SnapshotRecord)[] =>
  Array.isArray(v) &&
  v.every((r) => isSnapshot(r) || (isObj(r) && typeof r.rule === 'number' && Array.isArray(r.added)));

/** The change between two versions of a rule's ports. */
export function ruleChange(rule: number, before: readonly PolicyPort[], after: readonly PolicyPort[]): RuleRecord {
  const has = (list: readonly PolicyPort[], e: PolicyPort) => list.some((x) => sameData(x, e));
  const removed = before.flatMap((entry, index) => (has(after, entry) ? [] : [{ index, entry }]));
  return { rule, added: after.filter((e) => !has(before, e)), ...(removed.length ? { removed } : {}) };
}

const asChange = (r: RuleRecord | SnapshotRecord): RuleRecord =>
  isSnapshot(r) ? ruleChange(r.rule, r.ports, r.wrote) : r;

export function readNetworkPolicy(object: KrmObject): NetworkPolicyObject {
  const plain = object.plain!;
  const about: Subject = object;
  const spec = isObj(plain.spec) ? plain.spec : {};
  const metadata = isObj(plain.metadata) ? plain.metadata : {};
  const annotations = stringMap(metadata.annotations, about, 'metadata.annotations');
  const remedy = 'restore the ingress ports and remove it by hand';
  const records = readRecords(annotations, POLICY_PORTS, isRecordList, about, 'metadata.annotations', remedy);
  const ingress = checkShape(ingressShape, spec.ingress, about, 'spec.ingress') ?? [];
  const podSelector = (checkShape(selectorShape, spec.podSelector, about, 'spec.podSelector') ?? {}) as LabelSelector;
  const types = Array.isArray(spec.policyTypes) ? spec.policyTypes : undefined;
  const current = ingress.map((r) => (r.ports && r.ports.length > 0 ? (r.ports as PolicyPort[]) : undefined));
  return {
    ...placedOf(object),
    podSelector,
    restrictsIngress: types ? types.includes('Ingress') : true,
    rules: current,
    records: Object.fromEntries(Object.entries(records).map(([name, list]) => [name, list.map(asChange)])),
    current: {
      rules: current,
      ...(annotations[POLICY_PORTS] !== undefined ? { annotation: annotations[POLICY_PORTS] } : {}),
    },
    ...(annotations[GENERATED_BY] !== undefined ? { generated: { by: annotations[GENERATED_BY], object: plain } } : {}),
  };
}
