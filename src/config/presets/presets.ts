// WAF presets: what a sidecar needs to run as that WAF's node, so a user writes a few lines. Each
// value's source is in the README ("WAF presets"); what could not be checked on the development
// machine (no image registry) is marked there.
import type { Container, EnvVar } from 'kubernetes-types/core/v1.js';

export const PRESETS = ['wallarm', 'modsecurity-crs'] as const;
export type PresetName = (typeof PRESETS)[number];

export interface WallarmSettings {
  /** The node's release (`7.1.0`); from the image's tag when spec.container.image names one. */
  version?: string;
  group?: string;
  tokenSecretRef?: { name: string; key: string };
  apiHost?: string;
  mode?: 'monitoring' | 'block' | 'safe_blocking' | 'off';
  slabAllocArena?: number;
  /** API Firewall (API specification enforcement) on 127.0.0.1:8088; on unless false. */
  apiFirewall?: boolean;
}

export interface ModsecuritySettings {
  ruleEngine?: 'On' | 'DetectionOnly';
  paranoia?: number;
  anomalyInbound?: number;
  anomalyOutbound?: number;
  sslPort?: number;
}

export interface Preset {
  container: Container;
  /** Ports the image binds inside the pod besides the listen port (loopback included): never an app's. */
  boundPorts: { port: number; what: string }[];
  /** Problems with the preset's own settings, each at its field. */
  problems: { field: string; message: string }[];
}

const env = (name: string, value: string): EnvVar => ({ name, value });

/**
 * The presets' drain: long enough for the endpoint removal to reach kube-proxy on every node (a few
 * seconds in a healthy cluster), well under the default 30 s grace period. Both images run nginx;
 * the CRS image stops it gracefully itself (nginx-unprivileged's STOPSIGNAL SIGQUIT).
 */
export const PRESET_DRAIN_SECONDS = 5;
const MIN_UNPRIVILEGED = 1024;

function listenPortRule(listenPort: number, problems: Preset['problems']) {
  if (listenPort < MIN_UNPRIVILEGED)
    problems.push({
      field: 'spec.ports[0].listenPort',
      message: `the preset's node runs with allowPrivilegeEscalation: false, so it cannot bind port ${listenPort}; use ${MIN_UNPRIVILEGED} or above`,
    });
}

/** What a preset's node serves: anything else on the ports entry is an error naming the field. */
function appProtocolRule(appProtocol: string, serves: readonly string[], preset: string, problems: Preset['problems']) {
  if (!serves.includes(appProtocol))
    problems.push({
      field: 'spec.ports[0].appProtocol',
      message: `preset ${preset} serves ${serves.join(' or ')}, not ${appProtocol}; write the container yourself for ${appProtocol}`,
    });
}

/** The Wallarm node release the preset runs unless told otherwise (wallarm/docker-wallarm-node). */
export const WALLARM_DEFAULT_VERSION = '7.1.0';
const WALLARM_IMAGE = 'wallarm/node';
/** wd's health endpoints (/health, /ready), 7.x only; bound on every address so the kubelet reaches them. */
const WD_HEALTH_PORT = 9446;

/**
 * What each supported line of the node binds in the pod by default, besides the listen port (and the
 * status page, 127.0.0.8 on the listen port). wstore's TLS listener (6388) is off by default and
 * turned on only by editing wstore.yaml, which no setting here does: it is not reserved.
 */
const WALLARM_LINES: Record<number, { ports: [number, string][]; probes: 'wd' | 'tcp' }> = {
  6: {
    ports: [
      [3313, 'postanalytics (wstore)'],
      [9001, "wstore's metrics"],
      [9003, "wcli's metrics"],
    ],
    probes: 'tcp',
  },
  7: {
    ports: [
      [3313, 'postanalytics (wstore)'],
      [9001, "wstore's metrics"],
      [9003, "wcli's metrics"],
      [9445, "wd's aggregated metrics"],
      [WD_HEALTH_PORT, "wd's /health and /ready"],
    ],
    probes: 'wd',
  },
};

/** `7.1.0` from `wallarm/node:7.1.0`, `registry.example.com/wallarm/node:7.1.0-rc1@sha256:...`; else undefined. */
function wallarmTagVersion(image: string | undefined): string | undefined {
  const m = /(?:^|\/)wallarm\/node:(\d+\.\d+\.\d+)(?:[-@]|$)/.exec(image ?? '');
  return m?.[1];
}

export function wallarm(
  listenPort: number,
  s: WallarmSettings = {},
  appProtocol = 'http',
  userImage: string | undefined = undefined,
): Preset {
  const problems: Preset['problems'] = [];
  listenPortRule(listenPort, problems);
  appProtocolRule(appProtocol, ['http'], 'wallarm', problems);
  if (!s.tokenSecretRef)
    problems.push({
      field: 'spec.wallarm.tokenSecretRef',
      message: 'the node needs its API token from a Secret: set {name, key}; a token is never written inline',
    });
  if (!s.group) problems.push({ field: 'spec.wallarm.group', message: 'the node group is required with an API token' });
  const tagged = wallarmTagVersion(userImage);
  const version = s.version ?? tagged ?? WALLARM_DEFAULT_VERSION;
  const major = Number(version.split('.')[0]);
  const line = WALLARM_LINES[major];
  if (!line)
    problems.push({
      field: s.version ? 'spec.wallarm.version' : 'spec.container.image',
      message: `the preset knows the Wallarm node's ${Object.keys(WALLARM_LINES)
        .map((l) => `${l}.x`)
        .join(' and ')} lines, not ${version}; write the container yourself for it`,
    });
  if (s.version && tagged && tagged.split('.')[0] !== s.version.split('.')[0])
    problems.push({
      field: 'spec.container.image',
      message: `${userImage} is a ${tagged.split('.')[0]}.x node but spec.wallarm.version is ${s.version}: the probes and the reserved ports follow the version, so make them agree`,
    });
  const wd = line?.probes === 'wd';
  const apiFirewall = s.apiFirewall !== false;
  const arena = s.slabAllocArena ?? 1;
  const mib = (gib: number) => `${Math.ceil(gib * 1024)}Mi`;
  const container: Container = {
    name: 'wallarm',
    image: `${WALLARM_IMAGE}:${version}`,
    env: [
      env('NGINX_BACKEND', '127.0.0.1:$(APP_PORT)'),
      env('NGINX_PORT', String(listenPort)),
      env('WALLARM_API_HOST', s.apiHost ?? 'api.wallarm.com'),
      env('WALLARM_MODE', s.mode ?? 'monitoring'),
      ...(s.group ? [env('WALLARM_LABELS', `group=${s.group}`)] : []),
      ...(s.tokenSecretRef
        ? [
            {
              name: 'WALLARM_API_TOKEN',
              valueFrom: { secretKeyRef: { name: s.tokenSecretRef.name, key: s.tokenSecretRef.key } },
            },
          ]
        : []),
      env('SLAB_ALLOC_ARENA', String(arena)),
      ...(apiFirewall ? [] : [env('WALLARM_APIFW_ENABLE', 'false')]),
      // wd's node.healthcheck_listen_address, through the WALLARM_WD__NODE__* overrides the image's
      // init uses: on every address, as Wallarm's own chart sets it, so the kubelet's probes reach it.
      ...(wd ? [env('WALLARM_WD__NODE__HEALTHCHECK_LISTEN_ADDRESS', `:${WD_HEALTH_PORT}`)] : []),
    ],
    // postanalytics holds SLAB_ALLOC_ARENA GiB in memory; nginx and the rest need about half a GiB more.
    resources: { requests: { cpu: '250m', memory: mib(arena + 0.5) }, limits: { cpu: '1', memory: mib(arena + 1) } },
    // 7.x: wd's /ready turns 200 once the node has initialised (and stays 200 through a Cloud
    // outage), /health while it runs. 6.x has neither: the listen port (an httpGet there would probe
    // the app through the proxy; the status page listens on 127.0.0.8 only).
    // The startup probe holds the liveness probe (and, for a native sidecar, the app) back while the
    // node registers with the Cloud: up to 3 minutes.
    ...(wd
      ? {
          startupProbe: { httpGet: { path: '/ready', port: WD_HEALTH_PORT }, periodSeconds: 2, failureThreshold: 90 },
          readinessProbe: { httpGet: { path: '/ready', port: WD_HEALTH_PORT }, periodSeconds: 5 },
          livenessProbe: { httpGet: { path: '/health', port: WD_HEALTH_PORT }, periodSeconds: 10 },
        }
      : {
          startupProbe: { tcpSocket: { port: listenPort }, periodSeconds: 2, failureThreshold: 90 },
          readinessProbe: { tcpSocket: { port: listenPort }, periodSeconds: 5 },
          livenessProbe: { tcpSocket: { port: listenPort }, periodSeconds: 10 },
        }),
    securityContext: {
      // The image's nginx carries a file capability; without NET_BIND_SERVICE it does not start.
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
      // The image's USER is the name `wallarm`, which runAsNonRoot cannot check: its numbers, from
      // the image's Dockerfile (docs/presets.md says how; not verified in a running image).
      runAsUser: 100,
      runAsGroup: 101,
    },
  };
  const ports: [number, string][] = [
    ...(line?.ports ?? []),
    ...(apiFirewall ? [[8088, 'API Firewall'] as [number, string]] : []),
  ];
  const boundPorts = ports.map(([port, what]) => ({ port, what: `the Wallarm node's port ${port} (${what})` }));
  return { container, boundPorts, problems };
}

/**
 * The CRS image's LTS line (coreruleset/modsecurity-crs-docker, docker-bake.hcl: v4-lts-crs-version):
 * a tag without a build date, which the project moves less often than its dated stable tags.
 */
export const MODSECURITY_CRS_IMAGE = 'owasp/modsecurity-crs:4.25.1-nginx-lts';

export function modsecurityCrs(listenPort: number, s: ModsecuritySettings = {}, appProtocol = 'http'): Preset {
  const problems: Preset['problems'] = [];
  listenPortRule(listenPort, problems);
  appProtocolRule(appProtocol, ['http', 'https'], 'modsecurity-crs', problems);
  // The image serves plain HTTP on PORT and TLS on SSL_PORT, both always. The listen port is the one
  // appProtocol names; the other gets a free unprivileged port of its own (spec.modsecurity.sslPort).
  const tls = appProtocol === 'https';
  const other = s.sslPort ?? (listenPort + 1 <= 65535 ? listenPort + 1 : listenPort - 1);
  const [plainPort, sslPort] = tls ? [other, listenPort] : [listenPort, other];
  // Only a port the user wrote is named at its field: one derived from the listen port is below
  // 1024 only when the listen port is, which listenPortRule already refuses at the field written.
  if (s.sslPort !== undefined && (other < MIN_UNPRIVILEGED || other === listenPort))
    problems.push({
      field: 'spec.modsecurity.sslPort',
      message: `sslPort ${other} must be ${MIN_UNPRIVILEGED} or above and not the listen port`,
    });
  const container: Container = {
    name: 'modsecurity',
    image: MODSECURITY_CRS_IMAGE,
    env: [
      // The app is spoken to as clients speak to the sidecar: TLS to a TLS app.
      env('BACKEND', `${tls ? 'https' : 'http'}://127.0.0.1:$(APP_PORT)`),
      env('PORT', String(plainPort)),
      env('SSL_PORT', String(sslPort)),
      env('MODSEC_RULE_ENGINE', s.ruleEngine ?? 'On'),
      env('BLOCKING_PARANOIA', String(s.paranoia ?? 1)),
      env('ANOMALY_INBOUND', String(s.anomalyInbound ?? 5)),
      env('ANOMALY_OUTBOUND', String(s.anomalyOutbound ?? 4)),
    ],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    startupProbe: {
      httpGet: { path: '/healthz', port: listenPort, ...(tls ? { scheme: 'HTTPS' } : {}) },
      periodSeconds: 1,
      failureThreshold: 60,
    },
    readinessProbe: {
      httpGet: { path: '/healthz', port: listenPort, ...(tls ? { scheme: 'HTTPS' } : {}) },
      periodSeconds: 5,
    },
    livenessProbe: {
      httpGet: { path: '/healthz', port: listenPort, ...(tls ? { scheme: 'HTTPS' } : {}) },
      periodSeconds: 10,
    },
    // The image's USER is the name `nginx`, uid and gid 101 in its base, nginxinc/nginx-unprivileged.
    securityContext: { runAsUser: 101, runAsGroup: 101, readOnlyRootFilesystem: false },
  };
  const bound = tls ? `plain HTTP port ${plainPort}` : `TLS port ${sslPort}`;
  return { container, boundPorts: [{ port: other, what: `the ModSecurity node's ${bound}` }], problems };
}
