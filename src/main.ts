// The command line: the only place that reads stdin, writes stdout and picks an exit code.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type RunOutput, runResourceList, runStream } from './run.js';

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
  inject-sidecar --audit CONFIG.yaml < manifests.yaml
                                               change nothing; list every path that reaches a
                                               fronted app port past the sidecar (exit 1 if any)
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
  const say = (stdout: string, stderr = '', exitCode: 0 | 1 = 0): RunOutput => ({
    stdout,
    stderr,
    exitCode,
    results: [],
  });
  const fail = (message: string) => say('', `inject-sidecar: error: ${message}\n`, 1);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    // parseArgs says "Unknown option '--x'"; keep to one vocabulary.
    const flag = /'([^']+)'/.exec((e as Error).message)?.[1];
    return fail(`${flag ? `unknown flag ${flag}` : (e as Error).message}; see --help`);
  }
  const { values, positionals } = parsed;
  if (values.help) return say(HELP);
  if (values.version) return say(`${version}\n`);
  if (positionals.length > 1) return fail('expected at most one argument (the config file); see --help');
  const configFile = positionals[0];
  if (configFile === undefined) {
    if (values.audit)
      return fail('--audit takes the config file as its argument; in a ResourceList, set spec.mode: audit');
    return runResourceList(readStdin());
  }
  let configText: Uint8Array;
  try {
    configText = readFileSync(configFile);
  } catch (e) {
    return fail(`cannot read config file ${configFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return runStream(configText, `config file ${configFile}`, readStdin(), { audit: values.audit === true });
}

const parse = (args: string[]) =>
  parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' }, audit: { type: 'boolean' } },
  });

const out = main(process.argv.slice(2));
process.stderr.write(out.stderr);
process.stdout.write(out.stdout, () => process.exit(out.exitCode));
