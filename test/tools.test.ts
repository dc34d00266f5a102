// The e2e tests skip a missing tool on a developer's machine, and fail under CI=true.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repo, tool } from './tools.js';

describe('tool()', () => {
  it('skips a missing kpt outside CI', () => expect(tool('kpt', { PATH: '/nonexistent' })).toBeUndefined());
  it('fails on a missing kpt under CI=true', () =>
    expect(() => tool('kpt', { PATH: '/nonexistent', CI: 'true' })).toThrow(/kpt is required under CI=true/));
});

describe('build artifacts', () => {
  it('are not committed', () => {
    const tracked = execFileSync('git', ['ls-files', 'dist', '*.tgz', '*.blob'], { cwd: repo, encoding: 'utf8' });
    expect(tracked).toBe('');
  });
});
