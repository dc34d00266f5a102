import { describe, expect, it } from 'vitest';
import type { InjectionConfig } from '../src/config/schema.js';
import { planInjection } from '../src/plan/plan.js';
import { service, workload } from './helpers.js';

const config = (ports: InjectionConfig['ports'], extra: Partial<InjectionConfig> = {}): InjectionConfig => ({
  name: 'waf',
  selector: { matchLabels: { waf: 'enabled' } },
  container: { name: 'waf', image: 'w' },
  ports,
  kinds: ['Deployment'],
  networkPolicies: 'follow',
  mode: 'inject',
  ...extra,
});
const omitted = config([{ listenPort: 8443, protocol: 'TCP' }]);

describe('app port when appPort is omitted, in order', () => {
  const c = (ports: [string | undefined, number][]) => [
    {
      name: 'app',
      image: 'x',
      ports: ports.map(([name, containerPort]) => ({ ...(name ? { name } : {}), containerPort })),
    },
  ];
  const table = [
    {
      name: '1. the app-port annotation wins',
      w: workload('w', {
        annotations: { 'inject-sidecar.dev/app-port': 'web' },
        containers: c([
          ['http', 80],
          ['web', 3000],
        ]),
      }),
      svcPorts: [{ port: 80, targetPort: 80 }],
      expected: 3000,
    },
    {
      name: '2. the one app port paired Services target',
      w: workload('w', {
        containers: c([
          ['http', 80],
          ['api', 5000],
        ]),
      }),
      svcPorts: [{ port: 1, targetPort: 'api' }],
      expected: 5000,
    },
    {
      name: '3. the port named http when Services target two',
      w: workload('w', {
        containers: c([
          ['admin', 9000],
          ['http', 8000],
        ]),
      }),
      svcPorts: [
        { port: 1, targetPort: 9000 },
        { port: 2, targetPort: 8000 },
      ],
      expected: 8000,
    },
    {
      name: '4. the first declared port',
      w: workload('w', {
        containers: c([
          [undefined, 7000],
          [undefined, 7001],
        ]),
      }),
      svcPorts: [],
      expected: 7000,
    },
    {
      name: 'none: left alone',
      w: workload('w', { containers: [{ name: 'app', image: 'x' }] }),
      svcPorts: [],
      expected: undefined,
    },
  ];
  it.each(table)('$name', ({ w, svcPorts, expected }) => {
    const plan = planInjection(omitted, { workloads: [w], services: [service('s', { app: 'w' }, svcPorts)] });
    const d = plan.workloads[0]!.decision;
    expect(d.gets ? d.mappings[0]!.appPort : undefined).toBe(expected);
    if (expected === undefined)
      expect(plan.results).toContainEqual(expect.objectContaining({ severity: 'warning', resourceRef: w.ref }));
  });
});

describe('which entries apply: the workload must have the app port', () => {
  const two = config([
    { appPort: 'http', listenPort: 8443, protocol: 'TCP' },
    { appPort: 5000, listenPort: 8444, protocol: 'TCP' },
  ]);
  it.each([
    [
      'declared by name',
      [{ name: 'app', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }],
      [],
      [[8080, 8443]],
    ],
    ['declared by number', [{ name: 'app', image: 'x', ports: [{ containerPort: 5000 }] }], [], [[5000, 8444]]],
    [
      'undeclared but targeted by number',
      [{ name: 'app', image: 'x' }],
      [{ port: 80, targetPort: 5000 }],
      [[5000, 8444]],
    ],
    [
      'both',
      [{ name: 'app', image: 'x', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 5000 }] }],
      [],
      [
        [8080, 8443],
        [5000, 8444],
      ],
    ],
  ] as const)('%s', (_n, containers, svcPorts, expected) => {
    const w = workload('w', { containers: containers as never });
    const d = planInjection(two, { workloads: [w], services: [service('s', { app: 'w' }, [...svcPorts])] })
      .workloads[0]!.decision;
    expect(d.gets && d.mappings.map((m) => [m.appPort, m.listenPort])).toEqual(expected);
  });
});

describe('the one predicate: injection and rewiring agree', () => {
  const c = config([{ appPort: 8080, listenPort: 8443, protocol: 'TCP' }]);
  it.each<{ name: string; labels: Record<string, string>; annotations: Record<string, string>; gets: boolean }>([
    { name: 'selected', labels: { waf: 'enabled' }, annotations: {}, gets: true },
    { name: 'not selected', labels: {}, annotations: {}, gets: false },
    {
      name: 'opted out',
      labels: { waf: 'enabled' },
      annotations: { 'inject-sidecar.dev/inject': 'false' },
      gets: false,
    },
  ])('$name', ({ labels, annotations, gets }) => {
    const w = workload('w', { labels, annotations });
    const plan = planInjection(c, {
      workloads: [w],
      services: [service('s', { app: 'w' }, [{ port: 80, targetPort: 8080 }])],
    });
    expect(plan.workloads[0]!.sidecar !== undefined).toBe(gets);
    expect(plan.services[0]!.targetPorts).toEqual([gets ? 8443 : 8080]);
  });
  it('a StatefulSet is not injected yet, and a Service over it and a Deployment is left alone', () => {
    const d = workload('d', { podLabels: { app: 'x' } });
    const s = workload('s', { kind: 'StatefulSet', podLabels: { app: 'x' } });
    const plan = planInjection(c, {
      workloads: [d, s],
      services: [service('x', { app: 'x' }, [{ port: 80, targetPort: 8080 }])],
    });
    expect(plan.services[0]!.targetPorts).toEqual([8080]);
    expect(plan.results).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        message: expect.stringMatching(/StatefulSet s, which have no sidecar/),
      }),
    );
  });
  it('a namespace outside spec.namespaces is not selected', () => {
    const plan = planInjection(
      { ...c, namespaces: ['shop'] },
      { workloads: [workload('w', { namespace: 'ops' })], services: [] },
    );
    expect(plan.workloads[0]!.decision).toEqual({ gets: false, why: 'not-selected' });
  });
});

describe('the sidecar', () => {
  it('learns the app port through env, ahead of the user env, and per listen port when there are several entries', () => {
    const c = config(
      [
        { appPort: 8080, listenPort: 8443, name: 'waf-http', protocol: 'TCP' },
        { appPort: 5000, listenPort: 8444, protocol: 'TCP' },
      ],
      { container: { name: 'waf', image: 'w', env: [{ name: 'UPSTREAM', value: '127.0.0.1:$(APP_PORT)' }] } },
    );
    const sidecar = planInjection(c, { workloads: [workload('w')], services: [] }).workloads[0]!.sidecar!;
    expect(sidecar.env).toEqual([
      { name: 'APP_PORT', value: '8080' },
      { name: 'APP_PORT_8443', value: '8080' },
      { name: 'UPSTREAM', value: '127.0.0.1:$(APP_PORT)' },
    ]);
    expect(sidecar.ports).toEqual([{ name: 'waf-http', containerPort: 8443 }]);
  });
  it.each([
    [
      'a listen port an app container uses',
      { name: 'waf', image: 'w' },
      8080,
      /collides with port 8080 \(http\) of container "app"/,
    ],
    ['a name an app container uses', { name: 'app', image: 'w' }, 8443, /container name "app" is already used/],
  ])('is an error naming the workload on %s', (_n, container, listenPort, message) => {
    const c = config([{ appPort: 'http', listenPort, protocol: 'TCP' }], { container });
    const w = workload('w');
    const plan = planInjection(c, { workloads: [w], services: [] });
    expect(plan.results).toEqual([
      expect.objectContaining({ severity: 'error', resourceRef: w.ref, message: expect.stringMatching(message) }),
    ]);
    expect(plan.workloads[0]!.sidecar).toBeUndefined();
  });
});
