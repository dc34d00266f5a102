// A NetworkPolicy's edit: only the ingress rules whose ports change, new entries appended where the
// rule only grows, and the ingress-ports annotation.
import { isMap } from 'yaml';
import { POLICY_PORTS } from '../annotations.js';
import { type Obj, sameData } from '../objects/shape.js';
import type { PolicyPlan } from '../plan/policies.js';
import { problem } from '../results.js';
import { annotationsDiffer, type Edit, editAnnotations, listAt, seqAt } from './nodes.js';

/** Only the ingress rules whose ports change: new entries appended where the rule only grows. */
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
          const grows = wanted !== undefined && sameData(wanted.slice(0, now.length), now) && now.length > 0;
          if (grows) {
            const ports = seqAt(doc, rule, 'ports', policy, `${field}.ports`);
            for (const entry of wanted.slice(now.length)) ports.items.push(doc.createNode(entry));
          } else if (wanted === undefined) rule.delete('ports');
          else rule.set('ports', doc.createNode(wanted));
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
