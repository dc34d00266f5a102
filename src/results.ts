// Results in the words of the KRM functions spec: a function reports what it did and what needs a
// person as `results`. Results are values: every problem of a run is collected, and the exit code
// derives from them (1 when any result is an error), as kyaml's framework does.
//
// One vocabulary: a result about an object carries its `resourceRef` and the message never repeats
// the object; `field.path` is relative to that object. A result about an item the function could
// not identify names it in the message (`items[3]` in a ResourceList, `document 4` in plain mode)
// and its field path starts there too.

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
}

/** What a result is about: an object (its ref and kpt's file), or nothing more than the message. */
export interface Subject {
  ref: ResourceRef;
  file?: Result['file'];
}

export function result(severity: Severity, message: string, about?: Subject, field?: string): Result {
  return {
    message,
    severity,
    ...(about ? { resourceRef: about.ref } : {}),
    ...(field ? { field: { path: field } } : {}),
    ...(about?.file ? { file: about.file } : {}),
  };
}

/**
 * The one error type: problems found together, each an error result. A step throws it where it
 * cannot go on; `collect` turns it back into results. Anything else thrown is a bug, never a
 * user's problem, and goes on up to be reported as one.
 */
export class ResultsError extends Error {
  constructor(readonly results: readonly Result[]) {
    super(results.map((r) => r.message).join('; '));
    this.name = 'ResultsError';
  }
}

/** One problem, to throw: its message says what is wrong, `field` says where (never both). */
export const problem = (message: string, about?: Subject, field?: string): ResultsError =>
  new ResultsError([result('error', message, about, field)]);

/** Runs a step, adding its problems to `problems` instead of stopping at the first. */
export function collect<T>(problems: Result[], step: () => T): T | undefined {
  try {
    return step();
  } catch (error) {
    if (!(error instanceof ResultsError)) throw error;
    problems.push(...error.results);
    return undefined;
  }
}

export const hasErrors = (results: readonly Result[]) => results.some((r) => r.severity === 'error');
export const exitCodeOf = (results: readonly Result[]): 0 | 1 => (hasErrors(results) ? 1 : 0);

/** `1 warning`, `2 warnings`: a count in a message. */
export const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

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
