// Amounts typed at the desk: the currency's minor digits, either decimal separator. Pure.

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
