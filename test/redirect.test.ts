// capture: redirect beyond the goldens (fixtures/redirect-*): switching and removal on every shape
// of the goldens' sources, the config's rules, the presets' images, chains, and the audit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { runStream } from '../src/run.js';
import { repo } from './tools.js';

type Obj = Record<string, any>;
const fixture = (name: string, file: string) => readFileSync(join(repo, 'fixtures', name, file), 'utf8');
const objects = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS());

const base = {
  apiVersion: 'inject-sidecar.dev/v1alpha1',
  kind: 'SidecarInjection',
  metadata: { name: 'waf' },
};
const config = (spec: Obj) =>
  stringify({
    ...base,
    spec: {
      selector: { matchLabels: { waf: 'enabled' } },
      container: {
        name: 'waf',
        image: 'example/waf:2.0',
        securityContext: { runAsUser: 101 },
        readinessProbe: { tcpSocket: { port: 8443 } },
      },
      ports: [{ appPort: 8080, listenPort: 8443 }],
      ...spec,
    },
  });
const REDIRECT = { capture: 'redirect', redirect: { image: 'example/iptables:1.8' } };
const render = (spec: Obj, input: string) => runStream(config(spec), 'config.yaml', input);
const errorsOf = (out: ReturnType<typeof runStream>) =>
  out.results.filter((r) => r.severity === 'error').map((r) => `${r.field?.path ?? ''}: ${r.message}`);

describe('switching capture and removal', () => {
  // The sources of the redirect goldens, and a source with Dapr and mesh port lists, a policy and a hostPort.
  const sources = {
    regular: fixture('redirect-regular', 'input.yaml'),
    native: fixture('redirect-native', 'input.yaml'),
    ports: fixture('redirect-ports', 'input.yaml'),
  };
  const specs = {
    regular: {},
    native: { native: true },
    'two ports': {
      ports: [
        { appPort: 8080, listenPort: 8443 },
        { appPort: 9090, listenPort: 9443 },
      ],
    },
  };
  for (const [source, input] of Object.entries(sources))
    for (const [shape, spec] of Object.entries(specs)) {
      const service = render(spec, input);
      const redirect = render({ ...spec, ...REDIRECT }, input);
      it(`${source} source, ${shape} sidecar: both captures render`, () => {
        expect(errorsOf(service)).toEqual([]);
        expect(errorsOf(redirect)).toEqual([]);
        expect(redirect.stdout).not.toBe(service.stdout);
      });
      it(`${source} source, ${shape} sidecar: service -> redirect gives the redirect render, and back`, () => {
        expect(render({ ...spec, ...REDIRECT }, service.stdout).stdout).toBe(redirect.stdout);
        expect(render(spec, redirect.stdout).stdout).toBe(service.stdout);
      });
      it(`${source} source, ${shape} sidecar: removal gives the source byte for byte`, () => {
        const off = { selector: { matchLabels: { waf: 'never' } } };
        expect(render({ ...spec, ...REDIRECT, ...off }, redirect.stdout).stdout).toBe(input);
      });
    }

  it('the switch goldens are the other mode’s goldens', () => {
    expect(fixture('redirect-switch-to-redirect', 'output.yaml')).toBe(fixture('redirect-regular', 'output.yaml'));
    expect(fixture('redirect-removed', 'output.yaml')).toBe(fixture('redirect-native', 'input.yaml'));
  });

  it('a mesh port list an earlier render extended goes back when this one no longer fronts the port', () => {
    const input = fixture('redirect-ports', 'input.yaml');
    const two = render(specs['two ports'], input);
    expect(two.stdout).toMatch(/excludeInboundPorts: "9090,9443"/);
    const one = render({}, two.stdout);
    expect(one.stdout).toMatch(/excludeInboundPorts: "9090"/);
    expect(one.stdout).toBe(render({}, input).stdout);
  });

  it('an initContainers written empty comes back as written', () => {
    const input = fixture('redirect-regular', 'input.yaml').replace(
      '    spec:\n      containers:',
      '    spec:\n      initContainers: []\n      containers:',
    );
    const out = render(REDIRECT, input);
    expect(out.stdout).toMatch(/initContainers:\n\s+- name: waf-redirect/);
    const off = { selector: { matchLabels: { waf: 'never' } } };
    expect(render({ ...REDIRECT, ...off }, out.stdout).stdout).toBe(input);
  });
});

describe('the redirect init container', () => {
  const input = fixture('redirect-ports', 'input.yaml');
  it('has one rule per fronted port, UDP ones with -p udp, and nothing else', () => {
    const out = render(
      {
        ...REDIRECT,
        ports: [
          { appPort: 8080, listenPort: 8443 },
          { appPort: 9090, listenPort: 9443, protocol: 'UDP' },
        ],
      },
      input.replace('- {containerPort: 9090}', '- {containerPort: 9090, protocol: UDP}'),
    );
    expect(errorsOf(out)).toEqual([]);
    const [deployment] = objects(out.stdout);
    const [first] = deployment!.spec.template.spec.initContainers;
    expect(first.name).toBe('waf-redirect');
    expect(first.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(first.command[2].split('\n')).toEqual([
      'set -e',
      'iptables -t nat -A PREROUTING -p tcp -d "$POD_IP" --dport 8080 -j REDIRECT --to-ports 8443',
      'iptables -t nat -A PREROUTING -p udp -d "$POD_IP" --dport 9090 -j REDIRECT --to-ports 9443',
    ]);
    expect(first.securityContext).toEqual({
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
    });
  });

  it('is not there for a sidecar in front of no port', () => {
    const out = render({ ...REDIRECT, ports: [] }, input);
    expect(errorsOf(out)).toEqual([]);
    expect(out.stdout).not.toMatch(/waf-redirect/);
  });

  it('collides by name with a container the pod has: an error naming it', () => {
    const taken = input.replace('- name: app\n', '- name: waf-redirect\n');
    expect(errorsOf(render(REDIRECT, taken)).join('\n')).toMatch(/container name "waf-redirect" is already used/);
  });

  it('warns of each liveness and startup probe on a fronted port, not of readiness or other ports', () => {
    const probes = fixture('redirect-regular', 'input.yaml').replace(
      '          readinessProbe:\n            httpGet: {path: /ready, port: 8080}',
      '          readinessProbe:\n            httpGet: {path: /ready, port: 8080}\n          startupProbe:\n            tcpSocket: {port: 8080}\n',
    );
    const spec = { ...REDIRECT, ports: [{ appPort: 'http', listenPort: 8443 }] };
    const warned = (s: Obj) =>
      render(s, probes)
        .results.filter((r) => /Probe of app container/.test(r.message))
        .map((r) => r.field?.path);
    expect(warned(spec)).toEqual([
      'spec.template.spec.containers[0].livenessProbe',
      'spec.template.spec.containers[0].startupProbe',
    ]);
    // Native without a startupProbe: still warned; native with one: the recommended pairing, no warning.
    expect(warned({ ...spec, native: true })).toHaveLength(2);
    const startup = { tcpSocket: { port: 8443 }, periodSeconds: 1, failureThreshold: 30 };
    const withStartup = {
      ...spec,
      native: true,
      container: { name: 'waf', image: 'example/waf:2.0', securityContext: { runAsUser: 101 }, startupProbe: startup },
    };
    expect(warned(withStartup)).toEqual([]);
    // Under capture: service the probes reach the app directly: no warning.
    expect(warned({ ports: spec.ports })).toEqual([]);
  });

  it('warns of the Pod Security levels on each workload, and not under capture: service', () => {
    const two = `${input}---\n${input.split('---')[0]!.replaceAll('orders', 'billing')}`;
    const security = (s: Obj) =>
      render(s, two)
        .results.filter((r) => /fails the baseline and restricted Pod Security levels/.test(r.message))
        .map((r) => r.resourceRef?.name);
    expect(security(REDIRECT)).toEqual(['orders', 'billing']);
    expect(security({})).toEqual([]);
  });
});

describe('what stops a redirect', () => {
  const input = fixture('redirect-regular', 'input.yaml');
  it('a pod that asks Istio for its proxy by label is meshed too', () => {
    const asked = input.replace('labels: {app: web}\n', "labels: {app: web, sidecar.istio.io/inject: 'true'}\n");
    expect(errorsOf(render(REDIRECT, asked)).join('\n')).toMatch(/meshed by Istio/);
    // The same pod with capture: service is injected as before.
    expect(errorsOf(render({}, asked))).toEqual([]);
  });

  it("a namespace that turns a mesh's injector on meshes its pods, unless the pod opts out", () => {
    const inShop = input
      .replace('  name: web\n  labels', '  name: web\n  namespace: shop\n  labels')
      .replace('kind: Service\nmetadata:\n  name: web\n', 'kind: Service\nmetadata:\n  name: web\n  namespace: shop\n');
    const withNamespace = (metadata: string, pod = inShop) =>
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, ${metadata}}\n---\n${pod}`;
    const optOut = (key: string, value: string) =>
      inShop.replace(
        'labels: {app: web}\n    spec:',
        `labels: {app: web}\n      annotations: {${key}: '${value}'}\n    spec:`,
      );
    const errors = (text: string) => errorsOf(render(REDIRECT, text)).join('\n');
    expect(errors(withNamespace('labels: {istio-injection: enabled}'))).toMatch(
      /meshed by Istio \(namespace shop's label istio-injection: enabled\)/,
    );
    expect(errors(withNamespace('labels: {istio.io/rev: canary}'))).toMatch(
      /namespace shop's label istio.io\/rev: canary/,
    );
    expect(errors(withNamespace('labels: {istio.io/rev: canary, istio-injection: disabled}'))).toBe('');
    expect(errors(withNamespace('annotations: {linkerd.io/inject: enabled}'))).toMatch(
      /meshed by Linkerd \(namespace shop's annotation linkerd.io\/inject: enabled\)/,
    );
    // The pod's own opt-out wins over its namespace, as each injector's does.
    expect(
      errors(withNamespace('labels: {istio-injection: enabled}', optOut('sidecar.istio.io/inject', 'false'))),
    ).toBe('');
    expect(
      errors(withNamespace('annotations: {linkerd.io/inject: enabled}', optOut('linkerd.io/inject', 'disabled'))),
    ).toBe('');
    // A namespace without a mesh, and capture: service anywhere: injected as before.
    expect(errors(withNamespace('labels: {team: shop}'))).toBe('');
    expect(errorsOf(render({}, withNamespace('labels: {istio-injection: enabled}')))).toEqual([]);
  });

  it('two chained injections that both redirect: an error; one redirecting and one rewiring: fine', () => {
    const inner = render(REDIRECT, input);
    expect(errorsOf(inner)).toEqual([]);
    // A second injection "edge" in front of the first one's listen port.
    const edge = (spec: Obj) =>
      runStream(
        stringify({
          ...base,
          metadata: { name: 'edge' },
          spec: {
            selector: { matchLabels: { waf: 'enabled' } },
            container: {
              name: 'edge',
              image: 'example/edge:1',
              securityContext: { runAsUser: 101 },
              readinessProbe: { tcpSocket: { port: 9443 } },
            },
            ports: [{ appPort: 8443, listenPort: 9443 }],
            ...spec,
          },
        }),
        'edge.yaml',
        inner.stdout,
      );
    expect(errorsOf(edge(REDIRECT)).join('\n')).toMatch(
      /injection "waf" redirects a port this injection "edge" also fronts or chains to/,
    );
    expect(errorsOf(edge({}))).toEqual([]);
  });
});

describe('the config', () => {
  const input = fixture('redirect-regular', 'input.yaml');
  it('spec.redirect without capture: redirect, and capture misspelt, are errors at their fields', () => {
    expect(errorsOf(render({ redirect: { image: 'x' } }, input))).toEqual([
      'spec.redirect: invalid config: spec.redirect is for capture: redirect',
    ]);
    expect(errorsOf(render({ capture: 'redirekt' }, input)).join('\n')).toMatch(
      /spec.capture: .*did you mean redirect\?/,
    );
  });

  it('the Wallarm preset runs the redirect in its own node image; the CRS preset needs one named', () => {
    const wallarm = (extra: Obj) =>
      runStream(
        stringify({
          ...base,
          spec: {
            selector: { matchLabels: { waf: 'enabled' } },
            preset: 'wallarm',
            wallarm: { group: 'shop', tokenSecretRef: { name: 'wallarm', key: 'token' } },
            ports: [{ appPort: 8080, listenPort: 8443 }],
            capture: 'redirect',
            ...extra,
          },
        }),
        'config.yaml',
        input,
      );
    const imageOf = (out: ReturnType<typeof runStream>) =>
      objects(out.stdout)[0]!.spec.template.spec.initContainers[0].image;
    expect(imageOf(wallarm({}))).toBe('wallarm/node:7.1.0');
    expect(
      imageOf(wallarm({ wallarm: { version: '6.11.1', group: 'shop', tokenSecretRef: { name: 'w', key: 't' } } })),
    ).toBe('wallarm/node:6.11.1');
    expect(imageOf(wallarm({ redirect: { image: 'example/iptables:1.8' } }))).toBe('example/iptables:1.8');
    const crs = runStream(
      stringify({
        ...base,
        spec: {
          selector: { matchLabels: { waf: 'enabled' } },
          preset: 'modsecurity-crs',
          ports: [{ appPort: 8080, listenPort: 8443 }],
          capture: 'redirect',
        },
      }),
      'config.yaml',
      input,
    );
    expect(errorsOf(crs)).toEqual([
      'spec.redirect.image: invalid config: an image with sh and iptables is required with capture: redirect',
    ]);
  });

  it('the ConfigMap form takes capture and redirectImage', () => {
    const cm = stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'waf' },
      data: {
        selector: 'waf=enabled',
        name: 'waf',
        image: 'example/waf:2.0',
        appPort: '8080',
        listenPort: '8443',
        runAsUser: '101',
        readinessProbe: 'tcp',
        capture: 'redirect',
        redirectImage: 'example/iptables:1.8',
      },
    });
    const out = runStream(cm, 'cm.yaml', input);
    expect(errorsOf(out)).toEqual([]);
    expect(out.stdout).toBe(fixture('redirect-regular', 'output.yaml'));
    const missing = runStream(cm.replace(/ {2}redirectImage: .*\n/, ''), 'cm.yaml', input);
    expect(errorsOf(missing)).toEqual([
      'data.redirectImage: invalid config: an image with sh and iptables is required with capture: redirect',
    ]);
  });
});

describe('the audit of a redirect render', () => {
  const audit = (spec: Obj, input: string) => runStream(config({ ...spec, mode: 'audit' }), 'config.yaml', input);
  const paths = (out: ReturnType<typeof runStream>) => errorsOf(out).map((e) => e.replace(/^[^:]*: /, ''));

  it('finds no Service, east-west or hostPort path; the same objects under capture: service have all three', () => {
    const rendered = render(REDIRECT, fixture('redirect-regular', 'input.yaml')).stdout;
    const out = audit(REDIRECT, rendered);
    expect(paths(out)).toEqual([]);
    expect(out.exitCode).toBe(0);
    // The record without its redirect: the Service on the app port, the policy's rule, the hostPort.
    const [deployment, ...rest] = objects(rendered);
    const spec = deployment!.spec.template.spec;
    spec.initContainers = [];
    const broken = [deployment, ...rest].map((o) => stringify(o)).join('---\n');
    const found = paths(audit(REDIRECT, broken)).join('\n');
    expect(found).toMatch(/app port 8080 is published on the node as hostPort 80/);
    expect(found).toMatch(/port 80 still targets app port "http"/);
    expect(found).toMatch(/ingress\[0\] admits app port 8080/);
  });

  it('an init container that lost a rule no longer closes the paths', () => {
    const rendered = render(REDIRECT, fixture('redirect-regular', 'input.yaml')).stdout;
    const edited = rendered.replace(/\n\s+iptables -t nat .*--dport 8080.*/, '');
    expect(edited).not.toBe(rendered);
    expect(paths(audit(REDIRECT, edited)).join('\n')).toMatch(/still targets app port/);
  });

  it('still counts Dapr delivering to the app port, which a redirect never catches', () => {
    const input = fixture('redirect-ports', 'input.yaml');
    const rendered = render({ ...REDIRECT, networkPolicies: 'generate' }, input).stdout;
    expect(paths(audit(REDIRECT, rendered))).toEqual([]);
    const back = rendered.replace('dapr.io/app-port: "8443"', 'dapr.io/app-port: "8080"');
    expect(paths(audit(REDIRECT, back)).join('\n')).toMatch(/dapr.io\/app-port is fronted app port 8080/);
  });
});

describe('fixtures', () => {
  it('the redirect goldens parse as YAML 1.1 tools read them: the script is one string', () => {
    const out = parse(fixture('redirect-regular', 'output.yaml').split('---')[0]!);
    expect(typeof out.spec.template.spec.initContainers[0].command[2]).toBe('string');
  });
});
