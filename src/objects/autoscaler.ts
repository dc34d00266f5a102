// HorizontalPodAutoscalers as plain data: what they scale, and which resources they scale on by
// utilization. Utilization is usage over the pod's summed requests, so every container, sidecars
// included, needs a request for that resource, or the HPA stops scaling.
import type { Subject } from '../results.js';
import { type KrmObject, subjectOf } from './read.js';
import { isObj, type Obj } from './shape.js';

export interface Autoscaler extends Subject {
  target: { kind: string; name: string };
  /** Each resource the HPA scales on by utilization, with the field that says so. */
  utilization: { resource: string; field: string }[];
}

export const isAutoscaler = (apiVersion: string, kind: string) =>
  kind === 'HorizontalPodAutoscaler' && apiVersion.startsWith('autoscaling/');

export function readAutoscaler(object: KrmObject): Autoscaler {
  const spec = isObj(object.plain?.spec) ? object.plain.spec : {};
  const target = isObj(spec.scaleTargetRef) ? spec.scaleTargetRef : {};
  const utilization: Autoscaler['utilization'] = [];
  if (typeof spec.targetCPUUtilizationPercentage === 'number')
    utilization.push({ resource: 'cpu', field: 'spec.targetCPUUtilizationPercentage' });
  const metrics = Array.isArray(spec.metrics) ? spec.metrics : [];
  metrics.forEach((metric: unknown, i) => {
    // ContainerResource metrics and AverageValue targets do not divide by the pod's requests.
    if (!isObj(metric) || metric.type !== 'Resource' || !isObj(metric.resource)) return;
    const resource: Obj = metric.resource;
    const byUtilization =
      (isObj(resource.target) && resource.target.type === 'Utilization') ||
      typeof resource.targetAverageUtilization === 'number';
    if (byUtilization && typeof resource.name === 'string')
      utilization.push({ resource: resource.name, field: `spec.metrics[${i}].resource` });
  });
  return {
    ...subjectOf(object),
    target: { kind: String(target.kind ?? ''), name: String(target.name ?? '') },
    utilization,
  };
}
