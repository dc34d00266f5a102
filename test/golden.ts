// Golden files: a missing one fails the test; only UPDATE_GOLDEN=1 writes, and then the test fails
// too, naming what it wrote (as the kpt SDK's CompareGoldenFile does), so a rewrite is always read
// as a diff before it is trusted.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { afterAll, expect } from 'vitest';
import { repo } from './tools.js';

const written: string[] = [];

afterAll(() => {
  if (written.length)
    console.log(`UPDATE_GOLDEN wrote ${written.length} file(s):\n${written.map((f) => `  ${f}`).join('\n')}`);
});

/** Compares each file with what the run produced; under UPDATE_GOLDEN=1 writes every one that differs, then fails. */
export function expectGolden(...files: [file: string, actual: string][]): void {
  const wrote: string[] = [];
  for (const [file, actual] of files) {
    const name = relative(repo, file);
    const expected = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (expected === actual) continue;
    if (process.env.UPDATE_GOLDEN === '1') {
      writeFileSync(file, actual);
      written.push(name);
      wrote.push(name);
      continue;
    }
    if (expected === undefined) expect.fail(`${name} is missing; UPDATE_GOLDEN=1 writes it (then read it)`);
    expect(actual).toBe(expected);
  }
  if (wrote.length)
    expect.fail(`UPDATE_GOLDEN wrote ${wrote.join(', ')}; read the diff, then run again without UPDATE_GOLDEN`);
}
