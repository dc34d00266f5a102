// A workload's own settings for its sidecar, by annotation, within what the config allows
// (spec.overrides): `<injection>.inject-sidecar.dev/resources` (JSON ResourceRequirements),
// `/image`, `/env.<NAME>`. The pod template's annotation beats the workload's own, as Wallarm's
// and Istio's per-pod annotations do. An override the config does not allow, or a value outside its
// list, is a warning and the config's value stays; malformed JSON is an error. The sidecar is built
// from the config on every run, so a changed or removed annotation gives the new value or the
// config's one.
import type { Container, EnvVar, ResourceRequirements } from 'kubernetes-types/core/v1.js';
import type { InjectionConfig } from '../config/schema.js';
import { isObj, type StringMap } from '../objects/shape.js';
import { podField, type Workload } from '../objects/workload.js';
import { type Result, result } from '../results.js';

/** The annotation prefix of one injection's overrides. */
export const overridePrefix = (injection: string) => `${injection}.inject-sidecar.dev/`;

const isQuantity = (v: unknown) => typeof v === 'string' || typeof v === 'number';
const isResourceMap = (v: unknown) => v === undefined || (isObj(v) && Object.values(v).every(isQuantity));
const isResources = (v: unknown): v is ResourceRequirements =>
  isObj(v) &&
  Object.keys(v).every((k) => ['limits', 'requests', 'claims'].includes(k)) &&
  isResourceMap(v.limits) &&
  isResourceMap(v.requests);

/** The override annotations of this injection on a workload: the pod template's over the workload's own. */
function overrideAnnotations(prefix: string, w: Workload) {
  const found = new Map<string, { value: string; field: string }>();
  const from = (annotations: StringMap, field: string) => {
    for (const [key, value] of Object.entries(annotations))
      if (key.startsWith(prefix)) found.set(key.slice(prefix.length), { value, field: `${field}[${key}]` });
  };
  if (w.kind.podTemplatePath.length) from(w.annotations, 'metadata.annotations');
  from(w.podAnnotations, podField(w, 'metadata.annotations'));
  return found;
}

export function withOverrides(
  config: InjectionConfig,
  w: Workload,
  sidecar: Container,
): { sidecar: Container; results: Result[]; applied: Record<string, string> } {
  const prefix = overridePrefix(config.name);
  const allowed = config.overrides ?? {};
  const results: Result[] = [];
  /** Each applied override's key, and the annotation it came from. */
  const applied: Record<string, string> = {};
  let out = sidecar;
  const refuse = (key: string, field: string, why: string) =>
    results.push(result('warning', `annotation ${prefix}${key}: ${why}; the config's value stays`, w, field));
  const apply = (key: string, field: string) => {
    applied[key] = `${prefix}${key}`;
    results.push(result('info', `sidecar "${sidecar.name}": ${key} from annotation ${prefix}${key}`, w, field));
  };
  for (const [key, { value, field }] of overrideAnnotations(prefix, w)) {
    if (key === 'resources') {
      if (!allowed.resources) {
        refuse(key, field, 'spec.overrides.resources does not allow a workload to set the resources');
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch (e) {
        results.push(result('error', `annotation ${prefix}${key} is not JSON: ${(e as Error).message}`, w, field));
        continue;
      }
      if (!isResources(parsed)) {
        const message = `annotation ${prefix}${key} is not a ResourceRequirements: write {"requests": {"cpu": "100m"}, "limits": {...}}`;
        results.push(result('error', message, w, field));
        continue;
      }
      out = { ...out, resources: parsed };
      apply(key, field);
    } else if (key === 'image') {
      if (!allowed.image) {
        refuse(key, field, 'spec.overrides.image does not allow a workload to set the image');
        continue;
      }
      if (value.trim() === '') {
        results.push(result('error', `annotation ${prefix}${key} is empty; name an image`, w, field));
        continue;
      }
      out = { ...out, image: value };
      apply(key, field);
    } else if (key.startsWith('env.')) {
      const name = key.slice('env.'.length);
      const values = allowed.env?.[name];
      if (values === undefined) {
        refuse(key, field, `spec.overrides.env does not list ${name}`);
        continue;
      }
      if (values !== '*' && !values.includes(value)) {
        refuse(
          key,
          field,
          `${JSON.stringify(value)} is not one of the values spec.overrides.env allows for ${name} (${values.join(', ')})`,
        );
        continue;
      }
      out = { ...out, env: withEnv(out.env ?? [], { name, value }) };
      apply(key, field);
    } else {
      refuse(key, field, 'not an override this function knows (resources, image, env.<NAME>)');
    }
  }
  return { sidecar: out, results, applied };
}

/** The env with `entry` in the place of the variable of its name, or added last. */
function withEnv(env: readonly EnvVar[], entry: EnvVar): EnvVar[] {
  const at = env.findIndex((e) => e.name === entry.name);
  return at < 0 ? [...env, entry] : env.map((e, i) => (i === at ? entry : e));
}
