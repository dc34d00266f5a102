// Golden cases: each folder of fixtures/ is one behaviour. A case holds either
//   config.yaml + input.yaml        (plain mode: the config file argument, a YAML stream on stdin)
//   resource-list.yaml              (KRM mode: a ResourceList on stdin)
// and the expected output.yaml plus results.yaml (exit code and results). UPDATE_GOLDEN=1 npm test
// rewrites what differs and fails naming each file it wrote; read the diff.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type RunOutput, runResourceList, runStream } from '../src/run.js';
import { expectGolden } from './golden.js';

const root = new URL('../fixtures/', import.meta.url).pathname;
// fixtures/multi holds the sources of the several-injection cases (test/multi.test.ts writes their inputs);
// fixtures/report the report's cases (test/report.test.ts).
const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'multi' && d.name !== 'report')
  .map((d) => d.name)
  .sort();

/** Our results come last in a ResourceList we print; a second run starts from the list without them. */
const withoutResults = (list: string) => list.replace(/^results:\n[\s\S]*$/m, '');

function runCase(dir: string, input?: string): RunOutput {
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  if (existsSync(join(dir, 'resource-list.yaml'))) return runResourceList(input ?? read('resource-list.yaml'));
  return runStream(read('config.yaml'), 'config.yaml', input ?? read('input.yaml'));
}

describe('golden cases', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThan(30));
  for (const name of cases) {
    it(name, () => {
      const dir = join(root, name);
      const out = runCase(dir);
      const results = stringify(
        { exitCode: out.exitCode, results: out.results },
        { lineWidth: 0, aliasDuplicateObjects: false },
      );
      expectGolden([join(dir, 'output.yaml'), out.stdout], [join(dir, 'results.yaml'), results]);
      // Every run is checked for the contract, whatever the case: an error leaves no items behind.
      if (out.exitCode === 1) {
        expect(out.stderr).toMatch(/^inject-sidecar: error: /m);
        expect(out.stderr).not.toMatch(/\n\s+at |internal error/);
        expect(out.stdout === '' || parse(out.stdout).items.length === 0).toBe(true);
        return;
      }
      // A second run on the output changes nothing, in either mode.
      const again = runCase(dir, withoutResults(out.stdout));
      expect(again.exitCode).toBe(0);
      expect(withoutResults(again.stdout)).toBe(withoutResults(out.stdout));
    });
  }
});
