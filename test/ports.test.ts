import { describe, expect, it } from 'vitest';
import { declaredPorts, type IntOrString, resolvePort, type ServicePort, serviceTarget } from '../src/objects/ports.js';

const declared = declaredPorts([
  {
    name: 'app',
    ports: [
      { name: 'http', containerPort: 8080 },
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
    ],
  },
  { name: 'exporter', ports: [{ name: 'metrics', containerPort: 9090 }] },
]);

describe('serviceTarget: targetPort, or port when omitted or 0', () => {
  it.each<[string, ServicePort, IntOrString]>([
    ['numeric', { port: 80, targetPort: 8080 }, 8080],
    ['named', { port: 80, targetPort: 'http' }, 'http'],
    ['omitted', { port: 8080 }, 8080],
    ['zero', { port: 8080, targetPort: 0 }, 8080],
  ])('%s', (_n, sp, expected) => expect(serviceTarget(sp)).toBe(expected));
});

describe('resolvePort: numbers stand, names resolve in the declared ports of that protocol', () => {
  it.each<[IntOrString, 'TCP' | 'UDP', number | undefined]>([
    [8080, 'TCP', 8080],
    [1234, 'TCP', 1234],
    ['http', 'TCP', 8080],
    ['metrics', 'TCP', 9090],
    ['dns', 'UDP', 53],
    ['dns', 'TCP', undefined],
    ['grpc', 'TCP', undefined],
  ])('%j/%s -> %j', (target, protocol, expected) => expect(resolvePort(target, declared, protocol)).toBe(expected));
});

describe('declaredPorts', () => {
  it('lists every container port with its container, default protocol and place', () =>
    expect(declared).toEqual([
      { container: 'app', name: 'http', containerPort: 8080, protocol: 'TCP', at: 'containers[0].ports[0]' },
      { container: 'app', name: 'dns', containerPort: 53, protocol: 'UDP', at: 'containers[0].ports[1]' },
      { container: 'exporter', name: 'metrics', containerPort: 9090, protocol: 'TCP', at: 'containers[1].ports[0]' },
    ]));
});
