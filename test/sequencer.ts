// The order test files start in: the long ones first, so two workers end together instead of one
// long file starting last and running alone (about 20 s of a fresh clone's run). The rest keep
// vitest's own order. A name missing here only loses its head start.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The longest files on the 2-core machine, longest first (docs/design.md lists their times). */
const LONG = [
  'corpus-kustomize',
  'image',
  'corpus-kpt',
  'ship',
  'hostile',
  'docs',
  'properties',
  'e2e',
  'library',
  'report-render',
];

const rank = (file: TestSpecification) => {
  const at = LONG.findIndex((name) => file.moduleId.endsWith(`/test/${name}.test.ts`));
  return at < 0 ? LONG.length : at;
};

export default class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}
