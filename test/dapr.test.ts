// Dapr's app port on a package nobody here wrote: Dapr's own distributed calculator
// (test/held-out/SOURCES.md), five apps whose dapr.io/app-port names the port each one serves. With
// either capture, the render moves it to the listen port (daprd delivers on loopback, past any
// Service or redirect), the audit of the render finds no Dapr path, and removal gives the files back.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runStream } from '../src/run.js';
import { checkInvariants } from './invariants.js';
import { objectsOf, repo } from './tools.js';

type Obj = Record<string, any>;
const dir = join(repo, 'test/held-out/dapr-distributed-calculator/tutorials/distributed-calculator/deploy');
// As kustomize would give them: every file, in name order, as one stream.
const files = readdirSync(dir).sort();
const input = files.map((f) => readFileSync(join(dir, f), 'utf8').trimEnd()).join('\n---\n');
const LISTEN = 18443;
const config = (spec: Obj) =>
  stringify({
    apiVersion: 'inject-sidecar.dev/v1alpha1',
    kind: 'SidecarInjection',
    metadata: { name: 'waf' },
    spec: {
      selector: {},
      container: {
        name: 'waf',
        image: 'example/waf:2.0',
        securityContext: { runAsUser: 101 },
        readinessProbe: { tcpSocket: { port: LISTEN } },
      },
      ports: [{ listenPort: LISTEN }],
      ...spec,
    },
  });
const render = (spec: Obj, text = input) => runStream(config(spec), 'config.yaml', text);
const deployments = (text: string) => objectsOf(text).filter((o) => o.kind === 'Deployment');
const daprPort = (d: Obj) => d.spec.template.metadata.annotations['dapr.io/app-port'];
const paths = (out: ReturnType<typeof runStream>) =>
  out.results.filter((r) => r.severity === 'error').map((r) => `${r.resourceRef?.name}: ${r.message}`);

describe("Dapr's distributed calculator", () => {
  const source = deployments(input);
  it('has five Dapr apps, each app-port naming the port it serves', () => {
    expect(source).toHaveLength(5);
    for (const d of source) expect(daprPort(d)).toBe(String(d.spec.template.spec.containers[0].ports[0].containerPort));
  });

  for (const capture of ['service', 'redirect'] as const) {
    const spec = capture === 'redirect' ? { capture, redirect: { image: 'example/iptables:1.8' } } : {};
    const out = render(spec);
    it(`capture: ${capture}: every app-port moves to the listen port, the user's value recorded`, () => {
      expect(out.exitCode).toBe(0);
      for (const d of deployments(out.stdout)) {
        expect(daprPort(d)).toBe(String(LISTEN));
        const status = JSON.parse(d.spec.template.metadata.annotations['inject-sidecar.dev/status']);
        const own = String(d.spec.template.spec.containers[0].ports[0].containerPort);
        expect(status.waf.meshAnnotations).toEqual({ 'dapr.io/app-port': own });
      }
      const broken = checkInvariants(objectsOf(input), objectsOf(out.stdout), out.results, {
        sidecarName: 'waf',
        listenPorts: [LISTEN],
        selected: (o) => o.kind === 'Deployment',
        capture,
      });
      expect(broken).toEqual([]);
    });
    it(`capture: ${capture}: the audit of the render finds no Dapr path; with one app-port put back, it finds that one`, () => {
      const audit = (text: string) => render({ ...spec, mode: 'audit' }, text);
      expect(paths(audit(out.stdout)).filter((p) => /dapr/.test(p))).toEqual([]);
      const back = out.stdout.replace(
        new RegExp(`(name: calculator-front-end[\\s\\S]*?dapr.io/app-port: )"${LISTEN}"`),
        '$1"8080"',
      );
      expect(back).not.toBe(out.stdout);
      expect(paths(audit(back)).filter((p) => /dapr/.test(p))).toEqual([
        'calculator-front-end: dapr.io/app-port is fronted app port 8080: daprd delivers service invocations and pub/sub messages to localhost:8080, past the sidecar; set it to listen port 18443',
      ]);
    });
    it(`capture: ${capture}: deselected, the files come back byte for byte`, () =>
      expect(render({ ...spec, selector: { matchLabels: { never: 'x' } } }, out.stdout).stdout).toBe(input));
  }

  it('with networkPolicies: generate, or with capture: redirect, the audit of the render is clean', () => {
    for (const spec of [{ networkPolicies: 'generate' }, { capture: 'redirect', redirect: { image: 'i' } }]) {
      const out = render(spec);
      const audit = render({ ...spec, mode: 'audit' }, out.stdout);
      expect(paths(audit)).toEqual([]);
      expect(audit.exitCode).toBe(0);
    }
  });
});
