// Pod parts with two injections on one pod, and the containers an app mount goes to. The goldens
// (fixtures/pod-parts-*, error-pod-parts-*) hold one injection each; here, sequences of two.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runStream } from '../src/run.js';
import { repo } from './tools.js';

type Obj = Record<string, any>;
const source = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {logs: ship, waf: enabled}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
      annotations: {sidecar.istio.io/status: '{"containers":["istio-proxy"]}'}
    spec:
      imagePullSecrets: [{name: own}]
      containers:
        - name: app
          image: example/web:1
          ports: [{containerPort: 8080}]
        - name: istio-proxy
          image: docker.io/istio/proxyv2:1.24.0
          ports: [{containerPort: 15090, name: http-envoy-prom}]
`;
/** An injection that brings the shared volume and the registry's pull Secret. */
const config = (name: string, label: string, selected = true) => `apiVersion: inject-sidecar.dev/v1alpha1
kind: SidecarInjection
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {${label}: ${selected ? (label === 'logs' ? 'ship' : 'enabled') : 'never'}}}
  container:
    name: ${name}
    image: registry.example.com/${name}:1
    securityContext: {runAsUser: 1000}
    volumeMounts: [{name: shared, mountPath: /var/run/shared}]
  volumes: [{name: shared, emptyDir: {}}]
  appVolumeMounts: [{name: shared, mountPath: /var/run/shared}]
  imagePullSecrets: [{name: registry}, {name: own}]
`;
function run(cfg: string, input: string): string {
  const out = runStream(cfg, 'config.yaml', input);
  expect(out.exitCode, out.stderr).toBe(0);
  // The summary, and for a config that now selects nothing, the warning that says so; nothing else.
  for (const line of out.stderr.trim().split('\n'))
    expect(line).toMatch(/^inject-sidecar: injection "|^inject-sidecar: warning: selects no workload/);
  return out.stdout;
}
const podSpec = (text: string): Obj => (parseAllDocuments(text)[0]!.toJS() as Obj).spec.template.spec;

describe('two injections that bring the same volume and pull Secret', () => {
  const logs = run(config('logs', 'logs'), source);
  const both = run(config('waf', 'waf'), logs);
  it('the pod has each part once, the app its mount once, the mesh proxy none', () => {
    const spec = podSpec(both);
    expect(spec.volumes).toEqual([{ name: 'shared', emptyDir: {} }]);
    expect(spec.imagePullSecrets).toEqual([{ name: 'own' }, { name: 'registry' }]);
    const byName = Object.fromEntries(spec.containers.map((c: Obj) => [c.name, c]));
    expect(byName.app.volumeMounts).toEqual([{ name: 'shared', mountPath: '/var/run/shared' }]);
    expect(byName['istio-proxy'].volumeMounts).toBeUndefined();
    // Neither injection mounts into the other's sidecar beyond what that sidecar brings itself.
    expect(byName.logs.volumeMounts).toEqual([{ name: 'shared', mountPath: '/var/run/shared' }]);
    expect(byName.waf.volumeMounts).toEqual([{ name: 'shared', mountPath: '/var/run/shared' }]);
  });
  it('taking out the first leaves what the second needs: the same as the second alone', () => {
    const wafAlone = run(config('waf', 'waf'), source);
    expect(run(config('logs', 'logs', false), both)).toBe(wafAlone);
  });
  it('taking out both gives back the source byte for byte, the pull Secret the pod had kept', () => {
    const noLogs = run(config('logs', 'logs', false), both);
    expect(run(config('waf', 'waf', false), noLogs)).toBe(source);
    const noWaf = run(config('waf', 'waf', false), both);
    expect(run(config('logs', 'logs', false), noWaf)).toBe(source);
  });
  it('opting the workload out gives back the source, the opt-out annotation aside', () => {
    const optOut = (text: string) =>
      text.replace(
        '  labels: {logs: ship, waf: enabled}\n',
        '  labels: {logs: ship, waf: enabled}\n  annotations: {inject-sidecar.dev/inject: "false"}\n',
      );
    const out = run(config('waf', 'waf'), run(config('logs', 'logs'), optOut(both)));
    expect(out).toBe(optOut(source));
  });
  it('a second run of each changes nothing', () => {
    expect(run(config('logs', 'logs'), both)).toBe(both);
    expect(run(config('waf', 'waf'), both)).toBe(both);
  });
});

describe('an override annotation changed or removed', () => {
  const cfg = `apiVersion: inject-sidecar.dev/v1alpha1
kind: SidecarInjection
metadata: {name: waf}
spec:
  selector: {matchLabels: {waf: enabled}}
  container: {name: waf, image: example/waf:1, securityContext: {runAsUser: 101}, readinessProbe: {tcpSocket: {port: 8443}}, env: [{name: MODE, value: monitoring}]}
  ports: [{appPort: 8080, listenPort: 8443}]
  overrides: {env: {MODE: [monitoring, block, safe_blocking]}, image: true}
`;
  const workload = (annotations: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {waf: enabled}${annotations}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: app
          image: example/web:1
          ports: [{containerPort: 8080}]
`;
  const sidecarOf = (text: string): Obj =>
    (parseAllDocuments(text)[0]!.toJS() as Obj).spec.template.spec.containers.find((c: Obj) => c.name === 'waf');
  const mode = (text: string) => sidecarOf(text).env.find((e: Obj) => e.name === 'MODE').value;
  const block =
    '\n  annotations: {waf.inject-sidecar.dev/env.MODE: block, waf.inject-sidecar.dev/image: example/waf:2}';
  const first = run(cfg, workload(block));
  it('applies it', () => {
    expect(mode(first)).toBe('block');
    expect(sidecarOf(first).image).toBe('example/waf:2');
  });
  it('changed, a render gives the new value', () => {
    const changed = first.replace('env.MODE: block', 'env.MODE: safe_blocking');
    expect(mode(run(cfg, changed))).toBe('safe_blocking');
  });
  it("removed, a render gives the config's value, exactly as a workload that never had it", () => {
    const removed = first.replace(block, '');
    expect(run(cfg, removed)).toBe(run(cfg, workload('')));
    expect(mode(run(cfg, removed))).toBe('monitoring');
  });
});

describe('the restricted check and the docs, with overrides', () => {
  it('reads the sidecar each workload gets: no override reaches securityContext, so one result for all', () => {
    const cfg = `apiVersion: inject-sidecar.dev/v1alpha1
kind: SidecarInjection
metadata: {name: waf}
spec:
  selector: {matchLabels: {waf: enabled}}
  container: {name: waf, image: example/waf:1, readinessProbe: {tcpSocket: {port: 8443}}, securityContext: {runAsUser: 101, capabilities: {add: [NET_ADMIN]}}}
  ports: [{appPort: 8080, listenPort: 8443}]
  overrides: {resources: true, image: true}
`;
    const pod = (name: string, annotations: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, labels: {waf: enabled}${annotations}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: app, image: example/app:1, ports: [{containerPort: 8080}]}]
`;
    const overridden = pod(
      'a',
      ', annotations: {waf.inject-sidecar.dev/image: other:2, waf.inject-sidecar.dev/resources: \'{"requests": {"cpu": "1"}}\'}',
    );
    const restricted = (input: string) =>
      runStream(cfg, 'config.yaml', input).results.filter((r) => /restricted Pod Security profile/.test(r.message));
    const plain = restricted(`${pod('a', '')}---\n${pod('b', '')}`);
    expect(plain).toHaveLength(1);
    expect(restricted(`${overridden}---\n${pod('b', '')}`)).toEqual(plain);
  });
  it('docs/pod-parts.md says to set runAsUser, and how to find the number', () => {
    const page = readFileSync(join(repo, 'docs/pod-parts.md'), 'utf8');
    expect(page).toContain('**Set\n`spec.container.securityContext.runAsUser`**');
    expect(page).toContain('--entrypoint id <image>');
  });
});
