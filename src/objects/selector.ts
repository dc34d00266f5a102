// Kubernetes LabelSelector semantics (k8s.io/apimachinery/pkg/apis/meta/v1): matchLabels and
// matchExpressions are ANDed; an empty selector selects everything.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { has, type StringMap } from './shape.js';

type Labels = StringMap;

export function matchesSelector(selector: LabelSelector, labels: Labels): boolean {
  if (selector.matchLabels && !matchesServiceSelector(selector.matchLabels, labels)) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const present = has(labels, key);
    switch (operator) {
      case 'In':
        if (!present || !values.includes(labels[key]!)) return false;
        break;
      case 'NotIn':
        if (present && values.includes(labels[key]!)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        // The config schema rejects other operators; this keeps the matcher total anyway.
        return false;
    }
  }
  return true;
}

/** A Service selector (a plain map) is matched by pod labels when every pair is present. */
export function matchesServiceSelector(selector: Labels, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector)) {
    if (!has(labels, key) || labels[key] !== value) return false;
  }
  return true;
}

/**
 * Parses the string form kubectl takes with `-l`, for the ConfigMap config:
 * `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
 */
export function parseSelectorString(text: string): LabelSelector {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: NonNullable<LabelSelector['matchExpressions']> = [];
  for (const term of splitTerms(text)) {
    const set = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
    const notEqual = /^([^\s=!(),]+)\s*!=\s*([^\s=!(),]*)$/.exec(term);
    const equal = /^([^\s=!(),]+)\s*==?\s*([^\s=!(),]*)$/.exec(term);
    const absent = /^!\s*([^\s=!(),]+)$/.exec(term);
    const present = /^([^\s=!(),]+)$/.exec(term);
    if (set) {
      const values = set[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      matchExpressions.push({ key: set[1]!, operator: set[2] === 'in' ? 'In' : 'NotIn', values });
    } else if (notEqual) matchExpressions.push({ key: notEqual[1]!, operator: 'NotIn', values: [notEqual[2]!] });
    else if (equal) matchLabels[equal[1]!] = equal[2]!;
    else if (absent) matchExpressions.push({ key: absent[1]!, operator: 'DoesNotExist' });
    else if (present) matchExpressions.push({ key: present[1]!, operator: 'Exists' });
    else throw new Error(`cannot parse selector term ${JSON.stringify(term)}`);
  }
  return {
    ...(Object.keys(matchLabels).length ? { matchLabels } : {}),
    ...(matchExpressions.length ? { matchExpressions } : {}),
  };
}

/** A selector in the string form kubectl prints and takes with `-l` (the inverse of parseSelectorString). */
export function selectorString(selector: LabelSelector): string {
  const terms = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    if (operator === 'Exists') terms.push(key);
    else if (operator === 'DoesNotExist') terms.push(`!${key}`);
    else terms.push(`${key} ${operator === 'In' ? 'in' : 'notin'} (${values.join(',')})`);
  }
  return terms.join(',');
}

/** Splits on commas that are not inside `( )`. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  terms.push(current.trim());
  return terms.filter((t) => t !== '');
}
