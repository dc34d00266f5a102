// The report as Markdown, with a Mermaid flowchart per namespace: what GitHub, GitLab and Gitea
// render in a pull-request comment or a README. Every label is escaped for the place it goes.
import type { MapEdge, MapNode, Report, TrafficMap } from './report.js';

/** A table cell: a pipe or a line break would end it. */
const cell = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
/** Code in a cell or a heading, in backticks that cannot close early. */
const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;
const table = (head: string[], rows: string[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');

/** A Mermaid label in double quotes: quotes and angle brackets as Mermaid's entity codes. */
const label = (text: string) =>
  `"${text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;').replace(/\|/g, '#124;')}"`;

const SHAPES: Record<MapNode['shape'], [string, string]> = {
  entry: ['{{', '}}'],
  service: ['([', '])'],
  sidecar: ['[/', '\\]'],
  app: ['[', ']'],
  source: ['((', '))'],
};

const node = (n: MapNode) => `${n.id}${SHAPES[n.shape][0]}${label(n.label)}${SHAPES[n.shape][1]}`;
const arrow = (e: MapEdge) => `${e.from} ${e.bypass ? '-.->' : '-->'}|${label(e.label)}| ${e.to}`;

/** One namespace's flowchart, in Mermaid's syntax. */
export function mermaidOf(map: TrafficMap): string {
  const lines = ['flowchart LR'];
  for (const pod of map.pods) {
    lines.push(`  subgraph ${pod.id}[${label(pod.title)}]`);
    for (const n of map.nodes.filter((x) => x.pod === pod.id)) lines.push(`    ${node(n)}`);
    lines.push('  end');
  }
  for (const n of map.nodes.filter((x) => x.pod === undefined)) lines.push(`  ${node(n)}`);
  for (const e of map.edges) lines.push(`  ${arrow(e)}`);
  const bypasses = map.edges.flatMap((e, i) => (e.bypass ? [i] : []));
  if (bypasses.length) lines.push(`  linkStyle ${bypasses.join(',')} stroke:#d33,stroke-width:2px,color:#d33`);
  const sidecars = map.nodes.filter((n) => n.shape === 'sidecar').map((n) => n.id);
  if (sidecars.length)
    lines.push('  classDef sidecar fill:#e8f4ea,stroke:#2a7a3b', `  class ${sidecars.join(',')} sidecar`);
  return lines.join('\n');
}

export function markdownOf(report: Report): string {
  const out: string[] = [];
  const { workloads, services, policies, paths, severities } = report;
  const n = (rows: readonly unknown[]) => String(rows.length);
  out.push(`### inject-sidecar report: injection ${code(report.injection)}`, '');
  const capture =
    report.capture === 'redirect'
      ? 'Capture: redirect (an init container sends each pod IP’s app ports to the sidecar; Services and policies stay as written)'
      : 'Capture: service (Services move to the sidecar’s listen port)';
  out.push(
    `${capture}. In the traffic maps, solid arrows carry traffic through the sidecar or to ports it does not front; dashed red arrows are paths past it, labelled with the reason.`,
    '',
  );
  out.push(
    table(
      ['', 'count'],
      [
        ['workloads with the sidecar', n(workloads.filter((w) => w.state === 'injected'))],
        ['workloads selected but left alone', n(workloads.filter((w) => w.state === 'left alone'))],
        ['workloads not selected', n(workloads.filter((w) => w.state === 'not selected'))],
        ['Services rewired', n(services.filter((s) => s.rewired))],
        ['Services left as written', n(services.filter((s) => !s.rewired))],
        ['NetworkPolicies changed', n(policies.filter((p) => p.change === 'changed'))],
        ['NetworkPolicies generated', n(policies.filter((p) => p.change === 'generated'))],
        ['paths past the sidecar (what `--audit` counts)', n(paths)],
        ['errors, warnings, infos of the render', `${severities.error}, ${severities.warning}, ${severities.info}`],
      ],
    ),
    '',
  );
  if (workloads.length)
    out.push(
      '#### Workloads',
      '',
      table(
        ['namespace', 'workload', 'sidecar', 'reason'],
        workloads.map((w) => [
          w.namespace,
          w.name,
          w.sidecar ?? (w.state === 'not selected' ? '' : 'none'),
          w.reason ?? '',
        ]),
      ),
      '',
    );
  if (services.length)
    out.push(
      '#### Services',
      '',
      table(
        ['namespace', 'Service', 'ports', 'rewired', 'reason'],
        services.map((s) => [s.namespace, s.name, s.ports, s.rewired ? 'yes' : 'no', s.reason ?? '']),
      ),
      '',
    );
  if (policies.length)
    out.push(
      '#### NetworkPolicies',
      '',
      table(
        ['namespace', 'NetworkPolicy', 'change'],
        policies.map((p) => [p.namespace, p.name, p.change]),
      ),
      '',
    );
  out.push('#### Paths past the sidecar', '');
  if (paths.length)
    out.push(
      table(
        ['object', 'path'],
        paths.map((p) => [p.object, p.path]),
      ),
      '',
    );
  else out.push('None: every path to a fronted app port passes the sidecar.', '');
  for (const map of report.maps) {
    out.push(`#### Traffic map: namespace ${code(map.namespace)}`, '');
    if (map.tooLarge) {
      out.push(
        `This namespace has ${map.tooLarge.why}, so its traffic is a table instead of a diagram.`,
        '',
        table(
          ['workload', 'what reaches it'],
          map.tooLarge.rows.map((r) => [r.workload, r.traffic]),
        ),
        '',
      );
      continue;
    }
    out.push('```mermaid', mermaidOf(map), '```', '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
