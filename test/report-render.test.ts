// Every golden report's diagrams drawn by the real mermaid library in headless Chromium (Debian's
// chromium, driven by playwright-core with its executablePath; nothing downloads a browser; both
// packed from npm by test/fetched.ts): no
// syntax error, every workload and Service of the report's tables present in a diagram (or in the
// table that stands for a namespace too large to draw), and a screenshot written and not empty.
// .ci/run installs chromium; under CI=true a missing browser fails, elsewhere this skips.
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mermaidBundle, playwrightCore } from './fetched.js';
import { reportCases } from './report-cases.js';
import { inCI, repo } from './tools.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
if (!CHROMIUM && inCI) throw new Error('the report rendering test needs Debian chromium under CI=true');
if (!CHROMIUM) console.warn('skipping the report rendering test: chromium is missing');
// Fetched only where the browser is (fetched.ts fails under CI=true when it cannot).
const MERMAID = CHROMIUM ? mermaidBundle() : undefined;
const PLAYWRIGHT = CHROMIUM ? playwrightCore() : undefined;
const ready = CHROMIUM !== undefined && MERMAID !== undefined && PLAYWRIGHT !== undefined;

/** What this test uses of playwright-core, which is packed rather than installed (no types here). */
interface Page {
  setContent(html: string): Promise<void>;
  addScriptTag(options: { path: string }): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  locator(selector: string): { screenshot(options: { path: string }): Promise<unknown> };
}
interface Browser {
  newPage(options: { viewport: { width: number; height: number } }): Promise<Page>;
  close(): Promise<void>;
}

/** The Mermaid blocks of a report, and the names its tables list (workloads as `Kind name`, Services as `Service name`). */
function readReport(md: string) {
  const diagrams = [...md.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
  const section = (title: string) => md.split(`#### ${title}\n`)[1]?.split('\n#### ')[0] ?? '';
  const rows = (text: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !l.startsWith('| namespace'))
      .map((l) => l.split(' | ').map((c) => c.replace(/^\| |\|$/g, '').trim()));
  const workloads = rows(section('Workloads')).map((r) => ({ namespace: r[0]!, name: r[1]! }));
  const services = rows(section('Services')).map((r) => ({ namespace: r[0]!, name: `Service ${r[1]}` }));
  const tables = md.includes('so its traffic is a table instead of a diagram');
  return { diagrams, names: [...workloads, ...services], tables };
}

/** The names a report's tables list that no drawn node or pod title (or too-large namespace's table) shows. */
function missing(md: string, names: { name: string }[], tables: boolean, drawn: readonly string[]): string[] {
  return names.map((n) => n.name).filter((name) => !drawn.includes(name) && !(tables && md.includes(`| ${name} |`)));
}

describe.skipIf(!ready)('the report’s diagrams, drawn by mermaid in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  const shots = mkdtempSync(join(tmpdir(), 'inject-sidecar-report-'));
  beforeAll(async () => {
    const { chromium } = await import(PLAYWRIGHT!.path);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.setContent('<!doctype html><html><body style="background:#fff"><div id="out"></div></body></html>');
    await page.addScriptTag({ path: MERMAID!.path });
    await page.evaluate(() => (globalThis as any).mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' }));
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Draws one diagram into the page: the error if mermaid refuses it, else every label in it. */
  const draw = (text: string, id: string) =>
    page.evaluate(
      async ([text, id]) => {
        const mermaid = (globalThis as any).mermaid;
        try {
          await mermaid.parse(text);
          const { svg } = await mermaid.render(id, text);
          const out = document.getElementById('out')!;
          out.innerHTML = svg;
          // Nodes and the pods' subgraphs, by their drawn labels.
          const labels = [...out.querySelectorAll('g.node, g.cluster')].map((g) => g.textContent?.trim() ?? '');
          return { labels };
        } catch (e) {
          return { error: String((e as Error).message ?? e) };
        }
      },
      [text, id] as const,
    );

  for (const c of reportCases)
    it(`${c.name}: every diagram draws, with every workload and Service`, async () => {
      const md = readFileSync(join(repo, c.golden), 'utf8');
      const { diagrams, names, tables } = readReport(md);
      expect(diagrams.length).toBeGreaterThan(0);
      const drawn: string[] = [];
      for (const [i, text] of diagrams.entries()) {
        const out = await draw(text, `d${i}`);
        expect(out.error, `${c.name}, diagram ${i + 1}`).toBeUndefined();
        drawn.push(...out.labels!);
        const shot = join(shots, `${c.name.replace(/\W+/g, '-')}-${i + 1}.png`);
        await page.locator('#out svg').screenshot({ path: shot });
        expect(statSync(shot).size).toBeGreaterThan(2000);
      }
      expect(missing(md, names, tables, drawn), c.name).toEqual([]);
    });

  it('finds a workload missing from the diagrams: the check can fail', async () => {
    const md = readFileSync(join(repo, 'fixtures/report/bypasses/report.md'), 'utf8');
    const { diagrams, names, tables } = readReport(md);
    const drawn: string[] = [];
    for (const [i, text] of diagrams.entries()) {
      // The hostNetwork pod's subgraph and the edge to it taken out.
      const without = text
        .replace(/ {2}subgraph w3\[[^\n]*\n[^\n]*\n {2}end\n/, '')
        .replace(/.*(w3a|linkStyle).*\n/g, '');
      drawn.push(...(await draw(without, `m${i}`)).labels!);
    }
    expect(missing(md, names, tables, drawn)).toEqual(['Deployment node-agent']);
  });

  it('refuses what mermaid cannot parse: the check can fail', async () => {
    const out = await draw('flowchart LR\n  a["x"] -->|"y| b', 'broken');
    expect(out.error).toMatch(/Parse error|Expecting/);
  });
});
