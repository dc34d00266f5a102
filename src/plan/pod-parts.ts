// What an injection brings into the pod besides its sidecar: the config's volumes, the mounts it
// adds to every app container (a directory the app and the sidecar share), and image pull Secrets.
// Each is checked against the pod as this injection finds it (seen-by.ts: its own earlier parts
// out), so a re-run sees only the user's parts and other injections'. A part the pod already has,
// exactly as the config writes it, is used as it is: the user's stays the user's; another
// injection's is recorded by this one too, so it stays until neither needs it. Anything else under
// the same name or path is an error, and so is a mount of a volume that nothing defines: the pod
// this writes is one the API server accepts.
import type { Container, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import type { InjectionConfig } from '../config/schema.js';
import { appContainersOf } from '../objects/mesh.js';
import { sameData } from '../objects/shape.js';
import { type AppMount, podField, type Statuses, type Workload } from '../objects/workload.js';
import { type Result, result } from '../results.js';
import { sidecarNames } from './seen-by.js';

export interface PodParts {
  volumes: Volume[];
  imagePullSecrets: string[];
  appVolumeMounts: { container: string; mount: VolumeMount }[];
}

export const NO_PARTS: PodParts = { volumes: [], imagePullSecrets: [], appVolumeMounts: [] };

/** The app containers an injection mounts into: regular containers, not mesh proxies, not other injections' sidecars. */
export function appContainersFor(w: Workload): Container[] {
  const others = sidecarNames(w.others);
  return appContainersOf(w.containers).filter((c) => !others.has(c.name));
}

/** How a volume gets its data, for a message: `emptyDir`, `secret tls-certs`, `configMap rules`. */
function sourceOf(v: Volume): string {
  const source = Object.keys(v).find((k) => k !== 'name');
  if (!source) return 'no source';
  const value = (v as unknown as Record<string, unknown>)[source] as Record<string, unknown> | null;
  const named = value?.secretName ?? value?.name ?? value?.claimName;
  return typeof named === 'string' ? `${source} ${named}` : source;
}

const mountWords = (m: VolumeMount) => `volume "${m.name}" at ${m.mountPath}`;

export function planPodParts(
  config: InjectionConfig,
  w: Workload,
  sidecar: Container,
  native: boolean,
): { parts: PodParts; problems: Result[] } {
  const problems: Result[] = [];
  const others = Object.values(w.others as Statuses);
  const byOthers = {
    volume: (name: string) => others.some((o) => o.volumes?.includes(name)),
    secret: (name: string) => others.some((o) => o.imagePullSecrets?.includes(name)),
    mount: (m: AppMount) =>
      others.some((o) => o.appVolumeMounts?.some((x) => x.container === m.container && x.mountPath === m.mountPath)),
  };
  const parts: PodParts = { volumes: [], imagePullSecrets: [], appVolumeMounts: [] };

  for (const v of config.volumes ?? []) {
    const there = w.volumes.find((p) => p.name === v.name);
    if (!there || (sameData(there, v) && byOthers.volume(v.name))) parts.volumes.push(v);
    else if (!sameData(there, v))
      problems.push(
        result(
          'error',
          `spec.volumes "${v.name}" (${sourceOf(v)}) collides with the pod's volume "${there.name}" (${sourceOf(there)}); give the injection's volume another name`,
          w,
          podField(w, 'spec.volumes'),
        ),
      );
  }

  const apps = appContainersFor(w);
  for (const c of apps) {
    for (const m of config.appVolumeMounts ?? []) {
      const there = c.volumeMounts?.find((x) => x.mountPath === m.mountPath);
      const at = { container: c.name, mountPath: m.mountPath };
      if (!there || (sameData(there, m) && byOthers.mount(at)))
        parts.appVolumeMounts.push({ container: c.name, mount: m });
      else if (!sameData(there, m))
        problems.push(
          result(
            'error',
            `spec.appVolumeMounts mounts ${mountWords(m)} in container "${c.name}", which already mounts ${mountWords(there)} there`,
            w,
            podField(w, 'spec.containers'),
          ),
        );
    }
  }

  for (const name of config.imagePullSecrets ?? [])
    if (!w.imagePullSecrets.includes(name) || byOthers.secret(name)) parts.imagePullSecrets.push(name);

  // Every mount this pod will have must name a volume the pod will have.
  const defined = new Set([...w.volumes.map((v) => v.name), ...(config.volumes ?? []).map((v) => v.name)]);
  const where = podField(w, native ? 'spec.initContainers' : 'spec.containers');
  for (const m of sidecar.volumeMounts ?? [])
    if (!defined.has(m.name))
      problems.push(
        result(
          'error',
          `the sidecar "${sidecar.name}" mounts ${mountWords(m)}, which neither the pod nor spec.volumes defines; add it to spec.volumes`,
          w,
          where,
        ),
      );
  if (apps.length)
    (config.appVolumeMounts ?? []).forEach((m, i) => {
      if (!defined.has(m.name))
        problems.push(
          result(
            'error',
            `spec.appVolumeMounts[${i}] mounts ${mountWords(m)}, which neither the pod nor spec.volumes defines; add it to spec.volumes`,
            w,
            podField(w, 'spec.volumes'),
          ),
        );
    });
  return { parts, problems };
}
