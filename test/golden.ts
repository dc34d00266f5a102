// Golden files: a missing one fails the test; only UPDATE_GOLDEN=1 writes, and then the test fails
// too, naming what it wrote (as the kpt SDK's CompareGoldenFile does), so a rewrite is always read
// as a diff before it is trusted.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { afterAll, expect } from 'vitest';
import { repo } from './tools.js';

const update = process.env.UPDATE_GOLDEN === '1';
const written: string[] = [];

afterAll(() => {
  if (written.length) console.log(`UPDATE_GOLDEN wrote ${written.length} file(s):\n${written.map((f) => `  ${f}`).join('\n')}`);
});

export function expectGolden(file: string, actual: string): void {
  const name = relative(repo, file);
  const expected = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (expected === actual) return;
  if (update) {
    writeFileSync(file, actual);
    written.push(name);
    expect.fail(`UPDATE_GOLDEN wrote ${name}; read the diff, then run again without UPDATE_GOLDEN`);
  }
  if (expected === undefined) expect.fail(`${name} is missing; UPDATE_GOLDEN=1 writes it (then read it)`);
  expect(actual).toBe(expected);
}
