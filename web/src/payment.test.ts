import { describe, expect, it } from 'vitest';
import { amountText, currencyDigits, outstanding, parseAmount } from './payment';

describe('desk amounts', () => {
  it('knows the minor digits of a currency', () => {
    expect(currencyDigits('EUR')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('KWD')).toBe(3);
  });

  it('reads an amount with either decimal separator, in minor units', () => {
    expect(parseAmount('129', 2)).toBe(12900);
    expect(parseAmount(' 129,5 ', 2)).toBe(12950);
    expect(parseAmount('129.05', 2)).toBe(12905);
    expect(parseAmount('129.', 2)).toBe(12900);
    expect(parseAmount('1500', 0)).toBe(1500);
    expect(parseAmount('1.234', 3)).toBe(1234);
  });

  it('refuses nothing, zero, too many decimals, negatives, thousands separators and words', () => {
    for (const bad of ['', '0', '0,00', '1.005', '-5', '1.234,50', '1 234', 'abc', '12e3']) {
      expect(parseAmount(bad, 2), bad).toBeUndefined();
    }
    expect(parseAmount('5.5', 0)).toBeUndefined();
  });

  it('writes an amount back with the locale separator, and what is still open', () => {
    expect(amountText(12905, 2, ',')).toBe('129,05');
    expect(amountText(1500, 0, ',')).toBe('1500');
    expect(outstanding(25800, [12900])).toBe(12900);
    expect(outstanding(25800, [20000, 9000])).toBe(0);
  });
});
