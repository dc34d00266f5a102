// The JSON Schema for SidecarInjection is generated from the zod schema and committed, so editors
// can validate configs. This test fails when the zod schema changed and the file was not
// regenerated (npm run schema), and checks the schema against the examples and the bad configs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { sidecarInjectionSchema } from '../src/config/schema.js';
import { expectGolden } from './golden.js';
import { repo } from './tools.js';

const file = join(repo, 'schema/sidecarinjection.schema.json');
const generated = `${JSON.stringify(
  {
    ...z.toJSONSchema(sidecarInjectionSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://inject-sidecar.dev/schema/sidecarinjection.schema.json',
    title: 'SidecarInjection',
    description:
      'Config of the inject-sidecar KRM function: which workloads get the sidecar, the sidecar container, and the ports whose traffic goes through it.',
  },
  null,
  2,
)}\n`;

const schema = JSON.parse(readFileSync(file, 'utf8'));
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)],
  );
}
const exampleConfigs = walk(join(repo, 'examples'))
  .filter((f) => /\.ya?ml$/.test(f))
  .filter((f) => /^kind: SidecarInjection$/m.test(readFileSync(f, 'utf8')));
const badConfigs = readdirSync(join(repo, 'fixtures'))
  .filter((d) => d.startsWith('error-config-'))
  .map((d) => join(repo, 'fixtures', d, 'config.yaml'))
  .filter(existsSync);

// A rule across array entries that JSON Schema cannot state; the function rejects it (see its
// golden case), editors do not.
const crossField: Record<string, string> = {
  'error-config-ports-collide': 'listen ports unique across entries',
  'error-config-missing-image': 'an image is required unless spec.preset names one',
};

describe('JSON Schema', () => {
  it('is current with the zod schema (npm run schema regenerates it)', () => expectGolden([file, generated]));
  it('has example configs to check', () => expect(exampleConfigs.length).toBeGreaterThanOrEqual(4));
  it.each(exampleConfigs.map((f) => [f.slice(repo.length + 1), f]))('accepts %s', (_name, f) => {
    const ok = validate(parse(readFileSync(f, 'utf8')));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });
  it.each(badConfigs.map((f) => [f.split('/').at(-2)!, f]))('rejects %s', (name, f) => {
    expect(validate(parse(readFileSync(f, 'utf8')))).toBe(name in crossField);
  });
});

describe('the SidecarInjection TypeScript type the library ships', () => {
  it('is current with the zod schema (npm run schema regenerates it)', () => {
    const text = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import('./scripts/config-type.mjs').then((m) => process.stdout.write(m.configTypeText()))",
      ],
      { cwd: repo, encoding: 'utf8' },
    );
    expectGolden([join(repo, 'src/config/sidecar-injection.ts'), text]);
  }, 60_000);
});
