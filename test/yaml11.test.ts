// What the function writes reads the same to YAML 1.1 readers (kubectl, Helm, Go, PyYAML) as to
// the YAML 1.2 reader it uses itself; what the user wrote stays as written, and a plain value in an
// edited object that the two read differently is named in a warning.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { settleYaml11, yaml11Reading } from '../src/io/yaml11.js';
import { runResourceList, runStream } from '../src/run.js';
import { expectClean, repo, tool } from './tools.js';
import { disagreements, type Json, pythonWithYaml, readWith12, readWithKubectl, readWithPyYaml } from './yaml11.js';

// Strings a YAML 1.1 reader takes for another type, one per class the issue names.
const AMBIGUOUS = [
  'On',
  'off',
  'yes',
  'No',
  'y',
  'N',
  '0755',
  '1_000',
  '1:20',
  '190:20:30.15',
  '2001-12-14',
  '~',
  'Null',
  '0b101',
  '.5',
];

describe('yaml11Reading: the YAML 1.1 type of a plain scalar', () => {
  it.each([
    ['On', true],
    ['off', false],
    ['y', true],
    ['0755', 493],
    ['1_000', 1000],
    ['1:20', 80],
    ['~', null],
    ['8080', 8080],
    ['waf', 'waf'],
    ['0o755', '0o755'],
  ])('%s', (text, reading) => expect(yaml11Reading(text)).toBe(reading));
  it('a date is a timestamp', () => expect(yaml11Reading('2001-12-14')).toBeInstanceOf(Date));
});

const config = (env: { name: string; value: string }[]) =>
  stringify({
    apiVersion: 'inject-sidecar.dev/v1alpha1',
    kind: 'SidecarInjection',
    metadata: { name: 'waf' },
    spec: {
      selector: { matchLabels: { waf: 'enabled' } },
      container: {
        name: 'waf',
        image: 'example/waf:1',
        env,
        securityContext: { runAsUser: 101 },
        readinessProbe: { tcpSocket: { port: 8443 } },
      },
      ports: [{ appPort: 8080, listenPort: 8443 }],
    },
  });
const deployment = (extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {waf: enabled}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: app
          image: example/web:1
          ports: [{containerPort: 8080}]${extra}
`;

describe('strings the function writes', () => {
  it('are double-quoted where a YAML 1.1 reader would take them for another type, and only there', () => {
    const env = [...AMBIGUOUS, 'plain-text', 'on-call'].map((value, i) => ({ name: `V${i}`, value }));
    const out = runStream(config(env), 'config.yaml', deployment());
    expect(out.exitCode, out.stderr).toBe(0);
    for (const value of AMBIGUOUS) expect(out.stdout).toContain(`value: "${value}"\n`);
    expect(out.stdout).toContain('value: plain-text\n');
    expect(out.stdout).toContain('value: on-call\n');
    expectClean(out.stderr);
  });

  it('read the same with PyYAML as with the function reader', () => {
    if (!pythonWithYaml()) return;
    const env = AMBIGUOUS.map((value, i) => ({ name: `V${i}`, value }));
    const out = runStream(config(env), 'config.yaml', deployment());
    const [read11] = readWithPyYaml([out.stdout]) as Json[];
    expect(disagreements(readWith12(out.stdout), read11!)).toEqual([]);
  });

  it('read the same with kubectl as with the function reader', () => {
    if (!tool('kubectl')) return;
    const env = AMBIGUOUS.map((value, i) => ({ name: `V${i}`, value }));
    const out = runStream(config(env), 'config.yaml', deployment());
    expect(disagreements(readWith12(out.stdout), readWithKubectl(out.stdout))).toEqual([]);
  });

  it('in results are quoted too (an object may be named "on")', () => {
    const list = stringify({
      apiVersion: 'config.kubernetes.io/v1',
      kind: 'ResourceList',
      items: [parse(deployment().replace('name: web', 'name: "on"'))],
      functionConfig: parse(config([])),
    });
    const out = runResourceList(list);
    expect(out.exitCode, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^results:\n(?:.*\n)*? {6}name: "on"\n/m);
  });
});

describe('values the user wrote', () => {
  const userEnv = `
          env:
            - {name: A, value: On}
            - {name: B, value: "yes"}
            - {name: C, value: 0755}`;

  it('stay as written, and each plain one that YAML 1.1 reads differently is named in a warning', () => {
    const out = runStream(config([]), 'config.yaml', deployment(userEnv));
    expect(out.exitCode, out.stderr).toBe(0);
    expect(out.stdout).toContain('- {name: A, value: On}');
    expect(out.stdout).toContain('- {name: B, value: "yes"}');
    expect(out.stdout).toContain('- {name: C, value: 0755}');
    const warnings = out.results.filter((r) => r.severity === 'warning');
    expect(warnings.map((r) => [r.field?.path, r.message])).toEqual([
      [
        'spec.template.spec.containers[0].env[0].value',
        'plain value On is the string "On" to this function (YAML 1.2) but the boolean true to kubectl, Helm and other YAML 1.1 readers; quote it to keep it a string',
      ],
      [
        'spec.template.spec.containers[0].env[2].value',
        'plain value 0755 is the number 755 to this function (YAML 1.2) but the number 493 to kubectl, Helm and other YAML 1.1 readers; write 755 if the decimal is meant, 493 if the octal',
      ],
    ]);
    expect(warnings.every((r) => r.resourceRef?.name === 'web')).toBe(true);
  });

  it('in an object the function does not edit raise no warning', () => {
    const other = deployment(userEnv).replace('waf: enabled', 'waf: disabled');
    const out = runStream(config([]), 'config.yaml', other);
    // The one warning: the config selects nothing in this input.
    const warnings = out.results.filter((r) => r.severity === 'warning');
    expect(warnings.map((r) => r.field?.path)).toEqual(['spec.selector']);
  });

  it('a scalar the edit replaced is the function own: a new value is quoted, nothing is warned', async () => {
    const { parseDocument } = await import('yaml');
    const doc = parseDocument('targetPort: 8080\nname: web\n');
    const map = doc.contents as import('yaml').YAMLMap;
    map.set('targetPort', 'on');
    map.set('name', 'y');
    expect(settleYaml11(map)).toEqual([]);
    expect(doc.toString()).toBe('targetPort: "on"\nname: "y"\n');
  });
});

// Every golden output and every end-to-end output, read by YAML 1.1 readers: the function adds no
// disagreement of its own. A golden whose input already has one (the user's text, kept) may show
// it again in its output, and no other.
const fixtures = join(repo, 'fixtures');
const goldens = readdirSync(fixtures, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(fixtures, d.name, 'output.yaml')))
  .map((d) => d.name)
  .filter((name) => readFileSync(join(fixtures, name, 'output.yaml'), 'utf8').trim() !== '')
  .sort();
const expected = join(repo, 'test/expected');
const e2eOutputs = readdirSync(expected).filter((f) => f.endsWith('.yaml'));

/** The disagreements without their paths: a value the input had may move when a sidecar is inserted. */
const values = (lines: string[]) => lines.map((l) => l.replace(/^[^:]*: /, '')).sort();

describe('golden and end-to-end outputs read the same in YAML 1.1 and 1.2', () => {
  it(`every golden output (${goldens.length}) with PyYAML`, () => {
    if (!pythonWithYaml()) return;
    expect(goldens.length).toBeGreaterThan(80);
    const inputOf = (name: string) => {
      const dir = join(fixtures, name);
      const file = existsSync(join(dir, 'resource-list.yaml')) ? 'resource-list.yaml' : 'input.yaml';
      return readFileSync(join(dir, file), 'utf8');
    };
    const outputs = goldens.map((name) => readFileSync(join(fixtures, name, 'output.yaml'), 'utf8'));
    const inputs = goldens.map(inputOf);
    const read11 = readWithPyYaml([...outputs, ...inputs]);
    const found: string[] = [];
    goldens.forEach((name, i) => {
      const out = disagreements(readWith12(outputs[i]!), read11[i]! as Json);
      // An input that is not YAML (an error case) has no value of its own to carry over.
      const input11 = read11[goldens.length + i]!;
      const had = '$error' in input11 ? [] : values(disagreements(readWith12(inputs[i]!), input11));
      const added = values(out).filter((v) => {
        const at = had.indexOf(v);
        if (at < 0) return true;
        had.splice(at, 1);
        return false;
      });
      if (added.length) found.push(`${name}: ${added.join('; ')}`);
    });
    expect(found).toEqual([]);
  });

  it.each(e2eOutputs)('%s with PyYAML and with kubectl', (file) => {
    const text = readFileSync(join(expected, file), 'utf8');
    if (pythonWithYaml()) expect(disagreements(readWith12(text), readWithPyYaml([text])[0]! as Json)).toEqual([]);
    if (tool('kubectl')) expect(disagreements(readWith12(text), readWithKubectl(text))).toEqual([]);
  });
});
