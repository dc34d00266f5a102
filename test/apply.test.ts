// The minimal-edit rules of the apply step, as kustomize's filter tests are written: a table of
// {input, expected} inline YAML, run through the whole function with one small config.
import { describe, expect, it } from 'vitest';
import { runStream } from '../src/run.js';
import { expectClean } from './tools.js';

const config = `apiVersion: inject-sidecar.dev/v1alpha1
kind: SidecarInjection
metadata: {name: waf}
spec:
  selector: {matchLabels: {waf: enabled}}
  container: {name: waf, image: w, securityContext: {runAsUser: 1000}, readinessProbe: {tcpSocket: {port: 8443}}}
  ports: [{appPort: 8080, listenPort: 8443}]
`;
const deselect = config.replace('{waf: enabled}', '{waf: never}');
const nativeConfig = config.replace('spec:\n', 'spec:\n  kinds: [Job]\n');
const replaceConfig = `${config}  networkPolicies: replace\n`;
const record =
  '{"container":"waf","ports":[{"appPort":8080,"listenPort":8443,"protocol":"TCP"}],"defaultContainer":"app"}';
const status = `'{"waf":${record}}'`;
const restricted =
  '{runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}, runAsUser: 1000}';
const sidecar = (indent: string) =>
  [
    `- name: waf`,
    `  image: w`,
    `  readinessProbe: {tcpSocket: {port: 8443}}`,
    `  securityContext: ${restricted}`,
    `  env: [{name: APP_PORT, value: "8080"}]`,
    `  ports: [{containerPort: 8443}]`,
  ]
    .map((l) => indent + l)
    .join('\n');

interface Case {
  name: string;
  config?: string;
  input: string;
  expected: string;
  /** The one warning the case gives: a config that now selects nothing says so. */
  warns?: RegExp;
}

const cases: Case[] = [
  {
    name: 'creates the pod annotations map and appends the sidecar, touching nothing else',
    input: `kind: Deployment
apiVersion: apps/v1
metadata: {name: web, labels: {waf: enabled}}
spec:
  template:
    metadata: {labels: {app: web}} # kept
    spec:
      containers: [{name: app, image: a, ports: [{containerPort: 8080}]}]
`,
    expected: `kind: Deployment
apiVersion: apps/v1
metadata: {name: web, labels: {waf: enabled}}
spec:
  template:
    metadata: {labels: {app: web}, annotations: {inject-sidecar.dev/status: ${status}, kubectl.kubernetes.io/default-container: app}} # kept
    spec:
      containers: [{name: app, image: a, ports: [{containerPort: 8080}]}, {name: waf, image: w, readinessProbe: {tcpSocket: {port: 8443}}, securityContext: ${restricted}, env: [{name: APP_PORT, value: "8080"}], ports: [{containerPort: 8443}]}]
`,
  },
  {
    name: 'sets targetPort where it was omitted, and the record says it was',
    input: `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports:
    - port: 8080
`,
    expected: `apiVersion: v1
kind: Service
metadata: {name: web, annotations: {inject-sidecar.dev/rewired-ports: '{"waf":[{"port":8080,"protocol":"TCP","listenPort":8443}]}'}}
spec:
  selector: {app: web}
  ports:
    - port: 8080
      targetPort: 8443
`,
  },
  {
    name: 'deleting the sidecar removes the annotations it added, and the map they leave empty',
    config: deselect,
    warns: /selects no workload/,
    input: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels:
        app: web
      annotations:
        inject-sidecar.dev/status: ${status}
        kubectl.kubernetes.io/default-container: app
    spec:
      containers:
        - name: app
          image: a
${sidecar('        ')}
`,
    expected: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: app
          image: a
`,
  },
  {
    name: 'an earlier sidecar that is not last is moved last, as it was written',
    input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {waf: enabled}}
spec:
  template:
    metadata:
      labels: {app: web}
      annotations:
        inject-sidecar.dev/status: ${status}
        kubectl.kubernetes.io/default-container: app
    spec:
      containers:
${sidecar('        ')}
        - name: app
          image: a
          ports: [{containerPort: 8080}]
`,
    expected: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {waf: enabled}}
spec:
  template:
    metadata:
      labels: {app: web}
      annotations:
        inject-sidecar.dev/status: ${status}
        kubectl.kubernetes.io/default-container: app
    spec:
      containers:
        - name: app
          image: a
          ports: [{containerPort: 8080}]
${sidecar('        ')}
`,
  },
  {
    name: 'an aliased ports entry is replaced by a copy; the anchor stays as written',
    input: `apiVersion: v1
kind: Service
metadata:
  name: web
  annotations: {note: &http {port: 80, targetPort: 8080}}
spec:
  selector: {app: web}
  ports: [*http]
`,
    expected: `apiVersion: v1
kind: Service
metadata:
  name: web
  annotations: {note: &http {port: 80, targetPort: 8080}, inject-sidecar.dev/rewired-ports: '{"waf":[{"port":80,"protocol":"TCP","targetPort":8080,"listenPort":8443}]}'}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8443}]
`,
  },
  {
    name: "a native sidecar goes after other injections' native sidecars, before the app's init containers",
    config: nativeConfig,
    input: `apiVersion: batch/v1
kind: Job
metadata: {name: report, labels: {waf: enabled}}
spec:
  template:
    metadata:
      labels: {app: report}
      annotations: {inject-sidecar.dev/status: '{"bot":{"container":"bot","native":true,"ports":[]}}'}
    spec:
      restartPolicy: Never
      initContainers: [{name: bot, image: b, restartPolicy: Always}, {name: migrate, image: m}]
      containers: [{name: app, image: a, ports: [{containerPort: 8080}]}]
`,
    expected: `apiVersion: batch/v1
kind: Job
metadata: {name: report, labels: {waf: enabled}}
spec:
  template:
    metadata:
      labels: {app: report}
      annotations: {inject-sidecar.dev/status: '{"bot":{"container":"bot","native":true,"ports":[]},"waf":{"container":"waf","native":true,"ports":[{"appPort":8080,"listenPort":8443,"protocol":"TCP"}],"defaultContainer":"app"}}', kubectl.kubernetes.io/default-container: app}
    spec:
      restartPolicy: Never
      initContainers: [{name: bot, image: b, restartPolicy: Always}, {name: waf, image: w, restartPolicy: Always, readinessProbe: {tcpSocket: {port: 8443}}, securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}, runAsUser: 1000}, env: [{name: APP_PORT, value: "8080"}], ports: [{containerPort: 8443}]}, {name: migrate, image: m}]
      containers: [{name: app, image: a, ports: [{containerPort: 8080}]}]
`,
  },
  {
    name: 'taking out the only native sidecar takes out the initContainers it leaves empty',
    config: nativeConfig,
    warns: /selects no workload/,
    input: `apiVersion: batch/v1
kind: Job
metadata: {name: report, labels: {waf: never}}
spec:
  template:
    metadata: {labels: {app: report}, annotations: {inject-sidecar.dev/status: '{"waf":{"container":"waf","native":true,"ports":[{"appPort":8080,"listenPort":8443,"protocol":"TCP"}],"defaultContainer":"app"}}', kubectl.kubernetes.io/default-container: app}}
    spec:
      restartPolicy: Never
      containers: [{name: app, image: a, ports: [{containerPort: 8080}]}]
      initContainers:
      - name: waf
        image: w
        restartPolicy: Always
        env:
        - name: APP_PORT
          value: "8080"
        ports:
        - containerPort: 8443
        securityContext:
          runAsNonRoot: true
          allowPrivilegeEscalation: false
          capabilities:
            drop:
            - ALL
          seccompProfile:
            type: RuntimeDefault
`,
    expected: `apiVersion: batch/v1
kind: Job
metadata: {name: report, labels: {waf: never}}
spec:
  template:
    metadata: {labels: {app: report}}
    spec:
      restartPolicy: Never
      containers: [{name: app, image: a, ports: [{containerPort: 8080}]}]
`,
  },
  {
    name: 'a policy rule that only grows keeps its entries and style, the listen port appended',
    // follow: the app port stays admitted, which the warning names as a path past the sidecar.
    warns:
      /NetworkPolicy web: ingress\[0\]: admits listen port 8443 beside app port 8080 \(sidecar\); app port 8080 stays admitted/,
    input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {waf: enabled}}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: a, ports: [{containerPort: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - ports: [{port: 8080}]
      from: [{podSelector: {}}]
`,
    expected: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {waf: enabled}}
spec:
  template:
    metadata: {labels: {app: web}, annotations: {inject-sidecar.dev/status: '{"waf":{"container":"waf","ports":[{"appPort":8080,"listenPort":8443,"protocol":"TCP"}],"defaultContainer":"app"}}', kubectl.kubernetes.io/default-container: app}}
    spec:
      containers: [{name: app, image: a, ports: [{containerPort: 8080}]}, {name: waf, image: w, readinessProbe: {tcpSocket: {port: 8443}}, securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}, runAsUser: 1000}, env: [{name: APP_PORT, value: "8080"}], ports: [{containerPort: 8443}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, annotations: {inject-sidecar.dev/ingress-ports: '{"waf":[{"rule":0,"added":[{"port":8443}]}]}'}}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - ports: [{port: 8080}, {port: 8443}]
      from: [{podSelector: {}}]
`,
  },
  {
    name: 'a policy rule whose app port goes (networkPolicies: replace) gets new ports, in the style it was written',
    config: replaceConfig,
    input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {waf: enabled}}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: a, ports: [{containerPort: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - ports: [{port: 8080}]
      from: [{podSelector: {}}]
`,
    expected: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {waf: enabled}}
spec:
  template:
    metadata: {labels: {app: web}, annotations: {inject-sidecar.dev/status: '{"waf":{"container":"waf","ports":[{"appPort":8080,"listenPort":8443,"protocol":"TCP"}],"defaultContainer":"app"}}', kubectl.kubernetes.io/default-container: app}}
    spec:
      containers: [{name: app, image: a, ports: [{containerPort: 8080}]}, {name: waf, image: w, readinessProbe: {tcpSocket: {port: 8443}}, securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}, runAsUser: 1000}, env: [{name: APP_PORT, value: "8080"}], ports: [{containerPort: 8443}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, annotations: {inject-sidecar.dev/ingress-ports: '{"waf":[{"rule":0,"added":[{"port":8443}],"removed":[{"index":0,"entry":{"port":8080}}]}]}'}}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
    - ports: [{port: 8443}]
      from: [{podSelector: {}}]
`,
  },
  {
    name: 'aliased containers become a copy with the sidecar; the anchor stays as written',
    input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {waf: enabled}}
spec:
  selector: {matchLabels: &pod {app: web}}
  template:
    metadata: {labels: *pod}
    spec:
      initContainers: &main [{name: app, image: a, ports: [{containerPort: 8080}]}]
      containers: *main
`,
    expected: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {waf: enabled}}
spec:
  selector: {matchLabels: &pod {app: web}}
  template:
    metadata: {labels: *pod, annotations: {inject-sidecar.dev/status: '{"waf":{"container":"waf","ports":[{"appPort":8080,"listenPort":8443,"protocol":"TCP"}],"defaultContainer":"app"}}', kubectl.kubernetes.io/default-container: app}}
    spec:
      initContainers: &main [{name: app, image: a, ports: [{containerPort: 8080}]}]
      containers: [{name: app, image: a, ports: [{containerPort: 8080}]}, {name: waf, image: w, readinessProbe: {tcpSocket: {port: 8443}}, securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}, runAsUser: 1000}, env: [{name: APP_PORT, value: "8080"}], ports: [{containerPort: 8443}]}]
`,
  },
];

const workload = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {waf: enabled}}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: a, ports: [{containerPort: 8080}]}]
`;

describe('apply: minimal edits', () => {
  it.each(cases)('$name', ({ config: c = config, input, expected, warns }) => {
    // Services are rewired only with their workload in the input; it is printed first, then dropped.
    const withWorkload = input.includes('kind: Service') && !input.includes('Deployment');
    const out = runStream(c, 'config', withWorkload ? `${workload}---\n${input}` : input);
    if (warns)
      expect(out.stderr).toMatch(new RegExp(`^inject-sidecar: warning: ${warns.source}.*\\n[^\\n]*1 warning\\n$`));
    else expectClean(out.stderr);
    expect(out.exitCode).toBe(0);
    const stdout = withWorkload ? out.stdout.slice(out.stdout.indexOf('---\n') + 4) : out.stdout;
    expect(stdout).toBe(expected);
    // and a second run changes nothing
    expect(runStream(c, 'config', out.stdout).stdout).toBe(out.stdout);
  });
});

describe('apply: the read-back guard', () => {
  it('fails, naming the field, when an edit does not give what the plan said', async () => {
    const { applyPlan } = await import('../src/apply/apply.js');
    const { readFunctionConfig } = await import('../src/config/read.js');
    const { readStream } = await import('../src/io/stream.js');
    const { planInjection } = await import('../src/plan/plan.js');
    const { objectReader } = await import('../src/run.js');
    const { ResultsError } = await import('../src/results.js');
    const { parse } = await import('yaml');
    // The plan is made for one text and applied to another, whose pod already has a container of
    // the sidecar's name: after the edit there are two, which is not what the plan said.
    const reader = objectReader('stream');
    readStream(workload, 'stdin', reader.read);
    const plan = planInjection(readFunctionConfig(parse(config)), reader.inventory);
    const other = workload.replace('containers: [{name: app,', 'containers: [{name: waf, image: x}, {name: app,');
    const { items } = readStream(other, 'stdin', () => false);
    let thrown: unknown;
    try {
      applyPlan(plan, items);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ResultsError);
    expect((thrown as InstanceType<typeof ResultsError>).results).toEqual([
      {
        severity: 'error',
        message: 'this edit did not take; nothing was written. Please report this with the input',
        resourceRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        field: { path: 'spec.template.spec.containers' },
      },
    ]);
    expect(items[0]!.edited).toBeUndefined();
  });
});
