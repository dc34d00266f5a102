// What a label selector selects, without matching it against every pod of the namespace: items
// indexed by namespace and by each of their label pairs. A selector with matchLabels looks only at
// the items that carry its rarest pair; one without (matchExpressions only, or empty) looks at its
// whole namespace. Every candidate is still matched, so the index narrows and never decides.
// (With a NetworkPolicy per app, matching every policy against every workload was most of a
// large run: 2,000 policies x 2,000 workloads.)
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { matchesSelector } from './selector.js';
import { addTo, groupBy, type StringMap } from './shape.js';

/** A namespace as a key: an object without one is in a namespace of its own (refs never hold ''). */
const nsKey = (namespace: string | undefined) => namespace ?? '';
const pairKey = (namespace: string | undefined, key: string, value: string) =>
  `${nsKey(namespace)}\u0000${key}\u0000${value}`;

/** `select(namespace, selector)`: the items of that namespace whose labels match, in input order. */
export function labelIndex<T>(
  items: readonly T[],
  namespaceOf: (item: T) => string | undefined,
  labelsOf: (item: T) => StringMap,
): (namespace: string | undefined, selector: LabelSelector) => T[] {
  const byNamespace = groupBy(items, (item) => nsKey(namespaceOf(item)));
  const byPair = new Map<string, T[]>();
  for (const item of items) {
    for (const [key, value] of Object.entries(labelsOf(item))) {
      const k = pairKey(namespaceOf(item), key, value);
      addTo(byPair, k, item);
    }
  }
  return (namespace, selector) => {
    let candidates = byNamespace.get(nsKey(namespace)) ?? [];
    for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
      const list = byPair.get(pairKey(namespace, key, value)) ?? [];
      if (list.length < candidates.length) candidates = list;
    }
    return candidates.filter((item) => matchesSelector(selector, labelsOf(item)));
  };
}
