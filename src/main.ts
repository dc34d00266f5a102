// The command line: the only place that reads stdin, writes stdout and picks an exit code.
import { appendFileSync, closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
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
  inject-sidecar --report CONFIG.yaml < manifests.yaml
                                               Markdown for a pull request: what the render gives
                                               (workloads, Services, policies, paths past the
                                               sidecar) and a Mermaid traffic map per namespace
  inject-sidecar --help | --version

Flags, before the config file:
  --strict            every warning is an error: the render fails with the reasons (for Helm and
                      Argo CD, which show no warning on success); spec.strict: true does the same
  --messages-to-tty   also write the messages to the terminal (/dev/tty), when there is one: Helm 4
                      discards a post-renderer plugin's stderr (its plugin.yaml passes this flag)

Exit code 1 on any error, with the reason on stderr and nothing half-done on stdout. On success one
line on stderr says what the run did. INJECT_SIDECAR_LOG=FILE appends every stderr line to FILE too.
Documentation: README.md and docs/ in the package.
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
  if (values.version) return say(`inject-sidecar ${version} (node ${process.version})\n`);
  if (positionals.length > 1) return fail('expected at most one argument (the config file); see --help');
  // Loaded only for a run: --help, --version and a wrong flag never initialise yaml or the schemas.
  const { runReport, runResourceList, runStream } = await import('./run.js');
  const configFile = positionals[0];
  if (values.report && (values.audit || values.strict)) return fail('--report takes neither --audit nor --strict');
  if (configFile === undefined) {
    if (values.audit)
      return fail('--audit takes the config file as its argument; in a ResourceList, set spec.mode: audit');
    if (values.report) return fail('--report takes the config file as its argument');
    return runResourceList(readStdin(), { strict: values.strict });
  }
  let configText: Uint8Array;
  try {
    configText = readFileSync(configFile);
  } catch (e) {
    return fail(`cannot read config file ${configFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (values.report) return runReport(configText, `config file ${configFile}`, readStdin());
  return runStream(configText, `config file ${configFile}`, readStdin(), {
    audit: values.audit,
    strict: values.strict,
  });
}

const FLAGS = {
  '--help': 'help',
  '-h': 'help',
  '--version': 'version',
  '--audit': 'audit',
  '--report': 'report',
  '--strict': 'strict',
  '--messages-to-tty': 'messagesToTty',
} as const;
const isFlag = (arg: string): arg is keyof typeof FLAGS => Object.hasOwn(FLAGS, arg);

/** A few flags and the arguments; `--` ends the flags. (node:util's parseArgs costs more to load than this.) */
function parse(args: readonly string[]) {
  const values = { help: false, version: false, audit: false, report: false, strict: false, messagesToTty: false };
  const positionals: string[] = [];
  for (const [i, arg] of args.entries()) {
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.length < 2 || !arg.startsWith('-')) positionals.push(arg);
    else if (isFlag(arg)) values[FLAGS[arg]] = true;
    else if (isFlag(arg.replace(/=.*/s, ''))) throw new Error(`flag ${arg.replace(/=.*/s, '')} takes no value`);
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

/**
 * The messages, where a person will see them when stderr does not reach one: the terminal (Helm 4
 * reads a post-renderer plugin's stderr and drops it, even on failure), and INJECT_SIDECAR_LOG, a
 * file CI can print. Neither may fail the render; a log that cannot be written says so on stderr.
 */
function copyMessages(messages: string, toTty: boolean): string {
  if (!messages) return '';
  if (toTty && !isatty(2)) {
    try {
      const tty = openSync('/dev/tty', 'w');
      writeSync(tty, messages);
      closeSync(tty);
    } catch {
      // No controlling terminal (CI, Argo CD): INJECT_SIDECAR_LOG is the way there.
    }
  }
  const log = process.env.INJECT_SIDECAR_LOG;
  if (!log) return '';
  try {
    appendFileSync(log, messages);
    return '';
  } catch (e) {
    return `inject-sidecar: warning: cannot append to INJECT_SIDECAR_LOG ${log}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`;
  }
}

const argv = process.argv.slice(2);
/** The flag as the parser reads it (after `--` it is an argument); a wrong flag is main's to report. */
const messagesToTty = (() => {
  try {
    return parse(argv).values.messagesToTty;
  } catch {
    return false;
  }
})();
main(argv).then((out) => {
  const stderr = out.stderr + copyMessages(out.stderr, messagesToTty);
  writeAll(2, stderr, () => writeAll(1, out.stdout, () => process.exit(out.exitCode)));
});
