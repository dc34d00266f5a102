// Where objects without a namespace land. The plan relates objects by namespace; an unset one is a
// namespace of its own there, but `kubectl apply -n`, an Argo CD destination or a kpt package puts
// such objects into one namespace with the rest. spec.defaultNamespace says which (as kustomize's
// and kpt's own namespace settings do): every unset object is planned as in it. Without it, an
// input that mixes set and unset namespaces among the objects the plan relates is a warning.
import type { InjectionConfig } from '../config/schema.js';
import type { Inventory } from '../objects/inventory.js';
import { describeRef, type Result, result, type Subject } from '../results.js';

/** The kinds of objects the plan relates to each other by namespace. */
type Related = Omit<Inventory, 'results'>;

/** The inventory's lists of objects (its results are not objects). */
const relatedKeys = (inventory: Related) =>
  (Object.keys(inventory) as (keyof Related)[]).filter(
    (k) => (k as string) !== 'results' && Array.isArray(inventory[k]),
  );

/** A cluster-scoped object (a GlobalNetworkPolicy, an AdminNetworkPolicy) has no namespace to land in. */
const namespaced = (o: Subject) => !(o as { clusterWide?: boolean }).clusterWide;

const landIn = <T extends Subject>(objects: readonly T[], namespace: string): T[] =>
  objects.map((o) => (o.ref.namespace || !namespaced(o) ? o : { ...o, ref: { ...o.ref, namespace } }));

/** The inventory as it lands: every object without a namespace in spec.defaultNamespace. */
export function landed<T extends Related>(config: InjectionConfig, inventory: T): T {
  const namespace = config.defaultNamespace;
  if (!namespace) return inventory;
  const out = { ...inventory };
  for (const key of relatedKeys(out)) (out as Record<string, unknown>)[key] = landIn(out[key] as Subject[], namespace);
  return out;
}

/** Set and unset namespaces side by side, with no spec.defaultNamespace to say where the unset ones go. */
export function mixedNamespaces(config: InjectionConfig, inventory: Related): Result[] {
  if (config.defaultNamespace) return [];
  const related = relatedKeys(inventory)
    .flatMap((key) => inventory[key] as Subject[])
    .filter(namespaced);
  const unset = related.filter((o) => !o.ref.namespace);
  const set = [...new Set(related.map((o) => o.ref.namespace).filter((n): n is string => Boolean(n)))];
  if (unset.length === 0 || set.length === 0) return [];
  const named = unset.slice(1, 5).map((o) => describeRef(o.ref));
  const more = unset.length > 5 ? ` and ${unset.length - 5} more` : '';
  const others = named.length ? ` (with ${named.join(', ')}${more})` : '';
  const message =
    `has no namespace${others}, beside objects in namespace ${set.join(', ')}: objects without a namespace are planned apart ` +
    'from them, never paired with them, but kubectl apply -n, an Argo CD destination or a kpt package puts them together. ' +
    'Set spec.defaultNamespace to where they will land';
  // Said of the first such object, so kpt shows the file it is in.
  return [result('warning', message, unset[0])];
}
