// A Service's edit: each port whose target the plan moved, and the rewired-ports annotation.
import { isMap } from 'yaml';
import { REWIRED } from '../annotations.js';
import type { Obj } from '../objects/shape.js';
import type { ServicePlan } from '../plan/rewire.js';
import { problem } from '../results.js';
import { annotationsDiffer, type Edit, editAnnotations, listAt } from './nodes.js';

export function serviceEdit(sp: ServicePlan): Edit | undefined {
  const { service: s } = sp;
  const { current } = s;
  const { annotation } = sp;
  const changedPorts = sp.targetPorts.flatMap((t, i) => ((t ?? undefined) !== current.targetPorts[i] ? [i] : []));
  const annotations = annotation !== current.rewired ? { [REWIRED]: annotation } : {};
  if (changedPorts.length === 0 && annotation === current.rewired) return undefined;
  return {
    about: s,
    at: s.at,
    edit(doc, object) {
      if (changedPorts.length) {
        const ports = listAt(doc, object, ['spec', 'ports'], s);
        for (const i of changedPorts) {
          const port = ports.items[i];
          if (!isMap(port)) throw problem(`spec.ports[${i}] is not a mapping`, s, `spec.ports[${i}]`);
          const wanted = sp.targetPorts[i];
          if (wanted === undefined) port.delete('targetPort');
          else port.set('targetPort', wanted);
        }
      }
      editAnnotations(doc, object, ['metadata'], annotations, s);
    },
    check(read) {
      const listed = read(['spec', 'ports']);
      const ports = Array.isArray(listed) ? (listed as Obj[]) : [];
      const wrong = sp.targetPorts.findIndex((t, i) => (ports[i]?.targetPort ?? undefined) !== (t ?? undefined));
      if (wrong >= 0) return `spec.ports[${wrong}].targetPort`;
      return annotationsDiffer(read(['metadata', 'annotations']), annotations, 'metadata');
    },
  };
}
