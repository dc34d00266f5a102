// The mesh port annotations: taking out what an injection added gives back what the user wrote,
// whatever the list holds, and another injection's additions stay.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAPR_APP_PORT, MESH_PORT_ANNOTATIONS, withListenPorts, withoutListenPorts } from '../src/plan/mesh-ports.js';

const numRuns = Number(process.env.NUM_RUNS ?? 250);
const port = fc.integer({ min: 1, max: 20 }).map((n) => n * 1000);
const part = fc.oneof(
  port.map(String),
  fc.tuple(port, port).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
  fc.constant(' 8080'),
);
const portList = fc.array(part, { minLength: 1, maxLength: 5 }).map((parts) => parts.join(','));
const lists = fc.dictionary(fc.constantFrom(...MESH_PORT_ANNOTATIONS), portList);
// Dapr's app port: one port, often a fronted one.
const annotations = fc
  .tuple(lists, fc.option(port.map(String), { nil: undefined }))
  .map(([x, dapr]) => (dapr === undefined ? x : { ...x, [DAPR_APP_PORT]: dapr }));
const fronts = fc.array(fc.record({ appPort: port, listenPort: port }), { maxLength: 3 });

/** One injection's run: its additions, and what it records of the values the user wrote. */
function add(before: Record<string, string>, ports: { appPort: number; listenPort: number }[]) {
  const added = withListenPorts(before, ports);
  const meshAnnotations = Object.fromEntries(Object.keys(added).map((k) => [k, before[k]!]));
  return {
    after: { ...before, ...added },
    own: { ports: ports.map((p) => ({ ...p, protocol: 'TCP' })), meshAnnotations },
  };
}

describe("Dapr's app port", () => {
  it('moves to the listen port of the app port it names, and back', () => {
    const { after, own } = add({ [DAPR_APP_PORT]: '8080' }, [{ appPort: 8080, listenPort: 8443 }]);
    expect(after[DAPR_APP_PORT]).toBe('8443');
    expect(withoutListenPorts(after, own)[DAPR_APP_PORT]).toBe('8080');
  });
  it('stays where it is when it names no fronted port, or the user changed it since', () => {
    expect(withListenPorts({ [DAPR_APP_PORT]: '3000' }, [{ appPort: 8080, listenPort: 8443 }])).toEqual({});
    const { after, own } = add({ [DAPR_APP_PORT]: '8080' }, [{ appPort: 8080, listenPort: 8443 }]);
    expect(withoutListenPorts({ ...after, [DAPR_APP_PORT]: '9000' }, own)[DAPR_APP_PORT]).toBe('9000');
  });
});

describe('mesh port annotations', () => {
  it('undo(add(x)) = x', () =>
    fc.assert(
      fc.property(annotations, fronts, (x, ports) => {
        const { after, own } = add(x, ports);
        expect({ ...withoutListenPorts(after, own) }).toEqual(x);
      }),
      { numRuns },
    ));

  it("taking one injection's ports out keeps another's", () =>
    fc.assert(
      fc.property(annotations, fronts, fronts, (x, mine, theirs) => {
        const first = add(x, mine);
        const second = add(first.after, theirs);
        const undone = withoutListenPorts(second.after, first.own);
        for (const [key, value] of Object.entries(second.after)) {
          const kept = new Set(undone[key]!.split(',').map((p) => p.trim()));
          const mineAdded = new Set(mine.map((m) => String(m.listenPort)));
          const userParts = new Set((x[key] ?? '').split(',').map((p) => p.trim()));
          for (const p of value.split(',').map((q) => q.trim()))
            if (userParts.has(p) || !mineAdded.has(p)) expect(kept.has(p), `${key}: ${p}`).toBe(true);
        }
      }),
      { numRuns },
    ));

  it('adds the listen port beside a listed app port, and nowhere else', () => {
    expect(
      withListenPorts({ 'config.linkerd.io/opaque-ports': '8080,9000-9100', 'other.io/ports': '8080' }, [
        { appPort: 8080, listenPort: 8443 },
        { appPort: 9050, listenPort: 9050 },
      ]),
    ).toEqual({ 'config.linkerd.io/opaque-ports': '8080,9000-9100,8443' });
  });
});
