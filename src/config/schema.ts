// The function config: a SidecarInjection object, or the flat ConfigMap that `kpt fn eval -- k=v`
// sends. Both are validated by one zod schema, so the plan only ever sees a valid config.

import type { Container, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { closest, pathString } from '../objects/shape.js';
import { WORKLOAD_KINDS } from '../objects/workload.js';
import { PRESETS } from './presets/presets.js';

// zod/mini keeps start-up short (see bench/README.md); its English messages are opted into here.
// jitless: a config is validated once per run, and zod's compiled fast path (`new Function`) costs
// more to generate than it saves, outside V8's code cache too.
z.config({ ...en(), jitless: true });

export const API_VERSION = 'inject-sidecar.dev/v1alpha1';
const KIND = 'SidecarInjection';

const optional = z.optional;

// IANA_SVC_NAME, as Kubernetes validates a container port name.
const portName = z.string().check(
  z.maxLength(15, 'a port name has at most 15 characters'),
  z.regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'a port name has lowercase letters, digits and inner dashes only'),
  z.refine((s) => /[a-z]/.test(s), 'a port name contains at least one letter'),
  z.refine((s) => !s.includes('--'), 'a port name has no two dashes in a row'),
);
const portNumber = z
  .int({ error: (issue) => (typeof issue.input === 'number' ? 'a port is a whole number' : undefined) })
  .check(z.minimum(1, 'a port is 1 to 65535'), z.maximum(65535, 'a port is 1 to 65535'));
const dnsLabel = z
  .string()
  .check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(63),
    z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label: lowercase letters, digits and inner dashes'),
  );
const protocol = z.enum(['TCP', 'UDP', 'SCTP']);
const anyMap = z.record(z.string(), z.unknown());
const anyList = z.array(z.unknown());

const containerPort = z.strictObject({
  name: optional(portName),
  containerPort: portNumber,
  protocol: optional(protocol),
  hostPort: optional(portNumber),
  hostIP: optional(z.string()),
});

const envVar = z.looseObject({ name: z.string().check(z.minLength(1)) });

// Every field of a core/v1 Container is known by name, so a typo such as `imagePullPolicy` misspelt
// is an error instead of a sidecar that silently lacks it. Nested values are the API server's to
// check.
const container = z.strictObject({
  // Required without a preset (checked below); a preset names and pins its own.
  name: optional(dnsLabel),
  image: optional(z.string().check(z.minLength(1, 'an image is required'))),
  command: optional(z.array(z.string())),
  args: optional(z.array(z.string())),
  workingDir: optional(z.string()),
  ports: optional(z.array(containerPort)),
  envFrom: optional(anyList),
  env: optional(z.array(envVar)),
  resources: optional(anyMap),
  resizePolicy: optional(anyList),
  restartPolicy: optional(z.string()),
  restartPolicyRules: optional(anyList),
  volumeMounts: optional(anyList),
  volumeDevices: optional(anyList),
  livenessProbe: optional(anyMap),
  readinessProbe: optional(anyMap),
  startupProbe: optional(anyMap),
  lifecycle: optional(anyMap),
  terminationMessagePath: optional(z.string()),
  terminationMessagePolicy: optional(z.string()),
  imagePullPolicy: optional(z.enum(['Always', 'IfNotPresent', 'Never'])),
  securityContext: optional(anyMap),
  stdin: optional(z.boolean()),
  stdinOnce: optional(z.boolean()),
  tty: optional(z.boolean()),
});

// An expression's values depend on its operator; stating that as a union on the operator keeps
// the rule in the JSON Schema too, so editors flag it.
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
const unknownOperator = (issue: { input?: unknown }) => {
  const written = (issue.input as { operator?: unknown } | undefined)?.operator ?? issue.input;
  const near = typeof written === 'string' ? closest(written, OPERATORS) : undefined;
  return `unknown selector operator ${JSON.stringify(written)}; ${near ? `did you mean ${near}? ` : ''}use In, NotIn, Exists or DoesNotExist`;
};
const matchExpression = z.discriminatedUnion(
  'operator',
  [
    z.strictObject({
      key: z.string().check(z.minLength(1)),
      operator: z.enum(['In', 'NotIn']),
      values: z
        .array(z.string(), { error: 'operators In and NotIn need at least one value' })
        .check(z.minLength(1, 'operators In and NotIn need at least one value')),
    }),
    z.strictObject({
      key: z.string().check(z.minLength(1)),
      operator: z.enum(['Exists', 'DoesNotExist']),
      values: optional(z.array(z.string()).check(z.maxLength(0, 'operators Exists and DoesNotExist take no values'))),
    }),
  ],
  { error: unknownOperator },
);

const selector = z.strictObject({
  matchLabels: optional(z.record(z.string(), z.string())),
  matchExpressions: optional(z.array(matchExpression)),
});

/** What the sidecar's listener serves and speaks to the app (Kubernetes' appProtocol words). */
export const APP_PROTOCOLS = ['http', 'https', 'h2c', 'grpc'] as const;
export type AppProtocol = (typeof APP_PROTOCOLS)[number];

const portMapping = z.strictObject({
  appPort: optional(z.union([portNumber, portName], { error: 'appPort is a port number (1 to 65535) or a port name' })),
  listenPort: portNumber,
  name: optional(portName),
  protocol: z._default(protocol, 'TCP'),
  // The sidecar serves this on its listen port and speaks it to the app: http unless said.
  appProtocol: optional(z.enum(APP_PROTOCOLS, { error: `appProtocol is one of ${APP_PROTOCOLS.join(', ')}` })),
});

// The pod-level parts an injection brings: core/v1 Volumes (any source, the API server checks
// them), the mounts added to every app container, and image pull Secrets, each by the key
// Kubernetes makes unique.
const volume = z.looseObject({ name: dnsLabel });
const volumeMount = z.looseObject({
  name: dnsLabel,
  mountPath: z.string().check(z.minLength(1, 'a mountPath is required')),
  readOnly: optional(z.boolean()),
  subPath: optional(z.string()),
});
const localObjectReference = z.strictObject({ name: z.string().check(z.minLength(1)) });

// What a workload may set on its own sidecar by annotation, bounded here: each kind off unless
// allowed; env names with the values they may take, or "*" for any.
const overrides = z.strictObject({
  resources: optional(z.boolean()),
  image: optional(z.boolean()),
  env: optional(
    z.record(
      z.string().check(z.regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, 'an env name has letters, digits, _ . and - only')),
      z.union([z.literal('*'), z.array(z.string()).check(z.minLength(1, 'list the values, or "*" for any'))], {
        error: 'the allowed values are a list of strings, or "*" for any',
      }),
    ),
  ),
});

/** What happens to NetworkPolicies that admit a moved app port (README: NetworkPolicies). */
export const NETWORK_POLICY_MODES = ['follow', 'replace', 'generate', 'keep'] as const;
export type NetworkPolicyMode = (typeof NETWORK_POLICY_MODES)[number];

/** How traffic for a fronted app port reaches the sidecar (docs/capture.md). */
export const CAPTURES = ['service', 'redirect'] as const;
export type Capture = (typeof CAPTURES)[number];

const spec = z
  .strictObject({
    selector: selector,
    namespaces: optional(z.array(z.string().check(z.minLength(1)))),
    // Where objects without a namespace land (kubectl apply -n, an Argo CD destination, a kpt package).
    defaultNamespace: optional(z.string().check(z.minLength(1))),
    container: z._default(container, {}),
    // Empty: the sidecar is added and nothing is rewired (a log shipper, a database proxy).
    ports: z._default(z.array(portMapping), []),
    volumes: optional(z.array(volume)),
    appVolumeMounts: optional(z.array(volumeMount)),
    imagePullSecrets: optional(z.array(localObjectReference)),
    overrides: optional(overrides),
    kinds: z._default(
      z
        .array(z.enum(WORKLOAD_KINDS, { error: `a kind is one of ${WORKLOAD_KINDS.join(', ')}` }))
        .check(z.minLength(1, `name at least one of ${WORKLOAD_KINDS.join(', ')}`)),
      ['Deployment'],
    ),
    native: optional(z.boolean()),
    // service: Services are rewired to the listen port; redirect: an init container's iptables rule
    // sends the pod IP's app port to the listen port inside the pod, and Services stay as written.
    capture: z._default(z.enum(CAPTURES, { error: `capture is one of ${CAPTURES.join(', ')}` }), 'service'),
    redirect: optional(z.strictObject({ image: optional(z.string().check(z.minLength(1))) })),
    // The sidecar keeps accepting this long after its pod is asked to stop (lifecycle.preStop sleep).
    drainSeconds: optional(z.int().check(z.minimum(1, 'drainSeconds is 1 or more'), z.maximum(3600))),
    mode: z._default(z.enum(['inject', 'audit'], { error: 'mode is inject or audit' }), 'inject'),
    // Every warning fails the render: for routes that show no warning on success (Helm, Argo CD).
    strict: optional(z.boolean()),
    preset: optional(z.enum(PRESETS, { error: `preset is one of ${PRESETS.join(', ')}` })),
    wallarm: optional(
      z.strictObject({
        version: optional(
          z.string().check(z.regex(/^\d+\.\d+\.\d+$/, 'version is a Wallarm node release, such as 7.1.0')),
        ),
        group: optional(z.string().check(z.minLength(1))),
        tokenSecretRef: optional(
          z.strictObject({ name: z.string().check(z.minLength(1)), key: z.string().check(z.minLength(1)) }),
        ),
        apiHost: optional(z.string().check(z.minLength(1))),
        mode: optional(z.enum(['monitoring', 'block', 'safe_blocking', 'off'])),
        slabAllocArena: optional(z.number().check(z.positive())),
        apiFirewall: optional(z.boolean()),
      }),
    ),
    modsecurity: optional(
      z.strictObject({
        ruleEngine: optional(z.enum(['On', 'DetectionOnly'])),
        paranoia: optional(z.int().check(z.minimum(1), z.maximum(4))),
        anomalyInbound: optional(z.int().check(z.minimum(1))),
        anomalyOutbound: optional(z.int().check(z.minimum(1))),
        sslPort: optional(portNumber),
      }),
    ),
    networkPolicies: z._default(
      z.enum(NETWORK_POLICY_MODES, { error: `networkPolicies is one of ${NETWORK_POLICY_MODES.join(', ')}` }),
      'follow',
    ),
  })
  .check(
    z.superRefine((s, ctx) => {
      const issue = (path: (string | number)[], message: string) =>
        ctx.addIssue({ code: 'custom', path, message, input: s });
      if (!s.preset) {
        if (s.container.name === undefined) issue(['container', 'name'], 'a name is required (or a preset)');
        if (s.container.image === undefined) issue(['container', 'image'], 'an image is required (or a preset)');
      }
      if (s.drainSeconds !== undefined && s.container.lifecycle?.preStop !== undefined)
        issue(['drainSeconds'], 'spec.container.lifecycle.preStop is set too: keep one way to stop the sidecar');
      if (s.container.restartPolicy !== undefined)
        issue(['container', 'restartPolicy'], 'set spec.native: true for a native sidecar instead');
      if (s.preset && s.ports.length !== 1)
        issue(['ports'], `preset ${s.preset} fronts one app port: give exactly one ports entry`);
      if (s.redirect && s.capture !== 'redirect') issue(['redirect'], 'spec.redirect is for capture: redirect');
      // The Wallarm preset's init container runs its own image, as Wallarm's sidecar controller does.
      if (s.capture === 'redirect' && s.redirect?.image === undefined && s.preset !== 'wallarm')
        issue(['redirect', 'image'], 'an image with sh and iptables is required with capture: redirect');
      if (s.wallarm && s.preset !== 'wallarm') issue(['wallarm'], 'spec.wallarm is for preset: wallarm');
      if (s.modsecurity && s.preset !== 'modsecurity-crs')
        issue(['modsecurity'], 'spec.modsecurity is for preset: modsecurity-crs');
      const seen = new Map<string, string>();
      const claim = (key: string, path: (string | number)[], what: string) => {
        const first = seen.get(key);
        if (first) issue(path, `${what} collides with ${first}`);
        else seen.set(key, `${pathString(path)}`);
      };
      s.container.ports?.forEach((p, i) => {
        claim(
          `port:${p.containerPort}/${p.protocol ?? 'TCP'}`,
          ['container', 'ports', i, 'containerPort'],
          `port ${p.containerPort}`,
        );
        if (p.name) claim(`name:${p.name}`, ['container', 'ports', i, 'name'], `port name ${p.name}`);
      });
      s.ports.forEach((m, i) => {
        // The sidecar may declare its listen port itself in container.ports; that is the same port.
        const declared = s.container.ports?.some(
          (p) => p.containerPort === m.listenPort && (p.protocol ?? 'TCP') === m.protocol,
        );
        if (!declared)
          claim(`port:${m.listenPort}/${m.protocol}`, ['ports', i, 'listenPort'], `listenPort ${m.listenPort}`);
        if (m.name) claim(`name:${m.name}`, ['ports', i, 'name'], `port name ${m.name}`);
        if (m.appPort !== undefined)
          claim(`app:${m.appPort}/${m.protocol}`, ['ports', i, 'appPort'], `appPort ${m.appPort}`);
        else claim('app:omitted', ['ports', i, 'appPort'], 'an omitted appPort');
      });
      s.volumes?.forEach((v, i) => {
        claim(`volume:${v.name}`, ['volumes', i, 'name'], `volume ${v.name}`);
      });
      s.appVolumeMounts?.forEach((m, i) => {
        claim(`mountPath:${m.mountPath}`, ['appVolumeMounts', i, 'mountPath'], `mountPath ${m.mountPath}`);
      });
      s.imagePullSecrets?.forEach((r, i) => {
        claim(`pullSecret:${r.name}`, ['imagePullSecrets', i, 'name'], `imagePullSecret ${r.name}`);
      });
    }),
  );

export const sidecarInjectionSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION, { error: `must be ${API_VERSION}` }),
  kind: z.literal(KIND, { error: `must be ${KIND}` }),
  metadata: optional(z.looseObject({ name: optional(z.string()) })),
  spec: spec,
});

export type SidecarInjection = z.input<typeof sidecarInjectionSchema>;
export type Overrides = z.output<typeof overrides>;
export type PortMapping = z.output<typeof portMapping>;

/** The validated config the plan works from. */
export interface InjectionConfig {
  name: string;
  selector: LabelSelector;
  namespaces?: readonly string[];
  /** Where objects without a namespace land: the plan puts them there. */
  defaultNamespace?: string;
  container: Container;
  ports: readonly PortMapping[];
  /** The workload kinds this injection selects from. */
  kinds: readonly string[];
  /** true: a native sidecar (initContainers, restartPolicy: Always); false: a regular one; unset: regular, native for Jobs. */
  native?: boolean;
  networkPolicies: NetworkPolicyMode;
  /** How traffic reaches the sidecar: rewired Services (service, when unset), or a redirect inside the pod. */
  capture?: Capture;
  /** The image of the redirect init container (capture: redirect): it runs sh and iptables. */
  redirectImage?: string;
  /** inject (the default), or audit: change nothing and report every path past the sidecar. */
  mode: 'inject' | 'audit';
  /** Every warning is an error: the render fails with the reasons instead of passing with a bypass. */
  strict?: boolean;
  /** Volumes added to each injected pod (core/v1 Volume). */
  volumes?: readonly Volume[];
  /** Mounts added to every app container of each injected pod. */
  appVolumeMounts?: readonly VolumeMount[];
  /** Image pull Secrets the pod gets when it lacks them. */
  imagePullSecrets?: readonly string[];
  /** What a workload may set on its sidecar by annotation; nothing unless allowed. */
  overrides?: Overrides;
  /** Seconds the sidecar keeps accepting after its pod is asked to stop (preStop sleep). */
  drainSeconds?: number;
  /** The preset the container comes from, if any. */
  preset?: string;
  /** Ports a preset's image binds in the pod besides the listen port: collisions with the app are errors. */
  boundPorts?: readonly { port: number; what: string }[];
}
