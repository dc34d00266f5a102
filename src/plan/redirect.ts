// Capture by redirect (spec.capture: redirect): an init container, first in the pod, adds one
// iptables rule per fronted app port that sends inbound TCP (or UDP, SCTP) for the pod's own IP on
// that port to the listen port, as Wallarm's sidecar controller and Istio's init container do. Every
// packet to the pod IP's app port, from a Service, another pod or a hostPort, then reaches the WAF,
// while the WAF's own connection to 127.0.0.1:<app port> is untouched (loopback is never redirected).
// Services, NetworkPolicies, routes and mesh annotations stay as written.
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import type { InjectionConfig } from '../config/schema.js';
import { isMeshContainer } from '../objects/mesh.js';
import type { NamespaceObject } from '../objects/namespace.js';
import { declaredPorts, type IntOrString, resolvePort } from '../objects/ports.js';
import { podField, type Workload } from '../objects/workload.js';
import { type Result, result } from '../results.js';
import { sidecarNames } from './seen-by.js';
import type { FrontedPort } from './workload.js';

/** The redirect init container's name: the sidecar's, with this suffix. */
export const redirectName = (sidecar: string) => `${sidecar}-redirect`;

/** What the rule needs and no more: root, to change the pod's netfilter tables (NET_ADMIN), and a raw socket for iptables-legacy builds (NET_RAW). */
export const REDIRECT_CAPABILITIES = ['NET_ADMIN', 'NET_RAW'];

/** The iptables rules, one per fronted port: the pod IP's app port goes to the listen port. */
export function redirectRules(fronts: readonly Pick<FrontedPort, 'appPort' | 'listenPort' | 'protocol'>[]): string[] {
  return fronts.map(
    (f) =>
      `iptables -t nat -A PREROUTING -p ${f.protocol.toLowerCase()} -d "$POD_IP" --dport ${f.appPort} -j REDIRECT --to-ports ${f.listenPort}`,
  );
}

/** The init container that redirects the fronted ports; config.redirectImage is set under redirect. */
export function buildRedirect(
  config: InjectionConfig,
  sidecar: string,
  fronts: readonly Pick<FrontedPort, 'appPort' | 'listenPort' | 'protocol'>[],
): Container {
  return {
    name: redirectName(sidecar),
    image: config.redirectImage!,
    command: ['/bin/sh', '-c', ['set -e', ...redirectRules(fronts)].join('\n')],
    env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
    securityContext: {
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { add: REDIRECT_CAPABILITIES, drop: ['ALL'] },
    },
  };
}

/** The mesh a pod is in or will be in, and what says so. */
export interface Meshed {
  mesh: 'Istio' | 'Linkerd';
  why: string;
}

/**
 * The mesh a pod is in or will be in: its proxy is there, its template asks the injector for one, or
 * its namespace turns the injector on and the template does not opt out.
 */
export function meshOf(w: Workload, namespace?: NamespaceObject): Meshed | undefined {
  const container = [...w.containers, ...w.initContainers].find(isMeshContainer)?.name;
  if (container)
    return { mesh: container.startsWith('istio-') ? 'Istio' : 'Linkerd', why: `its ${container} container` };
  const podSays = (key: string) => (w.podAnnotations[key] ?? w.podLabels[key])?.trim().toLowerCase();
  const istio = podSays('sidecar.istio.io/inject');
  const linkerd = podSays('linkerd.io/inject');
  if (istio === 'true') return { mesh: 'Istio', why: 'sidecar.istio.io/inject: "true"' };
  if (linkerd === 'enabled' || linkerd === 'ingress') return { mesh: 'Linkerd', why: `linkerd.io/inject: ${linkerd}` };
  if (!namespace) return undefined;
  const { labels, annotations, ref } = namespace;
  const istioLabel =
    labels['istio-injection'] === 'enabled'
      ? 'istio-injection: enabled'
      : labels['istio.io/rev'] !== undefined && labels['istio-injection'] !== 'disabled'
        ? `istio.io/rev: ${labels['istio.io/rev']}`
        : undefined;
  if (istioLabel && istio !== 'false') return { mesh: 'Istio', why: `namespace ${ref.name}'s label ${istioLabel}` };
  const linkerdNs = annotations['linkerd.io/inject'];
  if ((linkerdNs === 'enabled' || linkerdNs === 'ingress') && linkerd !== 'disabled')
    return { mesh: 'Linkerd', why: `namespace ${ref.name}'s annotation linkerd.io/inject: ${linkerdNs}` };
  return undefined;
}

/** What stops a redirect in this pod: a mesh capturing inbound traffic already, or a chain with another redirect. */
export function redirectProblems(
  config: InjectionConfig,
  w: Workload,
  fronts: readonly FrontedPort[],
  namespace?: NamespaceObject,
): Result[] {
  const problems: Result[] = [];
  const meshed = meshOf(w, namespace);
  if (meshed)
    problems.push(
      result(
        'error',
        `capture: redirect in a pod meshed by ${meshed.mesh} (${meshed.why}): ${meshed.mesh}'s own iptables rules already send its inbound traffic to its proxy, ` +
          'and a second redirect of the app port would skip one of the two. Leave meshed workloads to an injection with capture: service',
        w,
      ),
    );
  // A redirect rewrites a connection once: two chained injections that both redirect would skip one.
  for (const [name, other] of Object.entries(w.others)) {
    if (!other.redirect) continue;
    const chained = fronts.some((f) =>
      other.ports.some((p) => p.listenPort === f.appPort || p.appPort === f.listenPort),
    );
    if (chained)
      problems.push(
        result(
          'error',
          `injection "${name}" redirects a port this injection "${config.name}" also fronts or chains to: iptables rewrites a connection once, ` +
            'so one of the two sidecars would be skipped. Give one of them capture: service',
          w,
        ),
      );
  }
  return problems;
}

/**
 * What a redirect means for each workload: the pod fails the baseline and restricted Pod Security
 * levels (NET_ADMIN and NET_RAW are outside baseline, root outside restricted); and the kubelet's
 * liveness and startup probes of a fronted app port arrive on the pod IP, so they pass the WAF
 * first: with a sidecar not yet listening they fail, and the app restarts. A native sidecar with a
 * startupProbe is listening before the app starts, which is the pairing docs/capture.md recommends.
 */
export function redirectWarnings(
  w: Workload,
  sidecar: Container,
  native: boolean,
  fronts: readonly FrontedPort[],
): Result[] {
  const name = redirectName(sidecar.name);
  const out: Result[] = [
    result(
      'warning',
      `init container "${name}" runs as root with ${REDIRECT_CAPABILITIES.join(' and ')}: the pod now fails the baseline and restricted ` +
        'Pod Security levels, and a namespace enforcing either (pod-security.kubernetes.io/enforce) rejects it',
      w,
      podField(w, 'spec.initContainers'),
    ),
  ];
  if (native && sidecar.startupProbe) return out;
  const others = sidecarNames(w.others);
  w.containers.forEach((c, i) => {
    if (isMeshContainer(c) || others.has(c.name)) return;
    const own = declaredPorts([c]);
    for (const kind of ['livenessProbe', 'startupProbe'] as const) {
      const probe: Probe | undefined = c[kind];
      const port = (probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port) as IntOrString | undefined;
      if (port === undefined) continue;
      const n = resolvePort(port, own, 'TCP');
      const f = fronts.find((x) => x.appPort === n && x.protocol === 'TCP');
      if (!f) continue;
      const [why, remedy] = native
        ? [
            'the native sidecar has no startupProbe, so the app may start before it listens',
            'Give it one in spec.container.startupProbe',
          ]
        : [
            'a regular sidecar starts beside the app, not before it',
            'Make the sidecar native (spec.native: true) with a startupProbe',
          ];
      const message =
        `${kind} of app container "${c.name}" is on fronted app port ${f.appPort}, which the redirect sends to the sidecar: ${why}, ` +
        `and until it listens the probe fails and the kubelet restarts the app. ${remedy}`;
      out.push(result('warning', message, w, podField(w, `spec.containers[${i}].${kind}`)));
    }
  });
  return out;
}
