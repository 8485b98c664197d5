import type { LocalDate } from './types';

/** Today's date in an IANA time zone, as YYYY-MM-DD. */
export function todayIn(zone: string, now: Date = new Date()): LocalDate {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

/** The date `days` after `date` (calendar arithmetic, no time zone involved). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return t.toISOString().slice(0, 10);
}

/** `count` consecutive dates from `start`. */
export function dateRange(start: LocalDate, count: number): LocalDate[] {
  return Array.from({ length: count }, (_, i) => addDays(start, i));
}

/** The nights a stay covers: from check-in up to, not including, check-out. */
export function nightsOf(checkIn: LocalDate, checkOut: LocalDate): LocalDate[] {
  const nights: LocalDate[] = [];
  for (let d = checkIn; d < checkOut && nights.length < 366; d = addDays(d, 1)) nights.push(d);
  return nights;
}
