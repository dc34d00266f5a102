// The throughput baseline: read stdin, parse and print it with the `yaml` library alone.

import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

process.stdout.write(parseDocument(readFileSync(0, 'utf8')).toString());
