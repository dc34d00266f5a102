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
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([^\s=!(),]+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      matchExpressions.push({ key: m[1]!, operator: m[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = term.match(/^([^\s=!(),]+)\s*!=\s*([^\s=!(),]*)$/))) {
      matchExpressions.push({ key: m[1]!, operator: 'NotIn', values: [m[2]!] });
    } else if ((m = term.match(/^([^\s=!(),]+)\s*==?\s*([^\s=!(),]*)$/))) {
      matchLabels[m[1]!] = m[2]!;
    } else if ((m = term.match(/^!\s*([^\s=!(),]+)$/))) {
      matchExpressions.push({ key: m[1]!, operator: 'DoesNotExist' });
    } else if ((m = term.match(/^([^\s=!(),]+)$/))) {
      matchExpressions.push({ key: m[1]!, operator: 'Exists' });
    } else {
      throw new Error(`cannot parse selector term ${JSON.stringify(term)}`);
    }
  }
  return {
    ...(Object.keys(matchLabels).length ? { matchLabels } : {}),
    ...(matchExpressions.length ? { matchExpressions } : {}),
  };
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
