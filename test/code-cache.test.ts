// V8's code cache beside dist/inject-sidecar (scripts/loader.js, scripts/code-cache.mjs): used
// wherever the executable is run the way users run it, never written by a run, and never needed:
// a cache that is missing, refused or damaged changes nothing but start-up time.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dist, expectClean, fn, repo } from './tools.js';

const cacheName = `inject-sidecar.${process.version}-${process.arch}.cache`;
const fixture = join(repo, 'fixtures/resourcelist-kpt-annotations');
const list = readFileSync(join(fixture, 'resource-list.yaml'), 'utf8');
const expected = readFileSync(join(fixture, 'output.yaml'), 'utf8');

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  cache?: string;
}

/** Runs a command on the fixture's ResourceList with the loader's report switched on. */
function ran(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Ran {
  const env = opts.env ?? { ...process.env, INJECT_SIDECAR_DEBUG: '1' };
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env, input: list, encoding: 'utf8' });
  const cache = /code cache .*: (accepted|rejected|absent)\n/.exec(r.stderr)?.[1];
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, cache };
}

/** dist/inject-sidecar copied into a fresh directory, with the cache as given. */
function copyWith(cache: (file: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'inject-sidecar-cache-'));
  copyFileSync(fn, join(dir, 'inject-sidecar'));
  cache(join(dir, cacheName));
  return join(dir, 'inject-sidecar');
}

describe('the code cache is used wherever the executable runs as users run it', () => {
  const elsewhere = () => mkdtempSync(join(tmpdir(), 'inject-sidecar-cwd-'));
  const linked = () => {
    const bin = mkdtempSync(join(tmpdir(), 'inject-sidecar-bin-'));
    symlinkSync(fn, join(bin, 'inject-sidecar'));
    return join(bin, 'inject-sidecar');
  };
  const cases: [string, () => Ran][] = [
    ['run by its shebang, by absolute path from /', () => ran(fn, [], { cwd: '/' })],
    [
      'run by node, by a relative path from another directory',
      () => {
        const cwd = elsewhere();
        return ran('node', [relative(cwd, fn)], { cwd });
      },
    ],
    ['through a symlink, as npm links a bin', () => ran(linked(), [])],
    ['under env -i, with no PATH', () => ran(process.execPath, [fn], { env: { INJECT_SIDECAR_DEBUG: '1' } })],
    [
      'as user nobody',
      () => ran('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, fn]),
    ],
    [
      'from a read-only bind mount of dist/',
      () => {
        // Its own mount namespace: the read-only mount is gone when the command ends.
        const script = `mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && exec "${process.execPath}" "$1/inject-sidecar"`;
        return ran('unshare', ['--mount', 'sh', '-c', script, 'sh', dist]);
      },
    ],
  ];
  // What a run could write: the directory's listing and the executable's own files.
  const state = () => ({
    listing: readdirSync(dist).sort(),
    files: ['inject-sidecar', cacheName].map((f) => readFileSync(join(dist, f), 'latin1')),
  });
  it.each(cases)('%s', (_name, go) => {
    const before = state();
    const r = go();
    expectClean(r.stderr.replace(/^inject-sidecar: code cache .*\n/, ''));
    expect(r.cache).toBe('accepted');
    expect(r.stdout).toBe(expected);
    expect(state()).toEqual(before); // a run writes nothing
  });

  it('the read-only mount is really read-only (the case above proves something)', () => {
    const script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && touch "$1/x"';
    const r = spawnSync('unshare', ['--mount', 'sh', '-c', script, 'sh', dist], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system/);
  });
});

describe('without a usable cache the output is the same', () => {
  const cases: [string, () => Ran][] = [
    [
      'a copy without its cache',
      () =>
        ran(
          copyWith(() => {}),
          [],
        ),
    ],
    [
      'a V8 flag in NODE_OPTIONS (V8 refuses the cache)',
      () =>
        ran(fn, [], { env: { ...process.env, INJECT_SIDECAR_DEBUG: '1', NODE_OPTIONS: '--max-old-space-size=300' } }),
    ],
    [
      'a truncated cache',
      () =>
        ran(
          copyWith((file) => {
            copyFileSync(join(dist, cacheName), file);
            truncateSync(file, statSync(file).size >> 1);
          }),
          [],
        ),
    ],
    [
      'a cache of another program',
      () =>
        ran(
          copyWith((file) => writeFileSync(file, Buffer.alloc(4096, 7))),
          [],
        ),
    ],
  ];
  it.each(cases)('%s', (name, go) => {
    const r = go();
    expect(r.status).toBe(0);
    expect(r.cache).toBe(name.startsWith('a copy without') ? 'absent' : 'rejected');
    expect(r.stdout).toBe(expected);
  });
});

describe('--help and --version load only what they need', () => {
  // What a run compiled is what its code cache holds: from a copy with no cache, the cache written
  // at exit holds every function that ran. Initialising yaml and the config schemas (as an eager
  // import of the run code does) takes --version's cache from about 65 KB to 185 KB; a run on a
  // ResourceList writes about 450 KB.
  const compiled = (args: string[], input = '') => {
    const copy = copyWith(() => {});
    const out = join(copy, '..', 'written.cache');
    const r = spawnSync(process.execPath, [copy, ...args], {
      input,
      env: { ...process.env, INJECT_SIDECAR_WRITE_CODE_CACHE: out },
    });
    expect(r.status).toBe(0);
    return statSync(out).size;
  };
  it.each([['--version'], ['--help']])('%s', (flag) => {
    expect(compiled([flag])).toBeLessThan(compiled([], list) / 4);
  });
});
