// The report (`--report`): goldens of the Markdown for the examples and for packages with each kind
// of path past the sidecar (fixtures/report/<case>/report.md, test/expected/report-<example>.md);
// the same report from the package rendered or not, from the command line and the library; a
// namespace too large for a diagram. test/report-render.test.ts draws every golden's diagrams.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { injectSidecarReport } from '../src/lib.js';
import { MAX_DIAGRAM_WORKLOADS } from '../src/report/report.js';
import { runReport, runStream } from '../src/run.js';
import { expectGolden } from './golden.js';
import { reportCases } from './report-cases.js';
import { fn, repo, run } from './tools.js';

const read = (path: string) => readFileSync(join(repo, path), 'utf8');

const report = (c: (typeof reportCases)[number], input = read(c.input)) => runReport(read(c.config), c.config, input);

describe('report goldens', () => {
  for (const c of reportCases)
    it(c.name, () => {
      const out = report(c);
      expect(out.exitCode, out.stderr).toBe(0);
      expect(out.stderr).toBe('');
      expectGolden([join(repo, c.golden), out.stdout]);
    });
});

describe('the report', () => {
  it('is the same from the package rendered already: it shows what the render gives', () => {
    for (const c of reportCases) {
      const rendered = runStream(read(c.config), c.config, read(c.input));
      expect(rendered.exitCode, c.name).toBe(0);
      expect(report(c, rendered.stdout).stdout, c.name).toBe(report(c).stdout);
    }
  });

  it('names every path the audit of the render counts, and every workload and Service', () => {
    const c = reportCases.find((x) => x.name === 'bypasses')!;
    const md = report(c).stdout;
    const rendered = runStream(read(c.config), c.config, read(c.input)).stdout;
    const audit = runStream(read(c.config), c.config, rendered, { audit: true });
    const paths = audit.results.filter((r) => r.severity === 'error');
    expect(paths.length).toBeGreaterThan(5);
    for (const p of paths) expect(md).toContain(p.message.replace(/\|/g, '\\|'));
    expect(md).toContain(`| paths past the sidecar (what \`--audit\` counts) | ${paths.length} |`);
    for (const name of ['web', 'api', 'legacy', 'node-agent', 'ledger', 'reports', 'backend'])
      expect(md).toMatch(new RegExp(`\\| ${name} \\||Deployment ${name}|StatefulSet ${name}`));
    // Each kind of path is drawn dashed, with its reason.
    for (const edge of [
      /s1 -\.->\|":80 → 5000, left on the app port"\| w1a/,
      /r0 -\.->\|":80, to a port left on the app"\| s1/,
      /n0 -\.->\|"hostPort 80 → 8080"\| w0a/,
      /-\.->\|"hostNetwork: no sidecar"\|/,
      /pods -\.->\|"east-west: no NetworkPolicy"\| w0a/,
      /pods -\.->\|"east-west: NetworkPolicy api admits the app port"\| w1a/,
      /e0 -->\|":80, :9090"\| s0/,
      /e0\{\{"NodePort"\}\}/,
    ])
      expect(md).toMatch(edge);
  });

  it('shows the redirect as such, and no Service, hostPort or east-west path under it', () => {
    const md = report(reportCases.find((x) => x.name === 'redirect')!).stdout;
    expect(md).toContain('Capture: redirect');
    expect(md).toMatch(/s0 -->\|":80 → 8080, redirect → 8443"\| w0s/);
    expect(md).toMatch(/pods -->\|"pod IP :5000, redirect → 8443"\| w1s/);
    expect(md).not.toMatch(/left on the app port|hostPort 80|east-west/);
  });

  it('gives way to a table past the documented size of a namespace, and says so', () => {
    const n = MAX_DIAGRAM_WORKLOADS + 1;
    const objects = Array.from({ length: n }, (_, i) => [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `app-${i}`, namespace: 'big', labels: { waf: 'enabled' } },
        spec: {
          selector: { matchLabels: { app: `app-${i}` } },
          template: {
            metadata: { labels: { app: `app-${i}` } },
            spec: { containers: [{ name: 'app', image: 'a', ports: [{ containerPort: 8080 }] }] },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `app-${i}`, namespace: 'big' },
        spec: { selector: { app: `app-${i}` }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    ]).flat();
    const c = reportCases.find((x) => x.name === 'bypasses')!;
    const small = { ...objects[0], metadata: { ...objects[0]!.metadata, namespace: 'small' } };
    const md = runReport(read(c.config), c.config, [...objects, small].map((o) => stringify(o)).join('---\n')).stdout;
    expect(md).toContain(
      `This namespace has ${n} workloads, past the ${MAX_DIAGRAM_WORKLOADS} a diagram shows readably, so its traffic is a table instead of a diagram.`,
    );
    expect(md).toContain(
      '| Deployment app-25 | Service app-25 → waf :8443 (:80 → 8443); path past the sidecar: other pods',
    );
    // The small namespace keeps its diagram.
    expect(md.match(/```mermaid/g)).toHaveLength(1);
  });

  it('fails on bad input as the render does: the error on stderr, nothing on stdout', () => {
    const out = runReport('apiVersion: inject-sidecar.dev/v1alpha1\nkind: SidecarInjection\nspec: {}\n', 'c.yaml', '');
    expect(out.exitCode).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/^inject-sidecar: error: invalid config: .*\(field spec.selector\)$/m);
    const broken = runReport(read('examples/kustomize/waf.yaml'), 'waf.yaml', 'kind: [\n');
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).toBe('');
  });

  it('is in the README as the bundled example gives it', () => {
    const readme = read('README.md');
    const shown = readme.split(/<!-- report: examples\/kustomize[^\n]*-->\n/)[1]?.split('<!-- end of report -->')[0];
    expect(shown).toBe(read('test/expected/report-kustomize.md'));
  });

  it('is what the command line prints, and what the library returns', () => {
    const c = reportCases.find((x) => x.name === 'example kustomize')!;
    const cli = run(fn, ['--report', join(repo, c.config)], { input: read(c.input) });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toBe(read(c.golden));
    expect(injectSidecarReport(read(c.input), read(c.config)).markdown).toBe(read(c.golden));
    expect(run(fn, ['--report'], { input: '' }).stderr).toMatch(/--report takes the config file as its argument/);
    expect(run(fn, ['--report', '--audit', join(repo, c.config)], { input: '' }).stderr).toMatch(
      /--report takes neither --audit nor --strict/,
    );
  });
});
