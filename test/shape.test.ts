import { describe, expect, it } from 'vitest';
import { sameData } from '../src/objects/shape.js';

describe('sameData: deep equality of plain data', () => {
  it.each([
    ['equal scalars', 1, 1, true],
    ['different scalars', 'a', 'b', false],
    ['a number and its string', 1, '1', false],
    ['null and an object', null, {}, false],
    ['key order does not matter', { a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true],
    ['a nested difference', { a: { b: [1, 2] } }, { a: { b: [1, 3] } }, false],
    ['an extra key', { a: 1 }, { a: 1, b: 2 }, false],
    ['an undefined value is not a missing key', { a: undefined }, { b: undefined }, false],
    ['an array and an object with index keys', [1], { 0: 1 }, false],
    ['arrays of different length', [1, 2], [1, 2, 3], false],
    ['empty containers', [{}], [{}], true],
  ])('%s', (_name, a, b, same) => {
    expect(sameData(a, b)).toBe(same);
    expect(sameData(b, a)).toBe(same);
  });
});
