// The presets' rules by line and setting, and the preset page stating what the code sets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MODSECURITY_CRS_IMAGE,
  modsecurityCrs,
  WALLARM_DEFAULT_VERSION,
  wallarm,
} from '../src/config/presets/presets.js';
import { repo } from './tools.js';

const settings = { group: 'shop', tokenSecretRef: { name: 'wallarm', key: 'token' } };
const reserved = (p: ReturnType<typeof wallarm>) => p.boundPorts.map((b) => b.port).sort((a, b) => a - b);

describe('wallarm: the line follows the version, or the image tag', () => {
  it.each([
    // [spec.wallarm.version, spec.container.image, image written, probes]
    [undefined, undefined, `wallarm/node:${WALLARM_DEFAULT_VERSION}`, 'httpGet'],
    ['6.13.0', undefined, 'wallarm/node:6.13.0', 'tcpSocket'],
    [undefined, 'wallarm/node:6.13.0', 'wallarm/node:6.13.0', 'tcpSocket'],
    [undefined, 'registry.example.com:5000/mirror/wallarm/node:6.12.1-rc2', 'wallarm/node:6.12.1', 'tcpSocket'],
    [undefined, 'wallarm/node:6.13.0@sha256:abc', 'wallarm/node:6.13.0', 'tcpSocket'],
    // No readable release in the tag: the default line.
    [undefined, 'wallarm/node@sha256:abc', `wallarm/node:${WALLARM_DEFAULT_VERSION}`, 'httpGet'],
    [undefined, 'example/wallarm-node:6.13.0', `wallarm/node:${WALLARM_DEFAULT_VERSION}`, 'httpGet'],
    ['7.2.0', 'wallarm/node:7.1.0', 'wallarm/node:7.2.0', 'httpGet'],
  ])('version %s, image %s: %s, %s probes', (version, image, written, probe) => {
    const p = wallarm(8443, { ...settings, ...(version ? { version } : {}) }, 'http', image);
    expect(p.problems).toEqual([]);
    expect(p.container.image).toBe(written); // the user's image, if any, is merged over it later
    expect(Object.keys(p.container.readinessProbe!)).toContain(probe);
    expect(Object.keys(p.container.livenessProbe!)).toContain(probe);
  });

  it('7.x: probes wd on the port it reserves and binds on every address', () => {
    const p = wallarm(8443, settings);
    expect(p.container.readinessProbe!.httpGet).toEqual({ path: '/ready', port: 9446 });
    expect(p.container.livenessProbe!.httpGet).toEqual({ path: '/health', port: 9446 });
    expect(p.container.env).toContainEqual({ name: 'WALLARM_WD__NODE__HEALTHCHECK_LISTEN_ADDRESS', value: ':9446' });
    expect(reserved(p)).toEqual([3313, 8088, 9001, 9003, 9445, 9446]);
  });
  it('6.x: reserves no wd port, probes the listen port', () => {
    const p = wallarm(8443, { ...settings, version: '6.13.0' });
    expect(reserved(p)).toEqual([3313, 8088, 9001, 9003]);
    expect(p.container.readinessProbe!.tcpSocket).toEqual({ port: 8443 });
    expect(p.container.env!.map((e) => e.name)).not.toContain('WALLARM_WD__NODE__HEALTHCHECK_LISTEN_ADDRESS');
  });
  it.each(['6.13.0', '7.1.0'])(
    '%s: 6388 (wstore TLS, off by default) is never reserved; 8088 only with API Firewall',
    (version) => {
      expect(reserved(wallarm(8443, { ...settings, version }))).not.toContain(6388);
      const off = wallarm(8443, { ...settings, version, apiFirewall: false });
      expect(reserved(off)).not.toContain(8088);
      expect(off.container.env).toContainEqual({ name: 'WALLARM_APIFW_ENABLE', value: 'false' });
      expect(wallarm(8443, { ...settings, version }).container.env!.map((e) => e.name)).not.toContain(
        'WALLARM_APIFW_ENABLE',
      );
    },
  );
  it.each(['6.13.0', '7.1.0'])('%s: runs as the image user wallarm, uid 100 and gid 101', (version) => {
    expect(wallarm(8443, { ...settings, version }).container.securityContext).toMatchObject({
      runAsUser: 100,
      runAsGroup: 101,
    });
  });
  it.each([
    [{ version: '5.3.0' }, undefined, 'spec.wallarm.version', /6\.x and 7\.x lines, not 5\.3\.0/],
    [{}, 'wallarm/node:8.0.0', 'spec.container.image', /not 8\.0\.0/],
    [
      { version: '7.1.0' },
      'wallarm/node:6.13.0',
      'spec.container.image',
      /a 6\.x node but spec\.wallarm\.version is 7\.1\.0/,
    ],
  ])('%j with image %s: an error at %s', (extra, image, field, message) => {
    const p = wallarm(8443, { ...settings, ...extra }, 'http', image);
    expect(p.problems).toHaveLength(1);
    expect(p.problems[0]!.field).toBe(field);
    expect(p.problems[0]!.message).toMatch(message);
  });
});

describe('docs/presets.md states what the presets set', () => {
  const page = readFileSync(join(repo, 'docs/presets.md'), 'utf8');
  it('the images', () => {
    expect(page).toContain(`\`wallarm/node:${WALLARM_DEFAULT_VERSION}\``);
    expect(page).toContain(`\`${MODSECURITY_CRS_IMAGE}\``);
    expect(modsecurityCrs(8443).container.image).toBe(MODSECURITY_CRS_IMAGE);
  });
  it("each line's reserved ports and the users", () => {
    for (const version of ['7.1.0', '6.13.0']) {
      const ports = reserved(wallarm(8443, { ...settings, version }));
      const row = page.split('\n').find((l) => l.startsWith('| ports reserved'))!;
      const column = row.split(' | ')[version.startsWith('7') ? 1 : 2]!;
      expect(
        column
          .match(/\b\d{4}\b/g)!
          .map(Number)
          .sort((a, b) => a - b),
      ).toEqual(ports);
    }
    expect(page).toContain('`runAsUser: 100`, `runAsGroup: 101`');
    expect(page).toContain('`runAsUser`/`runAsGroup: 101`');
  });
  it("each vendor's per-app env names, for spec.overrides", () => {
    const wallarmPart = page.slice(page.indexOf('### `wallarm`'), page.indexOf('### `modsecurity-crs`'));
    const crsPart = page.slice(page.indexOf('### `modsecurity-crs`'));
    for (const name of ['WALLARM_MODE', 'WALLARM_APPLICATION'])
      expect(wallarmPart).toMatch(new RegExp(`Per-app settings[^]*${name}`));
    for (const name of ['BLOCKING_PARANOIA', 'MODSEC_RULE_ENGINE', 'ANOMALY_INBOUND', 'ANOMALY_OUTBOUND'])
      expect(crsPart).toMatch(new RegExp(`Per-app settings[^]*${name}`));
  });
  it("marks what nobody has checked in a running image: the users, wd's health address", () => {
    expect(page).toMatch(/`runAsUser: 100`, `runAsGroup: 101` \(\*unverified\*\)/);
    expect(page).toMatch(/WALLARM_WD__NODE__HEALTHCHECK_LISTEN_ADDRESS=:9446`[^|]*\*unverified\*/);
    expect(page).toMatch(/ARG GID=101` \(\*unverified\* in a running image\)/);
  });
  it('how to pin by digest', () => {
    expect(page).toContain('@sha256:<digest>');
  });
});
