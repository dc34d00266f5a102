// The golden helper cannot pass by accident: a missing file fails, and UPDATE_GOLDEN=1 writes what
// differs and fails too, naming the file.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectGolden } from './golden.js';

const dir = mkdtempSync(join(tmpdir(), 'inject-sidecar-golden-'));
const saved = process.env.UPDATE_GOLDEN;
afterEach(() => {
  if (saved === undefined) delete process.env.UPDATE_GOLDEN;
  else process.env.UPDATE_GOLDEN = saved;
});

describe('expectGolden', () => {
  it('fails on a missing file and writes nothing', () => {
    delete process.env.UPDATE_GOLDEN;
    const file = join(dir, 'missing.yaml');
    expect(() => expectGolden([file, 'a: 1\n'])).toThrow(/is missing; UPDATE_GOLDEN=1 writes it/);
    expect(existsSync(file)).toBe(false);
  });
  it('fails on a difference', () => {
    delete process.env.UPDATE_GOLDEN;
    const file = join(dir, 'differs.yaml');
    writeFileSync(file, 'a: 1\n');
    expect(() => expectGolden([file, 'a: 2\n'])).toThrow();
    expect(readFileSync(file, 'utf8')).toBe('a: 1\n');
  });
  it('under UPDATE_GOLDEN=1 writes every file that differs, then fails naming them', () => {
    process.env.UPDATE_GOLDEN = '1';
    const one = join(dir, 'one.yaml');
    const two = join(dir, 'two.yaml');
    writeFileSync(one, 'old\n');
    expect(() => expectGolden([one, 'new\n'], [two, 'made\n'])).toThrow(/UPDATE_GOLDEN wrote .*one\.yaml, .*two\.yaml/);
    expect(readFileSync(one, 'utf8')).toBe('new\n');
    expect(readFileSync(two, 'utf8')).toBe('made\n');
  });
  it('passes, writing nothing, when the file matches', () => {
    process.env.UPDATE_GOLDEN = '1';
    const file = join(dir, 'same.yaml');
    writeFileSync(file, 'same\n');
    expect(() => expectGolden([file, 'same\n'])).not.toThrow();
  });
});
