// Every enum of the config schema, written slightly wrong, is an error that names what was written
// and the allowed value it is closest to. The enums come from the JSON Schema the zod schema makes,
// so a new enum is covered without a new row.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFunctionConfig } from '../src/config/read.js';
import { closest } from '../src/objects/shape.js';
import { ResultsError } from '../src/results.js';
import { repo } from './tools.js';

type Json = Record<string, unknown>;
const schema = JSON.parse(readFileSync(join(repo, 'schema/sidecarinjection.schema.json'), 'utf8'));

/** Each enum's place in a config (`spec.ports[0].protocol`) and its values. */
function enums(node: unknown, path: (string | number)[] = []): { path: (string | number)[]; values: string[] }[] {
  if (typeof node !== 'object' || node === null) return [];
  const n = node as Json;
  if (Array.isArray(n.enum)) return [{ path, values: n.enum as string[] }];
  const out: { path: (string | number)[]; values: string[] }[] = [];
  for (const [k, v] of Object.entries((n.properties as Json) ?? {})) out.push(...enums(v, [...path, k]));
  if (n.items) out.push(...enums(n.items, [...path, 0]));
  for (const branch of (n.oneOf as unknown[]) ?? []) out.push(...enums(branch, path));
  return out;
}

/** A valid config with what each path needs around it (a preset for its settings, an expression's key). */
function configWith(path: (string | number)[], value: string): Json {
  const spec: Json = {
    selector: { matchLabels: { waf: 'enabled' } },
    container: { name: 'waf', image: 'example/waf:1', ports: [{ containerPort: 9000 }] },
    ports: [{ appPort: 8080, listenPort: 8443 }],
  };
  if (path[1] === 'wallarm') Object.assign(spec, { preset: 'wallarm', wallarm: {}, container: {} });
  if (path[1] === 'modsecurity') Object.assign(spec, { preset: 'modsecurity-crs', modsecurity: {}, container: {} });
  if (path[2] === 'matchExpressions') (spec.selector as Json).matchExpressions = [{ key: 'tier', values: ['web'] }];
  const config: Json = { apiVersion: 'inject-sidecar.dev/v1alpha1', kind: 'SidecarInjection', spec };
  let at: Json = config;
  for (const [i, key] of path.slice(0, -1).entries()) {
    const next = typeof path[i + 1] === 'number' ? [] : {};
    at[key] ??= next;
    at = at[key] as Json;
  }
  at[path.at(-1)!] = value;
  return config;
}

/** A near miss of `value`: its case changed, or (all one case already) two letters swapped. */
const nearMiss = (value: string) =>
  value.toLowerCase() !== value
    ? value.toLowerCase()
    : value.length > 2
      ? `${value[1]}${value[0]}${value.slice(2)}`
      : value.toUpperCase();

const fieldOf = (path: (string | number)[]) =>
  path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '')
    .replace(/\.\[/g, '[');

const rows = enums(schema).filter((e) => e.path[0] === 'spec');
describe('an enum value written wrong names what was written and the closest allowed one', () => {
  it('finds the schema enums', () => expect(rows.length).toBeGreaterThanOrEqual(10));
  it.each(rows.flatMap((e) => e.values.map((v) => [fieldOf(e.path), v, e.path] as const)))(
    '%s: %s',
    (field, value, path) => {
      const written = nearMiss(value);
      let results: ResultsError['results'] = [];
      try {
        readFunctionConfig(configWith([...path], written));
      } catch (e) {
        if (!(e instanceof ResultsError)) throw e;
        results = e.results;
      }
      const at = field.replace(/\.operator$/, '');
      const mine = results.find((r) => r.field?.path === field || r.field?.path === at);
      expect(mine, JSON.stringify(results)).toBeDefined();
      expect(mine!.message).toContain(JSON.stringify(written));
      expect(mine!.message).toContain(`did you mean ${value}?`);
    },
  );
});

describe('closest', () => {
  it.each([
    ['Statefulset', ['Deployment', 'StatefulSet'], 'StatefulSet'],
    ['gprc', ['http', 'grpc'], 'grpc'],
    ['folow', ['follow', 'keep'], 'follow'],
    ['banana', ['follow', 'keep'], undefined],
    ['x', ['In', 'NotIn'], undefined],
  ])('%s among %j: %s', (written, allowed, expected) => expect(closest(written, allowed)).toBe(expected));
});

describe('an error about a derived value names the field the user wrote', () => {
  it('modsecurity-crs with listenPort 443: the listen port, and no sslPort the user never set', () => {
    const config = configWith(['spec', 'modsecurity', 'paranoia'], 'x');
    ((config.spec as Json).modsecurity as Json) = {};
    ((config.spec as Json).ports as Json[])[0]!.listenPort = 443;
    let results: ResultsError['results'] = [];
    try {
      readFunctionConfig(config);
    } catch (e) {
      results = (e as ResultsError).results;
    }
    expect(results.map((r) => r.field?.path)).toEqual(['spec.ports[0].listenPort']);
  });
});
