// The README and docs/ cannot rot: every `sh` block they show runs here, in a copy of the
// repository, and exits as the page says; the config reference is checked against the schema; every
// relative link resolves. A block that cannot run here says why, in a comment the page carries:
//   <!-- test: skip: REASON -->   not run, for the reason given
//   <!-- test: helm 3 -->         `helm` is Helm 3.17.2 (default: no helm on PATH)
//   <!-- test: helm 4 -->         `helm` is Helm 4.1.4
//   <!-- test: exit N -->         the block exits N (default 0)
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { runResourceList } from '../src/run.js';
import { helm } from './fetched.js';
import { repo, tool } from './tools.js';

const pages = ['README.md', ...readdirSync(join(repo, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
);
const read = (page: string) => readFileSync(join(repo, page), 'utf8');

interface Block {
  page: string;
  line: number;
  script: string;
  skip?: string;
  helm?: 3 | 4;
  exit: number;
}

/** Every `sh` block of a page, with the directive in the comment just above it. */
function blocksOf(page: string): Block[] {
  const lines = read(page).split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```sh') continue;
    const end = lines.indexOf('```', i + 1);
    let above = i - 1;
    while (above >= 0 && lines[above]!.trim() === '') above--;
    const directive = /^<!-- test: (.*) -->$/.exec(lines[above] ?? '')?.[1] ?? '';
    const skip = /^skip: (.+)$/.exec(directive)?.[1];
    const helmMajor = /^helm ([34])$/.exec(directive)?.[1];
    const exit = /^exit (\d+)$/.exec(directive)?.[1];
    if (directive && !skip && !helmMajor && !exit)
      throw new Error(`${page}:${above + 1}: unknown directive ${directive}`);
    blocks.push({
      page,
      line: i + 1,
      script: lines.slice(i + 1, end).join('\n'),
      ...(skip ? { skip } : {}),
      ...(helmMajor ? { helm: Number(helmMajor) as 3 | 4 } : {}),
      exit: exit ? Number(exit) : 0,
    });
    i = end;
  }
  return blocks;
}

/**
 * A copy of the repository as a clone would have it (the files git tracks, or would), with the
 * built dist/ (the big standalone binary left out) and node_modules linked: the commands run from
 * its root. HOME and the XDG folders are its own, so Helm's plugins and caches stay in it.
 */
function sandbox(): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'inject-sidecar-docs-'));
  const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repo,
    encoding: 'utf8',
  }).stdout.split('\0');
  for (const f of files.filter(Boolean)) {
    if (!existsSync(join(repo, f))) continue; // deleted in the work tree, not yet committed
    mkdirSync(join(dir, dirname(f)), { recursive: true });
    copyFileSync(join(repo, f), join(dir, f));
  }
  cpSync(join(repo, 'dist'), join(dir, 'dist'), {
    recursive: true,
    filter: (f) => !/inject-sidecar-linux-x64|sea-/.test(f),
  });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  const home = join(dir, '.home');
  return {
    dir,
    env: {
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_CACHE_HOME: join(home, '.cache'),
      XDG_DATA_HOME: join(home, '.local/share'),
      HELM_PLUGINS: join(home, '.local/share/helm/plugins'),
      // npm's own cache stays where it is: `npm run` needs nothing from it.
      npm_config_cache: join(process.env.HOME ?? tmpdir(), '.npm'),
    },
  };
}

const everyBlock = pages.flatMap(blocksOf);

describe('the commands the README and docs/ show', () => {
  it('are found, and each Helm block says which Helm', () => {
    expect(everyBlock.length).toBeGreaterThan(10);
    for (const b of everyBlock)
      if (/\bhelm\b/.test(b.script.replace(/test\/charts|helm-plugin|postrenderer/g, '')) && !b.skip)
        expect(b.helm, `${b.page}:${b.line}`).toBeDefined();
  });

  for (const page of pages) {
    const blocks = blocksOf(page);
    if (blocks.length === 0) continue;
    const needs = {
      helm3: blocks.some((b) => b.helm === 3 && !b.skip),
      helm4: blocks.some((b) => b.helm === 4 && !b.skip),
      kpt: blocks.some((b) => /\bkpt\b/.test(b.script) && !b.skip),
      kubectl: blocks.some((b) => /\bkubectl\b/.test(b.script) && !b.skip),
    };
    const missing = [
      ...(needs.kpt && !tool('kpt') ? ['kpt'] : []),
      ...(needs.kubectl && !tool('kubectl') ? ['kubectl'] : []),
      ...(needs.helm3 && !helm(3) ? ['helm 3'] : []),
      ...(needs.helm4 && !helm(4) ? ['helm 4'] : []),
    ];
    it.skipIf(missing.length > 0)(`${page}: every block runs and exits as the page says, in order`, () => {
      const { dir, env } = sandbox();
      const bins = { 3: mkdtempSync(join(dir, '.helm3-')), 4: mkdtempSync(join(dir, '.helm4-')) };
      if (needs.helm3) symlinkSync(helm(3)!.path, join(bins[3], 'helm'));
      if (needs.helm4) symlinkSync(helm(4)!.path, join(bins[4], 'helm'));
      for (const b of blocks) {
        if (b.skip) continue;
        const path = `${b.helm ? `${bins[b.helm]}:` : ''}${process.env.PATH}`;
        const r = spawnSync('bash', ['-e', '-c', b.script], {
          cwd: dir,
          encoding: 'utf8',
          env: { ...process.env, ...env, PATH: path },
          maxBuffer: 1 << 28,
        });
        expect(r.status, `${b.page}:${b.line}\n${b.script}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`).toBe(
          b.exit,
        );
      }
    });
  }

  it('skip nothing but what cannot run inside npm test, each with its reason', () => {
    const skipped = everyBlock.filter((b) => b.skip).map((b) => `${b.page}: ${b.script}`);
    expect(skipped).toEqual(['README.md: npm ci && npm run example\nnpm ci && npm test']);
  });

  it('`npm run example` (the README) prints the rendered example and nothing else on stdout', () => {
    const { dir, env } = sandbox();
    const r = spawnSync('npm', ['run', 'example'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
    expect(r.status, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout);
    expect(docs.every((d) => d.errors.length === 0 && typeof d.toJS()?.kind === 'string')).toBe(true);
    expect(r.stdout).toBe(readFileSync(join(repo, 'test/expected/kustomize.yaml'), 'utf8'));
    expect(r.stderr).toMatch(/^inject-sidecar: injection "waf": sidecar in 2 workloads, 2 Services rewired/m);
  });
});

describe('docs/presets.md, the Wallarm preset', () => {
  const page = read('docs/presets.md');
  it.each([
    ['the token Secret field', 'spec.wallarm.tokenSecretRef'],
    ['where the token comes from', 'Settings → API tokens'],
    ['its usage type', '*Node deployment*'],
    ['that the Secret must be in each namespace', "The Secret must exist in each injected workload's namespace"],
    ['the node group', 'spec.wallarm.group'],
  ])('says %s', (_, text) => expect(page).toContain(text));
});

describe('the README', () => {
  it('fits its job: at most 250 lines', () => expect(read('README.md').split('\n').length).toBeLessThanOrEqual(250));
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');

describe('links', () => {
  it.each(pages)('%s: every relative link reaches a file, and its #anchor a heading there', (page) => {
    const broken: string[] = [];
    for (const [, target] of read(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^https?:/.test(target!)) continue;
      const [file, anchor] = target!.split('#');
      const path = file ? join(repo, dirname(page), file) : join(repo, page);
      if (!existsSync(path)) {
        broken.push(target!);
        continue;
      }
      if (!anchor || !path.endsWith('.md')) continue;
      const headings = [...readFileSync(path, 'utf8').matchAll(/^#+ (.*)$/gm)].map((m) => slug(m[1]!));
      const ids = [...readFileSync(path, 'utf8').matchAll(/<a id="([^"]+)">/g)].map((m) => m[1]);
      if (!headings.includes(anchor) && !ids.includes(anchor)) broken.push(target!);
    }
    expect(broken).toEqual([]);
  });
});

describe('docs/config.md, against the schema', () => {
  const schema = JSON.parse(readFileSync(join(repo, 'schema/sidecarinjection.schema.json'), 'utf8'));
  const spec = schema.properties.spec;
  const reference = read('docs/config.md');
  /** The meaning column of the table row for a field. */
  const row = (field: string) =>
    new RegExp(`^\\| \`${field.replace(/[[\]]/g, '\\$&')}\` \\| (.*) \\|$`, 'm').exec(reference)?.[1];
  const fields = [
    ...Object.keys(spec.properties).map((k) => `spec.${k}`),
    ...Object.keys(spec.properties.ports.items.properties).map((k) => `spec.ports[].${k}`),
  ];
  it.each(fields)('%s has a row, and says Required exactly when the schema requires it', (field) => {
    const meaning = row(field);
    expect(meaning, `no row for ${field}`).toBeDefined();
    const [parent, key] = field.startsWith('spec.ports[].')
      ? [spec.properties.ports.items, field.slice('spec.ports[].'.length)]
      : [spec, field.slice('spec.'.length)];
    expect(meaning!.startsWith('Required.'), field).toBe((parent.required ?? []).includes(key));
  });
  it.each(['wallarm', 'modsecurity'])('spec.%s: its row names each of its fields', (name) => {
    const meaning = row(`spec.${name}`)!;
    for (const key of Object.keys(spec.properties[name].properties)) expect(meaning).toContain(`\`${key}\``);
  });
  it('the ConfigMap table names every key the function takes', () => {
    const list = stringify({
      apiVersion: 'config.kubernetes.io/v1',
      kind: 'ResourceList',
      items: [],
      functionConfig: { apiVersion: 'v1', kind: 'ConfigMap', data: { nosuchkey: 'x' } },
    });
    const message = runResourceList(list).results.find((r) => r.message.startsWith('unknown ConfigMap key'))!.message;
    const keys = /[Kk]nown keys are (.*)$/.exec(message)![1]!.split(', ');
    const table = reference.slice(reference.indexOf('**ConfigMap form**'));
    for (const key of keys) expect(table, key).toMatch(new RegExp(`^\\|[^|]*\`${key}\``, 'm'));
  });
});
