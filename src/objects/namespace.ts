// Namespaces in the input. A mesh's injector may be turned on for a whole namespace (Istio's
// `istio-injection: enabled` or `istio.io/rev` label, Linkerd's `linkerd.io/inject` annotation),
// which the workload itself does not show: the redirect capture reads it (plan/redirect.ts).
import type { Subject } from '../results.js';
import { type KrmObject, subjectOf } from './read.js';
import { isObj, type StringMap, stringMap } from './shape.js';

export interface NamespaceObject extends Subject {
  /** A Namespace has no namespace: it never lands in spec.defaultNamespace (plan/namespaces.ts). */
  clusterWide: true;
  labels: StringMap;
  annotations: StringMap;
}

export const isNamespace = (apiVersion: string, kind: string) => apiVersion === 'v1' && kind === 'Namespace';

export function readNamespace(object: KrmObject): NamespaceObject {
  const metadata = isObj(object.plain?.metadata) ? object.plain.metadata : {};
  return {
    ...subjectOf(object),
    clusterWide: true,
    labels: stringMap(metadata.labels, object, 'metadata.labels'),
    annotations: stringMap(metadata.annotations, object, 'metadata.annotations'),
  };
}
