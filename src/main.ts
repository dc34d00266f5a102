// The command line: the only place that reads stdin, writes stdout and picks an exit code.
import { readFileSync, writeSync } from 'node:fs';
import type { RunOutput } from './run.js';

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

async function main(argv: string[]): Promise<RunOutput> {
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
    return fail(`${(e as Error).message}; see --help`);
  }
  const { values, positionals } = parsed;
  if (values.help) return say(HELP);
  if (values.version) return say(`${version}\n`);
  if (positionals.length > 1) return fail('expected at most one argument (the config file); see --help');
  // Loaded only for a run: --help, --version and a wrong flag never initialise yaml or the schemas.
  const { runResourceList, runStream } = await import('./run.js');
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

const FLAGS: Record<string, 'help' | 'version' | 'audit'> = {
  '--help': 'help',
  '-h': 'help',
  '--version': 'version',
  '--audit': 'audit',
};

/** Three flags and the arguments; `--` ends the flags. (node:util's parseArgs costs more to load than this.) */
function parse(args: readonly string[]) {
  const values = { help: false, version: false, audit: false };
  const positionals: string[] = [];
  for (const [i, arg] of args.entries()) {
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.length < 2 || !arg.startsWith('-')) positionals.push(arg);
    else if (FLAGS[arg]) values[FLAGS[arg]] = true;
    else if (FLAGS[arg.replace(/=.*/s, '')]) throw new Error(`flag ${arg.replace(/=.*/s, '')} takes no value`);
    else throw new Error(`unknown flag ${arg}`);
  }
  return { values, positionals };
}

/**
 * Writes all of `text` to a descriptor synchronously: a stream would cost more to set up than a
 * small run takes. A non-blocking descriptor that is full (EAGAIN) hands the rest to the stream,
 * which waits for it; a reader that has gone away (EPIPE) ends the run with exit code 1.
 */
function writeAll(fd: 1 | 2, text: string, then: () => void): void {
  const data = Buffer.from(text);
  let written = 0;
  while (written < data.length) {
    try {
      written += writeSync(fd, data, written);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(1);
      if (code !== 'EAGAIN') throw e;
      (fd === 1 ? process.stdout : process.stderr).write(data.subarray(written), then);
      return;
    }
  }
  then();
}

main(process.argv.slice(2)).then((out) =>
  writeAll(2, out.stderr, () => writeAll(1, out.stdout, () => process.exit(out.exitCode))),
);
