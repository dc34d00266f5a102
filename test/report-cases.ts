// The report goldens: a case folder of fixtures/report (config, input), or an example's config and
// manifests. Shared by test/report.test.ts (the Markdown) and test/report-render.test.ts (the diagrams).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from './tools.js';

/** Every report golden: a case folder's config and input, or an example's config and manifests. */
export const reportCases: { name: string; config: string; input: string; golden: string }[] = [
  ...readdirSync(join(repo, 'fixtures/report'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({
      name: d.name,
      config: `fixtures/report/${d.name}/config.yaml`,
      input: `fixtures/report/${d.name}/input.yaml`,
      golden: `fixtures/report/${d.name}/report.md`,
    })),
  ...[
    ['kustomize', 'waf.yaml'],
    ['kpt', 'waf.yaml'],
    ['every-kind', 'waf.yaml'],
    ['log-shipper', 'logs.yaml'],
  ].map(([example, config]) => ({
    name: `example ${example}`,
    config: `examples/${example}/${config}`,
    input: `examples/${example}/manifests.yaml`,
    golden: `test/expected/report-${example}.md`,
  })),
];
