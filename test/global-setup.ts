// One folder holds every temporary file of a test run, and goes when the run ends. The tests make
// hundreds (package copies, clones, image roots, single executables of 120 MB), each in a fresh
// mkdtemp under os.tmpdir(); a machine that runs the suite every day must not fill up with them.
// Test files and the tools they start (kustomize, kpt, podman) read TMPDIR, set here before any of
// them starts.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'inject-sidecar-test-run-'));
  // Searchable by all, as /tmp is: tests run the executable as nobody from folders they open to it.
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
