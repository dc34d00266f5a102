// Golden cases: each folder of fixtures/ is one behaviour. A case holds either
//   config.yaml + input.yaml        (plain mode: the config file argument, a YAML stream on stdin)
//   resource-list.yaml              (KRM mode: a ResourceList on stdin)
// and the expected output.yaml plus results.yaml (exit code and results). Regenerate them with
// UPDATE_GOLDEN=1 npm test, and read the diff.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runResourceList, runStream, type RunOutput } from '../src/run.js';

const root = new URL('../fixtures/', import.meta.url).pathname;
const update = process.env.UPDATE_GOLDEN === '1';
const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

export function runCase(dir: string): RunOutput {
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  if (existsSync(join(dir, 'resource-list.yaml'))) return runResourceList(read('resource-list.yaml'));
  return runStream(read('config.yaml'), 'config.yaml', read('input.yaml'));
}

describe('golden cases', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThan(30));
  for (const name of cases) {
    it(name, () => {
      const dir = join(root, name);
      const out = runCase(dir);
      const results = stringify({ exitCode: out.exitCode, results: out.results }, { lineWidth: 0 });
      if (update) {
        writeFileSync(join(dir, 'output.yaml'), out.stdout);
        writeFileSync(join(dir, 'results.yaml'), results);
      }
      expect(out.stdout).toBe(readFileSync(join(dir, 'output.yaml'), 'utf8'));
      expect(parse(results)).toEqual(parse(readFileSync(join(dir, 'results.yaml'), 'utf8')));
      // Every run is checked for the contract, whatever the case: an error leaves no items behind.
      if (out.exitCode === 1) {
        expect(out.stderr).toMatch(/^inject-sidecar: error: /);
        expect(out.stderr).not.toMatch(/\n\s+at /);
        expect(out.stdout === '' || parse(out.stdout).items.length === 0).toBe(true);
      }
      // A second run on the output changes nothing.
      if (out.exitCode === 0 && !existsSync(join(dir, 'resource-list.yaml'))) {
        const again = runStream(readFileSync(join(dir, 'config.yaml'), 'utf8'), 'config.yaml', out.stdout);
        expect(again.stdout).toBe(out.stdout);
      }
    });
  }
});
