import { describe, expect, it } from 'vitest';
import { formatGrossAmount, parseGrossAmount, parseIdrAmount, sumItems } from '../../src/domain';

const invalidAmount = expect.objectContaining({ name: 'DomainError', code: 'INVALID_AMOUNT' });

describe('parseIdrAmount', () => {
  it.each([
    [100000, 100000],
    [100000.0, 100000],
    [1, 1],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ['100000', 100000],
    ['100000.0', 100000],
    ['100000.00', 100000],
    [' 5000 ', 5000],
  ])('accepts %j', (input, expected) => {
    expect(parseIdrAmount(input)).toBe(expected);
  });

  it.each([
    100000.5,
    '100000.50',
    '100000.5',
    '100000.001',
    -1,
    '-1',
    0,
    '0',
    '0.00',
    NaN,
    Infinity,
    Number.MAX_SAFE_INTEGER + 1,
    '9007199254740992',
    '99999999999999999999',
    '1e5',
    '100,000',
    '0x10',
    '',
    '.00',
    '100.',
    null,
    undefined,
    {},
    [100],
  ])('rejects %j', (input) => {
    expect(() => parseIdrAmount(input)).toThrow(invalidAmount);
  });
});

describe('Midtrans gross_amount strings', () => {
  it('formats with two zero decimals', () => {
    expect(formatGrossAmount(100000)).toBe('100000.00');
    expect(formatGrossAmount(0)).toBe('0.00');
  });

  it.each([1.5, -1, NaN, Number.MAX_SAFE_INTEGER + 1])('refuses to format %j', (input) => {
    expect(() => formatGrossAmount(input)).toThrow(invalidAmount);
  });

  it('parses what it formats', () => {
    for (const idr of [1, 44000, 145000, 123456789]) expect(parseGrossAmount(formatGrossAmount(idr))).toBe(idr);
  });

  it.each([
    ['100000.00', 100000],
    ['44000.00', 44000],
    ['100000', 100000],
    ['0.00', 0],
  ])('parses %s', (input, expected) => expect(parseGrossAmount(input)).toBe(expected));

  it.each(['100000.50', '100000.01', '-100.00', 'abc', '', '1e5', '100000.000'])('rejects %s', (input) => {
    expect(() => parseGrossAmount(input)).toThrow(invalidAmount);
  });
});

describe('sumItems', () => {
  it('adds price × quantity, discounts included', () => {
    expect(sumItems([])).toBe(0);
    expect(
      sumItems([
        { price: 50000, quantity: 2 },
        { price: 25000, quantity: 1 },
        { price: -5000, quantity: 1 },
      ]),
    ).toBe(120000);
  });

  it.each([
    [[{ price: 1000.5, quantity: 1 }]],
    [[{ price: 1000, quantity: 0 }]],
    [[{ price: 1000, quantity: 1.5 }]],
    [[{ price: Number.MAX_SAFE_INTEGER, quantity: 2 }]],
    [[{ price: Number.MAX_SAFE_INTEGER, quantity: 1 }, { price: 1, quantity: 1 }]],
  ])('rejects %j', (items) => {
    expect(() => sumItems(items)).toThrow(invalidAmount);
  });
});
