// The command line: the only place that reads stdin, writes stdout and picks an exit code.
import { readFileSync } from 'node:fs';
import { runResourceList, runStream, type RunOutput } from './run.js';

declare const VERSION: string;
const version = typeof VERSION === 'string' ? VERSION : 'dev';

const HELP = `inject-sidecar ${version}: put a filtering sidecar (a WAF, a proxy) in front of label-selected
workloads and move their Services' targetPort to it.

Usage:
  inject-sidecar < resource-list.yaml          KRM function: a ResourceList on stdin and stdout
                                               (kustomize exec transformer, kpt fn render/eval)
  inject-sidecar CONFIG.yaml < manifests.yaml  plain multi-document YAML in and out, with the
                                               SidecarInjection in CONFIG.yaml (kubectl kustomize
                                               legacy exec plugin, by hand)
  inject-sidecar --help | --version

Exit code 1 on any error, with the reason on stderr and nothing half-done on stdout.
Documentation: README.md in the package.
`;

function readStdin(): Uint8Array {
  try {
    return readFileSync(0);
  } catch (e) {
    // No stdin at all (a closed or absent descriptor) reads as empty input.
    if (['EAGAIN', 'EOF', 'EBADF', 'ENXIO'].includes((e as NodeJS.ErrnoException).code ?? '')) return new Uint8Array();
    throw e;
  }
}

function main(argv: string[]): RunOutput {
  const args = argv.filter((a) => a !== '--');
  const say = (stdout: string, stderr = '', exitCode: 0 | 1 = 0): RunOutput => ({ stdout, stderr, exitCode, results: [] });
  if (args.includes('--help') || args.includes('-h')) return say(HELP);
  if (args.includes('--version')) return say(`${version}\n`);
  const flags = args.filter((a) => a.startsWith('-'));
  if (flags.length) return say('', `inject-sidecar: error: unknown flag ${flags[0]}; see --help\n`, 1);
  if (args.length > 1) return say('', `inject-sidecar: error: expected at most one argument (the config file); see --help\n`, 1);
  if (args.length === 1) {
    let configText: Uint8Array;
    try {
      configText = readFileSync(args[0]!);
    } catch (e) {
      return say('', `inject-sidecar: error: cannot read config file ${args[0]}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`, 1);
    }
    return runStream(configText, `config file ${args[0]}`, readStdin());
  }
  return runResourceList(readStdin());
}

const out = main(process.argv.slice(2));
process.stderr.write(out.stderr);
process.stdout.write(out.stdout, () => process.exit(out.exitCode));
