// The user's spec.container over a preset's: env by name, ports by containerPort, securityContext
// and resources key by key (their nested maps too), every other field replaced.
import type { Container } from 'kubernetes-types/core/v1.js';
import { isObj, type Obj } from '../../objects/shape.js';

function byKey<T>(
  preset: readonly T[] | undefined,
  user: readonly T[] | undefined,
  key: (item: T) => unknown,
): T[] | undefined {
  if (!preset) return user ? [...user] : undefined;
  if (!user) return [...preset];
  // The user's entry takes the preset's place; entries the preset does not have come after.
  const replaced = preset.map((p) => user.find((u) => key(u) === key(p)) ?? p);
  return [...replaced, ...user.filter((u) => !preset.some((p) => key(p) === key(u)))];
}

function deepMerge(preset: unknown, user: unknown): unknown {
  if (!isObj(preset) || !isObj(user)) return user === undefined ? preset : user;
  const out: Obj = { ...preset };
  for (const [k, v] of Object.entries(user)) out[k] = deepMerge(out[k], v);
  return out;
}

export function mergeContainer(preset: Container, user: Partial<Container>): Container {
  const merged: Obj = { ...preset, ...user };
  const env = byKey(preset.env, user.env, (e) => e.name);
  const ports = byKey(preset.ports, user.ports, (p) => p.containerPort);
  if (env) merged.env = env;
  if (ports) merged.ports = ports;
  for (const key of ['securityContext', 'resources'] as const) {
    const value = deepMerge(preset[key], user[key]);
    if (value !== undefined) merged[key] = value;
  }
  return merged as unknown as Container;
}
