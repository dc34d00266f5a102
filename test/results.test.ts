// The one error type and its collector: a step's own problems become results; anything else thrown
// is a bug and goes on up, to be reported as an internal error by run.ts, never as the user's.
import { describe, expect, it } from 'vitest';
import type { Result as LibraryResult } from '../src/lib.js';
import { collect, exitCodeOf, formatResult, problem, type Result, ResultsError } from '../src/results.js';

const about = { ref: { apiVersion: 'v1', kind: 'Service', name: 'web', namespace: 'shop' } };

describe('results', () => {
  it('problem() is one error result, its field apart from its message', () => {
    const e = problem('expected number, received string', about, 'spec.ports[0].port');
    expect(e).toBeInstanceOf(ResultsError);
    expect(e.results).toEqual([
      {
        severity: 'error',
        message: 'expected number, received string',
        resourceRef: about.ref,
        field: { path: 'spec.ports[0].port' },
      },
    ]);
  });

  it('collect() adds the problems of a step that throws them and goes on', () => {
    const problems = [problem('first').results[0]!];
    expect(collect(problems, () => 42)).toBe(42);
    expect(
      collect(problems, () => {
        throw new ResultsError([problem('second').results[0]!, problem('third').results[0]!]);
      }),
    ).toBeUndefined();
    expect(problems.map((r) => r.message)).toEqual(['first', 'second', 'third']);
    expect(exitCodeOf(problems)).toBe(1);
  });

  it('collect() lets anything else through: an internal bug is not a user problem', () => {
    const problems: never[] = [];
    expect(() =>
      collect(problems, () => {
        throw new TypeError('x is undefined');
      }),
    ).toThrow(TypeError);
    expect(problems).toEqual([]);
  });

  it("the library's Result, written out for the shipped declarations, is the function's own", () => {
    // tsc (npm test) rejects this line when the two shapes drift apart.
    const same: [LibraryResult] extends [Result] ? ([Result] extends [LibraryResult] ? true : false) : false = true;
    expect(same).toBe(true);
  });

  it('stderr says the object and the field once each', () =>
    expect(formatResult(problem('expected number, received string', about, 'spec.ports[0].port').results[0]!)).toBe(
      'inject-sidecar: error: Service shop/web: expected number, received string (field spec.ports[0].port)',
    ));
});
