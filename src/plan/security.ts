// Every sidecar runs under the Pod Security "restricted" profile by default: it is the piece of the
// pod that faces untrusted traffic. The defaults are merged under what the user wrote, key by key,
// so a user who needs more says so in spec.container.securityContext, and is told which rule of
// the profile that breaks. Literal secrets in the sidecar's env are pointed at secretKeyRef.
import type { Container, SecurityContext } from 'kubernetes-types/core/v1.js';
import type { InjectionConfig } from '../config/schema.js';
import { isObj, type Obj } from '../objects/shape.js';
import type { Workload } from '../objects/workload.js';
import { type Result, result } from '../results.js';

/** The container rules of the restricted profile (kubernetes.io/docs/concepts/security/pod-security-standards). */
export const RESTRICTED: SecurityContext = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/** The user's securityContext over the restricted defaults: user keys win, nested maps merge. */
export function restrictedUnder(user: SecurityContext | undefined): SecurityContext {
  const merged: Obj = { ...RESTRICTED };
  for (const [key, value] of Object.entries(user ?? {})) {
    const ours = merged[key];
    merged[key] = isObj(ours) && isObj(value) ? { ...ours, ...value } : value;
  }
  return merged as SecurityContext;
}

/** Each rule of the restricted profile a container's securityContext breaks, in words. */
export function restrictedViolations(context: SecurityContext | undefined): string[] {
  const c = context ?? {};
  const broken: string[] = [];
  if (c.allowPrivilegeEscalation !== false) broken.push('allowPrivilegeEscalation must be false');
  if (c.privileged === true) broken.push('privileged must not be true');
  if (!c.capabilities?.drop?.includes('ALL')) broken.push('capabilities.drop must include ALL');
  const added = (c.capabilities?.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
  if (added.length) broken.push(`capabilities.add may hold only NET_BIND_SERVICE (not ${added.join(', ')})`);
  if (c.runAsNonRoot !== true) broken.push('runAsNonRoot must be true');
  if (c.runAsUser === 0) broken.push('runAsUser must not be 0');
  const seccomp = c.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
    broken.push('seccompProfile.type must be RuntimeDefault or Localhost');
  return broken;
}

const SECRET_LIKE = /TOKEN|PASSWORD|PASSWD|SECRET|KEY|CREDENTIAL/i;

/** Warnings about the sidecar as configured, once per run (they are about the config, not a workload). */
export function sidecarConfigWarnings(config: InjectionConfig): Result[] {
  const results: Result[] = [];
  const field = 'spec.container.securityContext';
  for (const rule of restrictedViolations(restrictedUnder(config.container.securityContext)))
    results.push(result('warning', `${field} breaks the restricted Pod Security profile: ${rule}`, undefined, field));
  (config.container.env ?? []).forEach((e, i) => {
    if (!SECRET_LIKE.test(e.name) || e.value === undefined || e.value === '') return;
    const message = `spec.container.env[${i}] (${e.name}) holds a literal value that looks like a secret; put it in a Secret and use valueFrom.secretKeyRef`;
    results.push(result('warning', message, undefined, `spec.container.env[${i}].value`));
  });
  return results;
}

/**
 * The kubelet checks runAsNonRoot against the user the container runs as; with no runAsUser (the
 * container's or the pod's) that is the image's USER, which it can check only when numeric. An image
 * that runs as root or as a named user then fails with CreateContainerConfigError. A preset sets its
 * image's number; a container written by hand is told, once, with the pods it would stop.
 */
export function unverifiableNonRoot(
  config: InjectionConfig,
  injected: readonly { workload: Workload; sidecar: Container }[],
): Result[] {
  if (config.preset) return [];
  const stopped = injected.filter(
    ({ workload, sidecar }) =>
      sidecar.securityContext?.runAsNonRoot === true &&
      sidecar.securityContext.runAsUser === undefined &&
      workload.podRunAsUser === undefined,
  );
  if (stopped.length === 0) return [];
  const first = stopped[0]!.workload;
  const more = stopped.length > 1 ? ` and ${stopped.length - 1} other workload${stopped.length > 2 ? 's' : ''}` : '';
  const field = 'spec.container.securityContext.runAsUser';
  const message =
    `the sidecar runs with runAsNonRoot: true and no runAsUser (in ${first.ref.kind} ${first.ref.name}${more}): the kubelet can check ` +
    'that only against a numeric USER in the image, and an image that runs as root or as a named user fails to start ' +
    `(CreateContainerConfigError). Set ${field} to the image's numeric user`;
  return [result('warning', message, undefined, field)];
}
