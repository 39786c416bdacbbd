import { describe, expect, it } from 'vitest';
import { findUnsafeText, MAX_DEPTH } from '../../../src/server/documents/find-unsafe-text.ts';
import { sameContent } from '../../../src/server/documents/same-content.ts';

describe('sameContent', () => {
  it('ignores key order, not array order', () => {
    expect(sameContent({ a: 1, b: { c: [1, 2], d: null } }, { b: { d: null, c: [1, 2] }, a: 1 })).toBe(true);
    expect(sameContent({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });
  it('tells missing keys, extra keys, types and nulls apart', () => {
    expect(sameContent({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameContent({ a: 1 }, { b: 1 })).toBe(false);
    expect(sameContent({ a: '1' }, { a: 1 })).toBe(false);
    expect(sameContent({ a: null }, { a: {} })).toBe(false);
    expect(sameContent([], {})).toBe(false);
  });
  it('compares a __proto__ key like any other', () => {
    const a = JSON.parse('{"__proto__":{"x":1}}') as unknown;
    expect(sameContent(a, JSON.parse('{"__proto__":{"x":1}}'))).toBe(true);
    expect(sameContent(a, JSON.parse('{"__proto__":{"x":2}}'))).toBe(false);
    expect(sameContent(a, {})).toBe(false);
  });
});

describe('findUnsafeText', () => {
  it('finds NUL and lone surrogates in values and keys, with their path', () => {
    expect(findUnsafeText({ a: ['ok', 'b\u0000'] })?.path).toEqual(['a', 1]);
    expect(findUnsafeText({ a: '\uD800' })?.path).toEqual(['a']);
    expect(findUnsafeText({ a: 'x\uDC00' })?.path).toEqual(['a']);
    expect(findUnsafeText({ ['k\u0000']: 1 })?.path).toEqual(['k\u0000']);
    expect(findUnsafeText({ a: 'emoji 😀 fine', b: 1, c: null })).toBeNull();
  });
  it('refuses hostile nesting without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(10_000) + ']'.repeat(10_000)) as unknown;
    expect(findUnsafeText(deep)?.message).toContain(String(MAX_DEPTH));
  });
});
