import { describe, expect, it } from 'vitest';
import { readFunctionConfig } from '../src/config/read.js';
import { selectableKinds, WORKLOAD_KINDS } from '../src/objects/workload.js';
import { ResultsError } from '../src/results.js';

type Loose = Record<string, unknown>;
interface Candidate extends Loose {
  apiVersion: string;
  kind: string;
  spec: Loose & { container: Loose; ports: Loose[] };
}
const valid = (): Candidate => ({
  apiVersion: 'inject-sidecar.dev/v1alpha1',
  kind: 'SidecarInjection',
  metadata: { name: 'waf', annotations: { 'config.kubernetes.io/local-config': 'true' } },
  spec: {
    selector: { matchLabels: { waf: 'enabled' } },
    container: { name: 'waf', image: 'wallarm/node:4.10' },
    ports: [{ appPort: 'http', listenPort: 8443, name: 'waf-http' }],
  },
});

/** The first error result of a rejected config, and how many there are. */
function errorOf(config: unknown): { message: string; path: string | undefined; count: number } {
  try {
    readFunctionConfig(config);
  } catch (e) {
    if (!(e instanceof ResultsError)) throw e;
    const first = e.results[0]!;
    return { message: first.message, path: first.field?.path, count: e.results.length };
  }
  throw new Error('expected the config to be rejected');
}

describe('config validation: each error names its field', () => {
  const table: [string, (c: Candidate) => void, string, string][] = [
    [
      'port above range',
      (c) => (c.spec.ports[0]!.listenPort = 65536),
      'spec.ports[0].listenPort',
      'invalid config: a port is 1 to 65535',
    ],
    [
      'port zero',
      (c) => (c.spec.ports[0]!.listenPort = 0),
      'spec.ports[0].listenPort',
      'invalid config: a port is 1 to 65535',
    ],
    [
      'port not whole',
      (c) => (c.spec.ports[0]!.listenPort = 84.5),
      'spec.ports[0].listenPort',
      'invalid config: a port is a whole number',
    ],
    [
      'appPort out of range',
      (c) => (c.spec.ports[0]!.appPort = 0),
      'spec.ports[0].appPort',
      'invalid config: a port is 1 to 65535',
    ],
    [
      'listen ports collide',
      (c) => c.spec.ports.push({ appPort: 9000, listenPort: 8443 }),
      'spec.ports[1].listenPort',
      'invalid config: listenPort 8443 collides with ports[0].listenPort',
    ],
    [
      'app ports collide',
      (c) => c.spec.ports.push({ appPort: 'http', listenPort: 8444 }),
      'spec.ports[1].appPort',
      'invalid config: appPort http collides with ports[0].appPort',
    ],
    [
      'two omitted app ports',
      (c) => (c.spec.ports = [{ listenPort: 1 }, { listenPort: 2 }]),
      'spec.ports[1].appPort',
      'invalid config: an omitted appPort collides with ports[0].appPort',
    ],
    [
      'listen port collides with a declared sidecar port name',
      (c) => ((c.spec.container as Record<string, unknown>).ports = [{ name: 'waf-http', containerPort: 9000 }]),
      'spec.ports[0].name',
      'invalid config: port name waf-http collides with container.ports[0].name',
    ],
    [
      'unknown operator',
      (c) => (c.spec.selector = { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] }),
      'spec.selector.matchExpressions[0].operator',
      'invalid config: unknown selector operator "Equals"; use In, NotIn, Exists or DoesNotExist',
    ],
    [
      'Exists with values',
      (c) => (c.spec.selector = { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['b'] }] }),
      'spec.selector.matchExpressions[0].values',
      'invalid config: operators Exists and DoesNotExist take no values',
    ],
    [
      'wrong apiVersion',
      (c) => (c.apiVersion = 'v1'),
      'apiVersion',
      'invalid config: "v1": must be inject-sidecar.dev/v1alpha1',
    ],
    ['wrong kind', (c) => (c.kind = 'Sidecar'), 'kind', 'invalid config: "Sidecar": must be SidecarInjection'],
    [
      'missing image',
      (c) => delete (c.spec.container as Record<string, unknown>).image,
      'spec.container.image',
      'invalid config: an image is required (or a preset)',
    ],
    [
      'empty image',
      (c) => ((c.spec.container as Record<string, unknown>).image = ''),
      'spec.container.image',
      'invalid config: an image is required',
    ],
    [
      'container name not a DNS label',
      (c) => ((c.spec.container as Record<string, unknown>).name = 'WAF'),
      'spec.container.name',
      'invalid config: must be a DNS-1123 label: lowercase letters, digits and inner dashes',
    ],
    [
      'unknown top-level field',
      (c) => ((c as Record<string, unknown>).specs = {}),
      'specs',
      'invalid config: unknown field (check the spelling)',
    ],
    [
      'unknown container field',
      (c) => ((c.spec.container as Record<string, unknown>).imagePullPolcy = 'Always'),
      'spec.container.imagePullPolcy',
      'invalid config: unknown field (check the spelling)',
    ],
    [
      'unknown port field',
      (c) => (c.spec.ports[0]!.targetPort = 1),
      'spec.ports[0].targetPort',
      'invalid config: unknown field (check the spelling)',
    ],
    [
      'port name too long',
      (c) => (c.spec.ports[0]!.name = 'a-very-long-port-name'),
      'spec.ports[0].name',
      'invalid config: a port name has at most 15 characters',
    ],
    [
      'port name without a letter',
      (c) => (c.spec.ports[0]!.name = '8443'),
      'spec.ports[0].name',
      'invalid config: a port name contains at least one letter',
    ],
    [
      'bad protocol',
      (c) => (c.spec.ports[0]!.protocol = 'HTTP'),
      'spec.ports[0].protocol',
      'invalid config: "HTTP" is not one of TCP, UDP, SCTP',
    ],
    [
      'namespaces not a list',
      (c) => (c.spec.namespaces = 'shop'),
      'spec.namespaces',
      'invalid config: expected array, received string',
    ],
    [
      'unknown kind, with the allowed ones',
      (c) => ((c.spec as Record<string, unknown>).kinds = ['Deployment', 'Knative']),
      'spec.kinds[1]',
      'invalid config: "Knative": a kind is one of Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Pod, Rollout',
    ],
    [
      'no kinds',
      (c) => ((c.spec as Record<string, unknown>).kinds = []),
      'spec.kinds',
      'invalid config: name at least one of Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Pod, Rollout',
    ],
    [
      'native not a boolean',
      (c) => ((c.spec as Record<string, unknown>).native = 'yes'),
      'spec.native',
      'invalid config: expected boolean, received string',
    ],
    [
      'restartPolicy on the container',
      (c) => ((c.spec.container as Record<string, unknown>).restartPolicy = 'Always'),
      'spec.container.restartPolicy',
      'invalid config: set spec.native: true for a native sidecar instead',
    ],
  ];
  it.each(table)('%s', (_name, mutate, path, message) => {
    const config = valid();
    mutate(config);
    const e = errorOf(config);
    expect(e.path).toBe(path);
    expect(e.message).toBe(message);
    expect(e.count).toBe(1);
    // The field is said once, in field.path; the message says what is wrong there.
    expect(e.message).not.toContain(path);
  });

  it('accepts the valid config and fills defaults', () => {
    const config = readFunctionConfig(valid());
    expect(config.name).toBe('waf');
    expect(config.ports).toEqual([{ appPort: 'http', listenPort: 8443, name: 'waf-http', protocol: 'TCP' }]);
  });
  it('keeps every core/v1 Container field it knows', () => {
    const c = valid();
    Object.assign(c.spec.container as object, {
      args: ['--x'],
      resources: { limits: { cpu: '1' } },
      securityContext: { runAsNonRoot: true },
    });
    expect(readFunctionConfig(c).container).toMatchObject({ args: ['--x'], resources: { limits: { cpu: '1' } } });
  });
  it('says so when there is no config at all', () => expect(errorOf(undefined).path).toBe('functionConfig'));
});

describe('the ConfigMap form (kpt fn eval -- key=value)', () => {
  const cm = (data: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'function-input' },
    data,
  });
  it('maps the flat keys', () =>
    expect(
      readFunctionConfig(
        cm({
          selector: 'waf=enabled,tier in (web)',
          name: 'waf',
          image: 'w:1',
          listenPort: '8443',
          appPort: 'http',
          portName: 'waf-http',
          namespaces: 'shop, web',
          kinds: 'Deployment, Job',
          native: 'true',
        }),
      ),
    ).toEqual({
      name: 'function-input',
      selector: {
        matchLabels: { waf: 'enabled' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }],
      },
      namespaces: ['shop', 'web'],
      container: { name: 'waf', image: 'w:1' },
      ports: [{ appPort: 'http', listenPort: 8443, name: 'waf-http', protocol: 'TCP' }],
      kinds: ['Deployment', 'Job'],
      native: true,
      networkPolicies: 'follow',
      capture: 'service',
      mode: 'inject',
    }));
  it.each<[Record<string, string>, string, string]>([
    [{ name: 'waf', image: 'w', listenPort: '99999' }, 'data.listenPort', 'invalid config: a port is 1 to 65535'],
    [
      { name: 'waf', image: 'w', listenPort: 'http' },
      'data.listenPort',
      'invalid config: expected number, received string',
    ],
    [{ name: 'waf', listenPort: '8443' }, 'data.image', 'invalid config: an image is required (or a preset)'],
    [{ image: 'w', listenPort: '8443' }, 'data.name', 'invalid config: a name is required (or a preset)'],
    [
      { name: 'waf', image: 'w', listenPort: '8443', imag: 'x' },
      'data.imag',
      'unknown ConfigMap key imag; did you mean image? Known keys are selector, namespaces, defaultNamespace, name, image, appPort, listenPort, portName, protocol, networkPolicies, mode, kinds, native, strict, capture, redirectImage, runAsUser, readinessProbe',
    ],
    [
      { name: 'waf', image: 'w', listenPort: '8443', selector: 'a in b' },
      'data.selector',
      'invalid config: cannot parse selector term "a in b"',
    ],
    [
      { name: 'waf', image: 'w', listenPort: '8443', kinds: 'Deployment,Knative' },
      'data.kinds',
      'invalid config: "Knative": a kind is one of Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Pod, Rollout',
    ],
    [
      { name: 'waf', image: 'w', listenPort: '8443', native: 'yes' },
      'data.native',
      'invalid config: expected boolean, received string',
    ],
  ])('rejects %j at %s', (data, path, message) => {
    const e = errorOf(cm(data));
    expect(e.path).toBe(path);
    expect(e.message).toBe(message);
    expect(e.count).toBe(1);
  });
});

describe('spec.kinds', () => {
  it('allows exactly the selectable kinds of the workload table, in its order', () =>
    expect([...WORKLOAD_KINDS]).toEqual(selectableKinds()));
});
