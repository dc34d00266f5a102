// The throughput baseline: read stdin, parse and print it with the `yaml` library alone.
import { parseDocument } from 'yaml';
import { readFileSync } from 'node:fs';
process.stdout.write(parseDocument(readFileSync(0, 'utf8')).toString());
