// A NetworkPolicy's edit: only the ingress rules whose ports change, each entry that stays kept as
// written, and the ingress-ports annotation.
import { isMap } from 'yaml';
import { POLICY_PORTS } from '../annotations.js';
import { type Obj, sameData } from '../objects/shape.js';
import type { PolicyPlan } from '../plan/policies.js';
import { problem } from '../results.js';
import { annotationsDiffer, type Edit, editAnnotations, listAt, seqAt } from './nodes.js';

/** Only the ingress rules whose ports change: the entries that stay keep their nodes, new ones are made. */
export function policyEdit(pp: PolicyPlan): Edit | undefined {
  const { policy } = pp;
  const { annotation } = pp;
  const changed = pp.rules.flatMap((ports, i) => (sameData(ports, policy.current.rules[i]) ? [] : [i]));
  const annotations = annotation !== policy.current.annotation ? { [POLICY_PORTS]: annotation } : {};
  if (changed.length === 0 && annotation === policy.current.annotation) return undefined;
  return {
    about: policy,
    at: policy.at,
    edit(doc, object) {
      if (changed.length) {
        const ingress = listAt(doc, object, ['spec', 'ingress'], policy);
        for (const i of changed) {
          const rule = ingress.items[i];
          const field = `spec.ingress[${i}]`;
          if (!isMap(rule)) throw problem('is not a mapping', policy, field);
          const wanted = pp.rules[i];
          const now = policy.current.rules[i] ?? [];
          if (wanted === undefined) rule.delete('ports');
          else if (now.length === 0) rule.set('ports', doc.createNode(wanted));
          else {
            // Each entry that stays keeps its node as written; only new entries are made.
            const ports = seqAt(doc, rule, 'ports', policy, `${field}.ports`);
            const pool = ports.items.map((node, k) => ({ node, entry: now[k], used: false }));
            ports.items = wanted.map((entry) => {
              const kept = pool.find((p) => !p.used && sameData(p.entry, entry));
              if (!kept) return doc.createNode(entry);
              kept.used = true;
              return kept.node;
            });
          }
        }
      }
      editAnnotations(doc, object, ['metadata'], annotations, policy);
    },
    check(read) {
      const listed = read(['spec', 'ingress']);
      const rules = Array.isArray(listed) ? (listed as Obj[]) : [];
      const wrong = changed.find((i) => !sameData(rules[i]?.ports ?? undefined, pp.rules[i]));
      if (wrong !== undefined) return `spec.ingress[${wrong}].ports`;
      return annotationsDiffer(read(['metadata', 'annotations']), annotations, 'metadata');
    },
  };
}
