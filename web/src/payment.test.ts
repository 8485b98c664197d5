import { describe, expect, it } from 'vitest';
import { amountText, cancelSplit, currencyDigits, outstanding, parseAmount } from './payment';

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

describe('what cancelling does to a deposit paid online', () => {
  const arrival = '2026-03-20T14:00:00Z';
  const booking = (late_fee: import('./types').CancellationTerms['late_fee'], extra = {}) => ({
    quote: { total: { amount_minor: 25800 } },
    payment: { deposit: { amount_minor: 5160 }, cancellation: { free_until_hours: 48, late_fee } },
    deposit_payment: { status: 'PAID', paid: { amount_minor: 5160 } },
    arrival_at: arrival,
    ...extra,
  });
  const at = (iso: string) => new Date(iso);

  it('gives all of it back when staff cancel for the hotel, whatever the time', () => {
    expect(cancelSplit(booking({ kind: 'percent', percent: 10 }), 'vendor', at('2026-03-20T13:00:00Z'))).toEqual({
      rule: 'VENDOR_CANCELLATION', kept: 0, refund: 5160,
    });
  });

  it('settles a cancellation the guest asked for by their terms: free, late fee, after arrival', () => {
    const percent = booking({ kind: 'percent', percent: 15 });
    expect(cancelSplit(percent, 'guest', at('2026-03-18T13:59:59Z'))?.kept).toBe(0);
    // 15% of 258.00 = 38.70, at the edge of the free window.
    expect(cancelSplit(percent, 'guest', at('2026-03-18T14:00:00Z'))).toEqual({ rule: 'LATE_CANCELLATION', kept: 3870, refund: 1290 });
    // A fixed fee above what was paid keeps only what was paid.
    expect(cancelSplit(booking({ kind: 'fixed', amount: { amount_minor: 9000, currency: 'EUR' } }), 'guest', at('2026-03-19T00:00:00Z'))?.kept).toBe(5160);
    expect(cancelSplit(booking(null), 'guest', at('2026-03-19T00:00:00Z'))?.kept).toBe(0);
    // After arrival plus the 12-hour default grace: the deposit the terms ask for.
    expect(cancelSplit(percent, 'guest', at('2026-03-21T02:00:00Z'))).toEqual({ rule: 'CANCELLED_AFTER_ARRIVAL', kept: 5160, refund: 0 });
  });

  it('rounds a percentage half up to a minor unit', () => {
    const odd = booking({ kind: 'percent', percent: 15 }, { quote: { total: { amount_minor: 12330 } } });
    // 15% of 123.30 = 18.495 -> 18.50
    expect(cancelSplit(odd, 'guest', at('2026-03-19T00:00:00Z'))?.kept).toBe(1850);
  });

  it('says nothing when no deposit was paid online (a desk booking, or not paid yet)', () => {
    expect(cancelSplit(booking(null, { deposit_payment: undefined }), 'guest', at('2026-03-19T00:00:00Z'))).toBeUndefined();
    expect(cancelSplit(booking(null, { deposit_payment: { status: 'AWAITING_PAYMENT' } }), 'vendor', at('2026-03-19T00:00:00Z'))).toBeUndefined();
  });
});
