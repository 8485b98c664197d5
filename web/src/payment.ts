// Amounts typed at the desk (the currency's minor digits, either decimal separator), and what a
// cancellation would do to a deposit paid online. Pure.
import type { CancellationTerms } from './types';

/** How many minor digits a currency has (EUR 2, JPY 0, KWD 3), from Intl. */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * "129", "129.5", "129,50" (with at most `digits` decimals) in minor units; undefined for
 * anything else, zero or less, or thousands separators (ambiguous between the locales).
 */
export function parseAmount(text: string, digits: number): number | undefined {
  const trimmed = text.trim();
  const match = /^(\d{1,9})(?:[.,](\d*))?$/.exec(trimmed);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return undefined;
  const minor = Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  return minor > 0 ? minor : undefined;
}

/** Minor units as the text an amount field starts with, in the locale's decimal separator. */
export function amountText(minor: number, digits: number, separator: string): string {
  if (digits === 0) return String(minor);
  const whole = Math.floor(minor / 10 ** digits);
  const fraction = String(minor % 10 ** digits).padStart(digits, '0');
  return `${whole}${separator}${fraction}`;
}

/** What is still open: the price less what the desk has taken (never below zero). */
export function outstanding(total: number, paid: number[]): number {
  return Math.max(0, total - paid.reduce((a, b) => a + b, 0));
}

/** What a cancellation would do to a deposit paid online (README, Money rules); the server decides. */
export interface CancelSplit {
  rule: 'VENDOR_CANCELLATION' | 'FREE_CANCELLATION' | 'LATE_CANCELLATION' | 'CANCELLED_AFTER_ARRIVAL';
  kept: number;
  refund: number;
}

/**
 * The split of a paid deposit if the booking is cancelled now: staff cancelling for the vendor
 * give all of it back; a cancellation the guest asked for is settled by the guest's terms (free
 * window, then the late fee on the quoted total, then as a no-show: the deposit the terms ask).
 * Undefined when nothing was paid online or the terms are unknown.
 */
export function cancelSplit(
  booking: {
    quote?: { total: { amount_minor: number } };
    payment?: { deposit: { amount_minor: number } | null; cancellation?: CancellationTerms };
    deposit_payment?: { status: string; paid?: { amount_minor: number } };
    arrival_at?: string;
  },
  requestedBy: 'vendor' | 'guest',
  now: Date,
  defaultGraceMinutes = 12 * 60,
): CancelSplit | undefined {
  const paid = booking.deposit_payment?.status === 'PAID' ? booking.deposit_payment.paid?.amount_minor : undefined;
  if (paid === undefined) return undefined;
  if (requestedBy === 'vendor') return { rule: 'VENDOR_CANCELLATION', kept: 0, refund: paid };
  const terms = booking.payment?.cancellation;
  const arrival = booking.arrival_at ? Date.parse(booking.arrival_at) : NaN;
  if (!terms || Number.isNaN(arrival)) return undefined;
  const hour = 3_600_000;
  const keep = (rule: CancelSplit['rule'], fee: number): CancelSplit => {
    const kept = Math.min(paid, Math.max(0, fee));
    return { rule, kept, refund: paid - kept };
  };
  if (now.getTime() < arrival - terms.free_until_hours * hour) return keep('FREE_CANCELLATION', 0);
  const grace = (terms.no_show_grace_minutes ?? defaultGraceMinutes) * 60_000;
  if (now.getTime() >= arrival + grace) return keep('CANCELLED_AFTER_ARRIVAL', booking.payment?.deposit?.amount_minor ?? 0);
  const fee = terms.late_fee;
  if (!fee) return keep('LATE_CANCELLATION', 0);
  const total = booking.quote?.total.amount_minor ?? 0;
  // A percentage of the quoted price, rounded half up to a minor unit.
  return keep('LATE_CANCELLATION', fee.kind === 'fixed' ? fee.amount.amount_minor : Math.floor((total * fee.percent + 50) / 100));
}
