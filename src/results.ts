// Results in the words of the KRM functions spec: a function reports what it did and what needs a
// person as `results`, and an error result means the whole ResourceList is rejected.

export type Severity = 'error' | 'warning' | 'info';

export interface ResourceRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface Result {
  message: string;
  severity: Severity;
  resourceRef?: ResourceRef;
  field?: { path: string };
  file?: { path: string; index?: number };
  tags?: Record<string, string>;
}

/** Any problem that rejects the whole run. Only the outermost layer turns it into output. */
export class FunctionError extends Error {
  constructor(
    message: string,
    readonly resourceRef?: ResourceRef,
    readonly fieldPath?: string,
  ) {
    super(message);
    this.name = 'FunctionError';
  }

  toResult(): Result {
    return {
      message: this.message,
      severity: 'error',
      ...(this.resourceRef ? { resourceRef: this.resourceRef } : {}),
      ...(this.fieldPath ? { field: { path: this.fieldPath } } : {}),
    };
  }
}

/** `Deployment shop/web`, the way kubectl names an object in its messages. */
export function describeRef(ref: ResourceRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** One line per result for stderr, where kustomize and people read them. */
export function formatResult(r: Result): string {
  const where = r.resourceRef ? `${describeRef(r.resourceRef)}: ` : '';
  const field = r.field ? ` (field ${r.field.path})` : '';
  return `inject-sidecar: ${r.severity}: ${where}${r.message}${field}`;
}
