import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { describe, expect, it } from 'vitest';
import { matchesSelector, matchesServiceSelector, parseSelectorString } from '../src/objects/selector.js';

const web = { app: 'web', tier: 'frontend' };

describe('matchesSelector: Kubernetes LabelSelector semantics', () => {
  const table: [string, LabelSelector, Record<string, string>, boolean][] = [
    ['empty selector selects everything', {}, web, true],
    ['empty selector selects no labels too', {}, {}, true],
    ['matchLabels all present', { matchLabels: { app: 'web' } }, web, true],
    ['matchLabels wrong value', { matchLabels: { app: 'api' } }, web, false],
    ['matchLabels missing key', { matchLabels: { waf: 'enabled' } }, web, false],
    ['In hits', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend', 'frontend'] }] }, web, true],
    ['In misses', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend'] }] }, web, false],
    ['In on a missing key', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, web, false],
    [
      'NotIn on a missing key selects',
      { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] },
      web,
      true,
    ],
    ['NotIn hit excludes', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, web, false],
    ['Exists', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, web, true],
    ['Exists on a missing key', { matchExpressions: [{ key: 'waf', operator: 'Exists' }] }, web, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'waf', operator: 'DoesNotExist' }] }, web, true],
    ['DoesNotExist on a present key', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, web, false],
    [
      'labels and expressions are ANDed',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['x'] }] },
      web,
      false,
    ],
    [
      'an unknown operator never selects',
      { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] },
      web,
      false,
    ],
    ['__proto__ is only a label key', { matchLabels: { __proto__: 'x' } as never }, web, true],
    ['constructor is not inherited', { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, web, false],
  ];
  it.each(table)('%s', (_name, selector, labels, expected) => expect(matchesSelector(selector, labels)).toBe(expected));
});

describe('matchesServiceSelector', () => {
  it.each([
    [{ app: 'web' }, web, true],
    [{ app: 'web', tier: 'frontend' }, web, true],
    [{ app: 'web', version: 'v1' }, web, false],
    [{ toString: 'x' }, web, false],
  ] as const)('%j on %j is %s', (selector, labels, expected) =>
    expect(matchesServiceSelector(selector, labels)).toBe(expected),
  );
});

describe('parseSelectorString: the kubectl -l syntax of the ConfigMap form', () => {
  it.each([
    ['waf=enabled', { matchLabels: { waf: 'enabled' } }],
    ['waf==enabled', { matchLabels: { waf: 'enabled' } }],
    ['a=b, c=d', { matchLabels: { a: 'b', c: 'd' } }],
    ['tier!=db', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }],
    ['tier in (web, api)', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }],
    [
      'tier notin (db),waf',
      {
        matchExpressions: [
          { key: 'tier', operator: 'NotIn', values: ['db'] },
          { key: 'waf', operator: 'Exists' },
        ],
      },
    ],
    ['!legacy', { matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }] }],
    ['app.kubernetes.io/name=web', { matchLabels: { 'app.kubernetes.io/name': 'web' } }],
    ['', {}],
  ])('%j', (text, expected) => expect(parseSelectorString(text)).toEqual(expected));
  it.each(['a=b=c', 'in (x)', 'a in x', '(a)'])('rejects %j', (text) =>
    expect(() => parseSelectorString(text)).toThrow(/cannot parse selector term/),
  );
});
