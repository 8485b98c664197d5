// The hotel board's layout, from bookings, units, types and dates: pure, so it is unit-tested.
import { nightsOf } from './dates';
import type { Booking, LocalDate, Resource, Unit } from './types';

/** Statuses whose nights count against the inventory, so they show on the board. */
export const OCCUPYING: ReadonlySet<string> = new Set(['HELD', 'CONFIRMED', 'CHECKED_IN', 'COMPLETED']);

export interface Bar {
  booking: Booking;
  /** Index of the first column it covers, and how many columns (nights inside the window). */
  start: number;
  span: number;
}

/** One unit row: cells left to right, each a free night or a booking's bar. */
export type Cell = { kind: 'free'; date: LocalDate } | { kind: 'bar'; date: LocalDate; bar: Bar };

export interface UnitRow {
  unit: Unit;
  cells: Cell[];
}

export interface TypeGroup {
  resource: Resource;
  rows: UnitRow[];
  /** Bookings of this type not put in a unit, that have a night in the window. */
  unassigned: Bar[];
  /** Free units per night of the window (in-service units minus units booked). */
  free: number[];
}

export interface BoardLayout {
  dates: LocalDate[];
  groups: TypeGroup[];
  counts: { arrivals: number; inHouse: number; departures: number };
}

/** A booking's nights, from its buckets (N#<date>) or else from its stay dates. */
export function bookingNights(booking: Booking): LocalDate[] {
  const fromBuckets = (booking.buckets ?? []).filter((b) => b.startsWith('N#')).map((b) => b.slice(2));
  if (fromBuckets.length > 0) return fromBuckets;
  return booking.time.kind === 'stay' ? nightsOf(booking.time.check_in, booking.time.check_out) : [];
}

/** Where a booking sits in the window, or undefined when none of its nights is in it. */
export function barFor(booking: Booking, dates: LocalDate[]): Bar | undefined {
  const cols = bookingNights(booking)
    .map((n) => dates.indexOf(n))
    .filter((i) => i >= 0);
  if (cols.length === 0) return undefined;
  const start = Math.min(...cols);
  return { booking, start, span: Math.max(...cols) - start + 1 };
}

export function guestName(booking: Booking, fallback: string): string {
  return booking.guest_name ?? booking.desk_guest?.name ?? fallback;
}

/**
 * A row's cells left to right, over `n` columns: its bars (the earlier one wins an overlap; a
 * later one keeps only the columns left free, or goes) and a free cell for each column between.
 */
export function rowCells<B extends { start: number; span: number }, C>(
  bars: B[],
  n: number,
  barCell: (bar: B, col: number) => C,
  freeCell: (col: number) => C,
): C[] {
  const taken: (B | undefined)[] = Array.from({ length: n }, () => undefined);
  for (const bar of [...bars].sort((a, b) => a.start - b.start)) {
    let start = bar.start;
    while (start < bar.start + bar.span && taken[start]) start += 1;
    let span = 0;
    while (start + span < bar.start + bar.span && !taken[start + span]) span += 1;
    if (span === 0) continue;
    const placed = { ...bar, start, span };
    for (let i = start; i < start + span; i += 1) taken[i] = placed;
  }
  const cells: C[] = [];
  for (let i = 0; i < n; ) {
    const bar = taken[i];
    if (bar && bar.start === i) {
      cells.push(barCell(bar, i));
      i += bar.span;
    } else {
      cells.push(freeCell(i));
      i += 1;
    }
  }
  return cells;
}

/** A unit's cells: its bookings' bars (the earlier one wins an overlap) and free nights between. */
const cellsFor = (bars: Bar[], dates: LocalDate[]): Cell[] =>
  rowCells<Bar, Cell>(
    bars,
    dates.length,
    (bar, i) => ({ kind: 'bar', date: dates[i], bar }),
    (i) => ({ kind: 'free', date: dates[i] }),
  );

export function layoutBoard(
  resources: Resource[],
  units: Unit[],
  bookings: Booking[],
  dates: LocalDate[],
): BoardLayout {
  const today = dates[0];
  const live = bookings.filter((b) => OCCUPYING.has(b.status) && b.time.kind === 'stay');
  const byNumber = (a: Unit, b: Unit) =>
    a.number.localeCompare(b.number, undefined, { numeric: true });

  const groups = resources.map((resource): TypeGroup => {
    const typeUnits = units.filter((u) => u.resource_id === resource.id).sort(byNumber);
    const unitIds = new Set(typeUnits.map((u) => u.id));
    const ofType = live.filter((b) => b.resource_id === resource.id);
    const bars = ofType.map((b) => barFor(b, dates)).filter((b): b is Bar => b !== undefined);

    const rows = typeUnits.map((unit) => ({
      unit,
      cells: cellsFor(
        bars.filter((bar) => bar.booking.unit?.unit_id === unit.id),
        dates,
      ),
    }));
    const unassigned = bars.filter((bar) => !bar.booking.unit || !unitIds.has(bar.booking.unit.unit_id));

    const inService = typeUnits.filter((u) => u.in_service);
    const free = dates.map((date) => {
      const outOfOrder = date === today ? inService.filter((u) => u.status === 'out_of_order').length : 0;
      const booked = ofType
        .filter((b) => bookingNights(b).includes(date))
        .reduce((sum, b) => sum + b.units, 0);
      return Math.max(0, inService.length - outOfOrder - booked);
    });
    return { resource, rows, unassigned, free };
  });

  return { dates, groups, counts: countsFor(live, today) };
}

/**
 * Guests in house who leave today, by room: their last night is behind them, so they have no bar
 * on the board, and the desk reaches them (to check out) from this list.
 */
export function leavingToday(bookings: Booking[], today: LocalDate): Booking[] {
  return bookings
    .filter((b) => b.status === 'CHECKED_IN' && b.time.kind === 'stay' && b.time.check_out === today)
    .sort((a, b) => (a.unit?.number ?? '').localeCompare(b.unit?.number ?? '', undefined, { numeric: true }));
}

/** Today's arrivals (due or already in), guests in house, and departures (checking out today). */
export function countsFor(bookings: Booking[], today: LocalDate) {
  let arrivals = 0;
  let inHouse = 0;
  let departures = 0;
  for (const b of bookings) {
    if (b.time.kind !== 'stay') continue;
    if (b.status === 'CHECKED_IN') inHouse += 1;
    if (b.time.check_in === today && b.status !== 'COMPLETED') arrivals += 1;
    if (b.time.check_out === today && (b.status === 'CHECKED_IN' || b.status === 'COMPLETED')) departures += 1;
  }
  return { arrivals, inHouse, departures };
}
