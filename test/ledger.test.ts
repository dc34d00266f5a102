// The ledger's round trip: an annotation read, split for one injection, and written back with that
// injection's record unchanged is the annotation as this function writes it.
import { describe, expect, it } from 'vitest';
import { LEGACY, ownRecord, readRecords, recordsAnnotation } from '../src/objects/ledger.js';
import { ResultsError } from '../src/results.js';

type Rec = { n: number };
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && typeof (v as Rec).n === 'number';
const about = { ref: { apiVersion: 'v1', kind: 'Service', name: 'web' } };
const KEY = 'example.dev/records';
const read = (value: string | undefined) =>
  readRecords(value === undefined ? {} : { [KEY]: value }, KEY, isRec, about, 'metadata.annotations', 'remove it');
/** Read, split for `name`, write back with the own record as it was. */
const roundTrip = (value: string | undefined, name: string) => {
  const { own, others } = ownRecord(name, read(value));
  return recordsAnnotation(name, others, own);
};

describe('ledger', () => {
  it.each<[string, string | undefined, string, string | undefined]>([
    ['no annotation', undefined, 'waf', undefined],
    ['only this injection', '{"waf":{"n":1}}', 'waf', '{"waf":{"n":1}}'],
    ['only another injection', '{"bot":{"n":2}}', 'waf', '{"bot":{"n":2}}'],
    ['both, in name order', '{"bot":{"n":2},"waf":{"n":1}}', 'waf', '{"bot":{"n":2},"waf":{"n":1}}'],
    [
      'both, written out of order, come back in name order',
      '{"waf":{"n":1},"bot":{"n":2}}',
      'bot',
      '{"bot":{"n":2},"waf":{"n":1}}',
    ],
    ['a record from before names is the next injection own', '{"n":3}', 'waf', '{"waf":{"n":3}}'],
  ])('%s', (_name, value, injection, written) => expect(roundTrip(value, injection)).toBe(written));

  it('splits this injection record from the others', () => {
    expect(ownRecord('waf', read('{"bot":{"n":2},"waf":{"n":1}}'))).toEqual({
      own: { n: 1 },
      others: { bot: { n: 2 } },
    });
    expect(ownRecord('waf', read('{"n":3}'))).toEqual({ own: { n: 3 }, others: {} });
    expect(read('{"n":3}')).toEqual({ [LEGACY]: { n: 3 } });
  });

  it('writes nothing when no record is left', () => expect(recordsAnnotation('waf', {}, undefined)).toBeUndefined());

  it.each(['{oops', '{"waf":{"n":"one"}}', '[1]'])(
    'a hand-edited value %s is an error naming the annotation',
    (value) => {
      let thrown: unknown;
      try {
        read(value);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ResultsError);
      expect((thrown as ResultsError).results).toEqual([
        {
          severity: 'error',
          message: `annotation ${KEY} is not what this function writes; remove it`,
          resourceRef: about.ref,
          field: { path: `metadata.annotations[${KEY}]` },
        },
      ]);
    },
  );
});
