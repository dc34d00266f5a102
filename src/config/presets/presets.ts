// WAF presets: what a sidecar needs to run as that WAF's node, so a user writes a few lines. Each
// value's source is in the README ("WAF presets"); what could not be checked on the development
// machine (no image registry) is marked there.
import type { Container, EnvVar } from 'kubernetes-types/core/v1.js';

export const PRESETS = ['wallarm', 'modsecurity-crs'] as const;
export type PresetName = (typeof PRESETS)[number];

export interface WallarmSettings {
  group?: string;
  tokenSecretRef?: { name: string; key: string };
  apiHost?: string;
  mode?: 'monitoring' | 'block' | 'safe_blocking' | 'off';
  slabAllocArena?: number;
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

export function wallarm(listenPort: number, s: WallarmSettings = {}, appProtocol = 'http'): Preset {
  const problems: Preset['problems'] = [];
  listenPortRule(listenPort, problems);
  appProtocolRule(appProtocol, ['http'], 'wallarm', problems);
  if (!s.tokenSecretRef)
    problems.push({
      field: 'spec.wallarm.tokenSecretRef',
      message: 'the node needs its API token from a Secret: set {name, key}; a token is never written inline',
    });
  if (!s.group) problems.push({ field: 'spec.wallarm.group', message: 'the node group is required with an API token' });
  const arena = s.slabAllocArena ?? 1;
  const mib = (gib: number) => `${Math.ceil(gib * 1024)}Mi`;
  const container: Container = {
    name: 'wallarm',
    image: 'wallarm/node:6.13.0',
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
    ],
    // postanalytics holds SLAB_ALLOC_ARENA GiB in memory; nginx and the rest need about half a GiB more.
    resources: { requests: { cpu: '250m', memory: mib(arena + 0.5) }, limits: { cpu: '1', memory: mib(arena + 1) } },
    readinessProbe: { tcpSocket: { port: listenPort }, periodSeconds: 5 },
    livenessProbe: { tcpSocket: { port: listenPort }, initialDelaySeconds: 30, periodSeconds: 10 },
    securityContext: {
      // The image's nginx carries a file capability; without NET_BIND_SERVICE it does not start.
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
      // The image's USER is a name; runAsNonRoot needs a number to check.
      runAsUser: 101,
      runAsGroup: 101,
    },
  };
  const boundPorts = [3313, 6388, 9001, 9003, 8088].map((port) => ({
    port,
    what: `the Wallarm node's loopback port ${port}`,
  }));
  return { container, boundPorts, problems };
}

export function modsecurityCrs(listenPort: number, s: ModsecuritySettings = {}, appProtocol = 'http'): Preset {
  const problems: Preset['problems'] = [];
  listenPortRule(listenPort, problems);
  appProtocolRule(appProtocol, ['http', 'https'], 'modsecurity-crs', problems);
  // The image serves plain HTTP on PORT and TLS on SSL_PORT, both always. The listen port is the one
  // appProtocol names; the other gets a free unprivileged port of its own (spec.modsecurity.sslPort).
  const tls = appProtocol === 'https';
  const other = s.sslPort ?? (listenPort + 1 <= 65535 ? listenPort + 1 : listenPort - 1);
  const [plainPort, sslPort] = tls ? [other, listenPort] : [listenPort, other];
  if (other < MIN_UNPRIVILEGED || other === listenPort)
    problems.push({
      field: 'spec.modsecurity.sslPort',
      message: `sslPort ${other} must be ${MIN_UNPRIVILEGED} or above and not the listen port`,
    });
  const container: Container = {
    name: 'modsecurity',
    image: 'owasp/modsecurity-crs:4.18.0-nginx-202509051009',
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
    readinessProbe: {
      httpGet: { path: '/healthz', port: listenPort, ...(tls ? { scheme: 'HTTPS' } : {}) },
      periodSeconds: 5,
    },
    livenessProbe: {
      httpGet: { path: '/healthz', port: listenPort, ...(tls ? { scheme: 'HTTPS' } : {}) },
      initialDelaySeconds: 10,
      periodSeconds: 10,
    },
    securityContext: { runAsUser: 101, runAsGroup: 101, readOnlyRootFilesystem: false },
  };
  const bound = tls ? `plain HTTP port ${plainPort}` : `TLS port ${sslPort}`;
  return { container, boundPorts: [{ port: other, what: `the ModSecurity node's ${bound}` }], problems };
}
