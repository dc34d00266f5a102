// Reads the function config in either form, a SidecarInjection or the flat ConfigMap that `kpt fn
// eval -- key=value` sends. Every problem is reported at once, each at its field, so a config with
// three typos takes one run to fix.
import type { Container, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type * as z from 'zod/mini';
import { parseSelectorString } from '../objects/selector.js';
import { closest, issueResults } from '../objects/shape.js';
import { problem, ResultsError, result } from '../results.js';
import { mergeContainer } from './presets/merge.js';
import { modsecurityCrs, PRESET_DRAIN_SECONDS, type Preset, wallarm } from './presets/presets.js';
import { API_VERSION, type InjectionConfig, sidecarInjectionSchema } from './schema.js';

const configError = (path: string, message: string) =>
  result('error', `invalid config: ${message}`, undefined, path || undefined);

function issuesOf(error: z.core.$ZodError, rename: (path: string) => string = (p) => p) {
  return issueResults(error, (path, message) => configError(rename(path), message));
}

function toConfig({ metadata, spec }: z.output<typeof sidecarInjectionSchema>): InjectionConfig {
  const preset = presetOf(spec);
  const drainSeconds = drainOf(spec);
  const container = preset
    ? mergeContainer(preset.container, spec.container as Partial<Container>)
    : (spec.container as Container);
  // The Wallarm preset's redirect runs its own node image, as Wallarm's sidecar controller does.
  const redirectImage =
    spec.capture === 'redirect'
      ? (spec.redirect?.image ?? (spec.preset === 'wallarm' ? container.image : undefined))
      : undefined;
  return {
    name: metadata?.name ?? 'inject-sidecar',
    selector: spec.selector,
    ...(spec.namespaces ? { namespaces: spec.namespaces } : {}),
    ...(spec.defaultNamespace ? { defaultNamespace: spec.defaultNamespace } : {}),
    container,
    ...(preset ? { preset: spec.preset, boundPorts: preset.boundPorts } : {}),
    ports: spec.ports,
    ...(spec.volumes ? { volumes: spec.volumes as Volume[] } : {}),
    ...(spec.appVolumeMounts ? { appVolumeMounts: spec.appVolumeMounts as VolumeMount[] } : {}),
    ...(spec.imagePullSecrets ? { imagePullSecrets: spec.imagePullSecrets.map((r) => r.name) } : {}),
    ...(spec.overrides ? { overrides: spec.overrides } : {}),
    kinds: spec.kinds,
    ...(spec.native !== undefined ? { native: spec.native } : {}),
    ...(drainSeconds !== undefined ? { drainSeconds } : {}),
    networkPolicies: spec.networkPolicies,
    capture: spec.capture,
    ...(redirectImage ? { redirectImage } : {}),
    mode: spec.mode,
    ...(spec.strict ? { strict: true } : {}),
  };
}

/** The config's drain, or the preset's when the config says none and sets no preStop of its own. */
const drainOf = (spec: z.output<typeof sidecarInjectionSchema>['spec']) =>
  spec.drainSeconds ?? (spec.preset && spec.container.lifecycle === undefined ? PRESET_DRAIN_SECONDS : undefined);

/** The preset's sidecar, or every problem with its settings as error results. */
function presetOf(spec: z.output<typeof sidecarInjectionSchema>['spec']): Preset | undefined {
  if (!spec.preset) return undefined;
  const { listenPort, appProtocol = 'http' } = spec.ports[0]!;
  const preset =
    spec.preset === 'wallarm'
      ? wallarm(listenPort, spec.wallarm, appProtocol, spec.container.image)
      : modsecurityCrs(listenPort, spec.modsecurity, appProtocol);
  const problems = [...preset.problems];
  // The Wallarm token comes from a Secret only: an env entry may not put it back inline.
  (spec.container.env ?? []).forEach((e, i) => {
    if (spec.preset === 'wallarm' && e.name === 'WALLARM_API_TOKEN')
      problems.push({
        field: `spec.container.env[${i}]`,
        message: 'the API token comes from spec.wallarm.tokenSecretRef only',
      });
  });
  if (problems.length) throw new ResultsError(problems.map((p) => configError(p.field, p.message)));
  return preset;
}

function parseSidecarInjection(object: unknown): InjectionConfig {
  const parsed = sidecarInjectionSchema.safeParse(object, { reportInput: true });
  if (!parsed.success) throw new ResultsError(issuesOf(parsed.error));
  return toConfig(parsed.data);
}

// The ConfigMap form: one port mapping, flat string values.
const configMapKeys: Record<string, string> = {
  selector: 'spec.selector',
  namespaces: 'spec.namespaces',
  defaultNamespace: 'spec.defaultNamespace',
  name: 'spec.container.name',
  image: 'spec.container.image',
  appPort: 'spec.ports[0].appPort',
  listenPort: 'spec.ports[0].listenPort',
  portName: 'spec.ports[0].name',
  protocol: 'spec.ports[0].protocol',
  networkPolicies: 'spec.networkPolicies',
  mode: 'spec.mode',
  kinds: 'spec.kinds',
  native: 'spec.native',
  strict: 'spec.strict',
  capture: 'spec.capture',
  redirectImage: 'spec.redirect.image',
  runAsUser: 'spec.container.securityContext.runAsUser',
  readinessProbe: 'spec.container.readinessProbe',
};

const didYouMean = (written: string, allowed: readonly string[]) => {
  const near = closest(written, allowed);
  return near ? `did you mean ${near}? ` : '';
};

/** The ConfigMap key a SidecarInjection field comes from, so errors name what the user wrote. */
function configMapKeyOf(path: string): string {
  const key = Object.entries(configMapKeys).find(
    ([, p]) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`),
  );
  return key ? `data.${key[0]}` : path;
}

function parseConfigMap(object: { metadata?: { name?: string }; data?: Record<string, unknown> }): InjectionConfig {
  const data = object.data ?? {};
  const str = (k: string) => (data[k] === undefined ? undefined : String(data[k]));
  const asPort = (v: string | undefined) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : v);
  const problems = Object.keys(data)
    .filter((k) => !Object.hasOwn(configMapKeys, k))
    .map((k) =>
      result(
        'error',
        `unknown ConfigMap key ${k}; ${didYouMean(k, Object.keys(configMapKeys))}Known keys are ${Object.keys(configMapKeys).join(', ')}`,
        undefined,
        `data.${k}`,
      ),
    );
  let selector: LabelSelector = {};
  if (str('selector') !== undefined) {
    try {
      selector = parseSelectorString(str('selector')!);
    } catch (e) {
      problems.push(configError('data.selector', (e as Error).message));
    }
  }
  const mapping: Record<string, unknown> = { listenPort: asPort(str('listenPort')) };
  if (str('appPort') !== undefined) mapping.appPort = asPort(str('appPort'));
  if (str('portName') !== undefined) mapping.name = str('portName');
  if (str('protocol') !== undefined) mapping.protocol = str('protocol');
  const list = (k: string) =>
    str(k)
      ?.split(',')
      .map((n) => n.trim())
      .filter(Boolean);
  const namespaces = list('namespaces');
  const kinds = list('kinds');
  const native = str('native');
  const strict = str('strict');
  const flag = (v: string) => (v === 'true' ? true : v === 'false' ? false : v);
  const runAsUser = str('runAsUser');
  // `tcp`: a tcpSocket on the listen port; `http:/path`: an httpGet of that path on it.
  const probe = str('readinessProbe');
  const listen = asPort(str('listenPort'));
  const readinessProbe =
    probe === 'tcp'
      ? { tcpSocket: { port: listen } }
      : probe?.startsWith('http:/')
        ? { httpGet: { path: probe.slice('http:'.length), port: listen } }
        : undefined;
  if (probe !== undefined && readinessProbe === undefined)
    problems.push(
      configError(
        'data.readinessProbe',
        `readinessProbe is tcp or http:/path (on the listen port), not ${JSON.stringify(probe)}`,
      ),
    );
  if (runAsUser !== undefined && !/^\d+$/.test(runAsUser))
    problems.push(
      configError('data.runAsUser', `runAsUser is the image's numeric user, not ${JSON.stringify(runAsUser)}`),
    );
  const candidate = {
    apiVersion: API_VERSION,
    kind: 'SidecarInjection',
    metadata: { name: object.metadata?.name },
    spec: {
      selector,
      ...(namespaces !== undefined ? { namespaces } : {}),
      ...(str('defaultNamespace') !== undefined ? { defaultNamespace: str('defaultNamespace') } : {}),
      container: {
        name: str('name'),
        image: str('image'),
        ...(runAsUser !== undefined ? { securityContext: { runAsUser: Number(runAsUser) } } : {}),
        ...(readinessProbe ? { readinessProbe } : {}),
      },
      ports: [mapping],
      ...(str('networkPolicies') !== undefined ? { networkPolicies: str('networkPolicies') } : {}),
      ...(str('mode') !== undefined ? { mode: str('mode') } : {}),
      ...(kinds !== undefined ? { kinds } : {}),
      ...(native !== undefined ? { native: flag(native) } : {}),
      ...(strict !== undefined ? { strict: flag(strict) } : {}),
      ...(str('capture') !== undefined ? { capture: str('capture') } : {}),
      ...(str('redirectImage') !== undefined ? { redirect: { image: str('redirectImage') } } : {}),
    },
  };
  const parsed = sidecarInjectionSchema.safeParse(candidate, { reportInput: true });
  if (!parsed.success) problems.push(...issuesOf(parsed.error, configMapKeyOf));
  if (problems.length || !parsed.success) throw new ResultsError(problems);
  return toConfig(parsed.data);
}

/** Reads whichever form the function config takes; throws every problem found as error results. */
export function readFunctionConfig(object: unknown): InjectionConfig {
  if (object === null || object === undefined)
    throw problem(
      'no functionConfig: pass a SidecarInjection (or a ConfigMap) as the function config',
      undefined,
      'functionConfig',
    );
  if (typeof object !== 'object' || Array.isArray(object))
    throw problem('functionConfig is not an object', undefined, 'functionConfig');
  const o = object as { apiVersion?: unknown; kind?: unknown };
  if (o.apiVersion === 'v1' && o.kind === 'ConfigMap')
    return parseConfigMap(object as Parameters<typeof parseConfigMap>[0]);
  return parseSidecarInjection(object);
}
