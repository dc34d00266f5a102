import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { describe, expect, it } from 'vitest';
import { labelIndex } from '../src/objects/label-index.js';
import { matchesSelector } from '../src/objects/selector.js';

interface Pod {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
}
const pods: Pod[] = [
  { name: 'web-1', namespace: 'shop', labels: { app: 'web', tier: 'front' } },
  { name: 'api', namespace: 'shop', labels: { app: 'api', tier: 'back' } },
  { name: 'web-2', namespace: 'shop', labels: { app: 'web', tier: 'back' } },
  { name: 'web-ops', namespace: 'ops', labels: { app: 'web' } },
  { name: 'web-unset', labels: { app: 'web' } },
  { name: 'web-empty', namespace: '', labels: { app: 'web' } },
];
const select = labelIndex(
  pods,
  (p) => p.namespace,
  (p) => p.labels,
);
const names = (list: Pod[]) => list.map((p) => p.name);

describe('labelIndex: what a selector selects in a namespace, in input order', () => {
  const table: [string, string | undefined, LabelSelector, string[]][] = [
    ['matchLabels', 'shop', { matchLabels: { app: 'web' } }, ['web-1', 'web-2']],
    ['every pair must match', 'shop', { matchLabels: { app: 'web', tier: 'back' } }, ['web-2']],
    ['a pair nobody has', 'shop', { matchLabels: { app: 'db' } }, []],
    [
      'matchExpressions only: the whole namespace is checked',
      'shop',
      { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] },
      ['api', 'web-2'],
    ],
    [
      'matchLabels and matchExpressions together',
      'shop',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] },
      ['web-1'],
    ],
    ['an empty selector selects the whole namespace', 'shop', {}, ['web-1', 'api', 'web-2']],
    ['another namespace', 'ops', { matchLabels: { app: 'web' } }, ['web-ops']],
    [
      'unset and empty namespaces are one, as policies compare them',
      undefined,
      { matchLabels: { app: 'web' } },
      ['web-unset', 'web-empty'],
    ],
  ];
  it.each(table)('%s', (_name, namespace, selector, expected) => {
    expect(names(select(namespace, selector))).toEqual(expected);
  });

  it('agrees with matching every pod of the namespace, on generated selectors', () => {
    const keys = ['app', 'tier', 'zone'];
    const values = ['a', 'b', 'c'];
    let seed = 7;
    const pick = <T>(xs: readonly T[]) => {
      seed = (seed * 48271) % 2147483647;
      return xs[seed % xs.length]!;
    };
    const many: Pod[] = Array.from({ length: 300 }, (_, i) => ({
      name: `p${i}`,
      namespace: pick(['x', 'y']),
      labels: Object.fromEntries(keys.filter(() => pick([true, false])).map((k) => [k, pick(values)])),
    }));
    const index = labelIndex(
      many,
      (p) => p.namespace,
      (p) => p.labels,
    );
    const operators = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
    for (let i = 0; i < 500; i++) {
      const selector = {
        matchLabels: Object.fromEntries(keys.filter(() => pick([true, false, false])).map((k) => [k, pick(values)])),
        matchExpressions: keys
          .filter(() => pick([true, false, false]))
          .map((key) => ({ key, operator: pick(operators), values: [pick(values)] })),
      };
      const ns = pick(['x', 'y']);
      const expected = many.filter((p) => p.namespace === ns && matchesSelector(selector, p.labels));
      expect(index(ns, selector)).toEqual(expected);
    }
  });
});
