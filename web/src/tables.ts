// The restaurant board's layout: tables x time slots for one day in the vendor's zone, from the
// types, tables and bookings the board store already holds. Pure, so it is unit-tested.
//
// Slots are instants (a seating's buckets are `S#<UTC start>`): the day's columns run from the
// first instant of its local midnight to the next one, so a day the clocks change has 46 or 50
// half-hour slots, and a seating's slots are matched to columns by instant, never by wall time.
import { addDays } from './dates';
import { OCCUPYING, rowCells } from './board';
import type { Booking, LocalDate, Offer, Resource, Unit } from './types';
import { guestBody, whole } from './walkin';

const MINUTE = 60_000;
/** The grid a table type gets when it does not say (the API's default). */
export const DEFAULT_SEATING = { slot_minutes: 30, seating_minutes: 90 };
/** Restaurants state no opening hours: the board shows 11:00 to 23:00, widened to every seating. */
export const SERVICE_FROM = 11 * 60;
export const SERVICE_TO = 23 * 60;

/** The wall clock in `zone` at an instant: its local date and minute of the day. */
const formats = new Map<string, Intl.DateTimeFormat>();

export function localParts(at: number, zone: string): { date: LocalDate; minutes: number } {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(zone, format);
  }
  const parts = format.formatToParts(new Date(at));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '00';
  return {
    date: `${part('year')}-${part('month')}-${part('day')}`,
    minutes: Number(part('hour')) * 60 + Number(part('minute')),
  };
}

/** `HH:MM` for a minute of the day. */
export const clock = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** The local `HH:MM` at an instant. */
export const localClock = (at: number, zone: string) => clock(localParts(at, zone).minutes);

/**
 * The instant the wall clock in `zone` reads `date` at `minutes` past midnight: the earlier one
 * when the clocks show it twice, undefined when they skip it (as the API refuses such a time).
 */
export function zonedInstant(date: LocalDate, minutes: number, zone: string): number | undefined {
  const [y, m, d] = date.split('-').map(Number);
  const wall = Date.UTC(y, m - 1, d, 0, minutes);
  const offsetAt = (at: number) => {
    const local = localParts(at, zone);
    const [ly, lm, ld] = local.date.split('-').map(Number);
    return Date.UTC(ly, lm - 1, ld, 0, local.minutes) - at;
  };
  // The offsets either side of the wall time; trying the larger first finds the earlier instant.
  const candidates = [offsetAt(wall - 26 * 60 * MINUTE), offsetAt(wall + 26 * 60 * MINUTE), offsetAt(wall)]
    .sort((a, b) => b - a)
    .map((offset) => wall - offset);
  return candidates.find((at) => offsetAt(at) === wall - at);
}

/** The first instant of a local date (its midnight, or the moment the clocks jump past it). */
export function dayStart(date: LocalDate, zone: string): number {
  for (let minutes = 0; minutes <= 25 * 60; minutes += 15) {
    const at = zonedInstant(date, minutes, zone);
    if (at !== undefined) return at;
  }
  return Date.UTC(...(date.split('-').map(Number) as [number, number, number]));
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The table types' common slot length: every type's slots start on a column. */
export function slotStep(resources: Resource[]): number {
  const lengths = resources.map((r) => r.seating?.slot_minutes ?? DEFAULT_SEATING.slot_minutes);
  return lengths.length === 0 ? DEFAULT_SEATING.slot_minutes : lengths.reduce(gcd);
}

/** Every slot of a local day as instants (ms), on the types' common grid. */
export function daySlots(resources: Resource[], date: LocalDate, zone: string): number[] {
  const step = slotStep(resources) * MINUTE;
  const start = dayStart(date, zone);
  const end = dayStart(addDays(date, 1), zone);
  const slots: number[] = [];
  for (let at = start; at < end && slots.length < 24 * 60; at += step) slots.push(at);
  return slots;
}

/** A bucket key `S#2026-03-29T18:30Z` as an instant, or undefined for a night or a bad key. */
export function slotInstant(bucket: string): number | undefined {
  if (!bucket.startsWith('S#')) return undefined;
  const at = Date.parse(bucket.slice(2));
  return Number.isNaN(at) ? undefined : at;
}

/** The instants a seating occupies: its buckets, else its start on its type's grid. */
export function seatingSlots(booking: Booking, resource: Resource | undefined, zone: string): number[] {
  const fromBuckets = (booking.buckets ?? []).map(slotInstant).filter((at): at is number => at !== undefined);
  if (fromBuckets.length > 0) return fromBuckets.sort((a, b) => a - b);
  if (booking.time.kind !== 'seating') return [];
  const [h, m] = booking.time.time.split(':').map(Number);
  const start = zonedInstant(booking.time.date, h * 60 + m, zone);
  if (start === undefined) return [];
  const grid = resource?.seating ?? DEFAULT_SEATING;
  const count = Math.max(1, Math.round(grid.seating_minutes / grid.slot_minutes));
  return Array.from({ length: count }, (_, i) => start + i * grid.slot_minutes * MINUTE);
}

export interface SeatingBar {
  booking: Booking;
  /** The first column it covers and how many (inside the shown columns). */
  start: number;
  span: number;
}

export type TableCell = { kind: 'free'; col: number; at: number } | { kind: 'bar'; col: number; at: number; bar: SeatingBar };

export interface TableRow {
  unit: Unit;
  cells: TableCell[];
}

export interface TableGroup {
  resource: Resource;
  rows: TableRow[];
  /** Seatings of this type in no table, with a slot among the columns. */
  unassigned: SeatingBar[];
  /** Free tables per column: tables in service (not out of order today) minus tables booked. */
  free: number[];
}

export interface DayLists {
  /** Still to come (held or confirmed), seated now, and gone, each by start time. */
  arrivals: Booking[];
  seated: Booking[];
  left: Booking[];
}

export interface TableLayout {
  /** The shown slots (instants, ms). */
  columns: number[];
  /** The column of the slot under way now, when the day is today and it is shown. */
  nowColumn?: number;
  groups: TableGroup[];
  lists: DayLists;
  counts: { arrivals: number; seated: number; left: number };
}

/** Where a seating sits among the columns: from its first shown slot to its last. */
function barAmong(booking: Booking, slots: number[], columns: number[]): SeatingBar | undefined {
  const cols = slots.map((at) => columns.indexOf(at)).filter((i) => i >= 0);
  if (cols.length === 0) return undefined;
  const start = Math.min(...cols);
  return { booking, start, span: Math.max(...cols) - start + 1 };
}

/** A table's cells left to right: its seatings' bars (the earlier wins an overlap) and free slots. */
const cellsFor = (bars: SeatingBar[], columns: number[]): TableCell[] =>
  rowCells<SeatingBar, TableCell>(
    bars,
    columns.length,
    (bar, i) => ({ kind: 'bar', col: i, at: columns[i], bar }),
    (i) => ({ kind: 'free', col: i, at: columns[i] }),
  );

const byNumber = (a: Unit, b: Unit) => a.number.localeCompare(b.number, undefined, { numeric: true });
/** Tables by area (those with none last), then number. */
const byAreaThenNumber = (a: Unit, b: Unit) =>
  (a.area ?? '\uffff').localeCompare(b.area ?? '\uffff') || byNumber(a, b);

export function layoutTables(
  resources: Resource[],
  units: Unit[],
  bookings: Booking[],
  date: LocalDate,
  zone: string,
  now: number = Date.now(),
): TableLayout {
  const typeOf = new Map(resources.map((r) => [r.id, r]));
  const seatings = bookings.filter((b) => b.time.kind === 'seating');
  const slotsOf = new Map(seatings.map((b) => [b.id, seatingSlots(b, typeOf.get(b.resource_id), zone)]));
  const live = seatings.filter((b) => OCCUPYING.has(b.status));

  // The service hours, widened to every live seating's slots and to the slot under way today.
  const all = daySlots(resources, date, zone);
  const step = all.length > 1 ? all[1] - all[0] : DEFAULT_SEATING.slot_minutes * MINUTE;
  const dayEnd = all.length > 0 ? all[all.length - 1] + step : 0;
  let from = zonedInstant(date, SERVICE_FROM, zone) ?? all[0];
  let to = zonedInstant(date, SERVICE_TO, zone) ?? dayEnd;
  for (const b of live) {
    for (const at of slotsOf.get(b.id) ?? []) {
      if (at < all[0] || at >= dayEnd) continue;
      from = Math.min(from, at);
      to = Math.max(to, at + step);
    }
  }
  const today = localParts(now, zone).date === date;
  if (today) {
    from = Math.min(from, now - step);
    to = Math.max(to, Math.min(dayEnd, now + step));
  }
  const columns = all.filter((at) => at + step > from && at < to);
  const nowIndex = today ? columns.findIndex((at) => at <= now && now < at + step) : -1;

  const groups = resources.map((resource): TableGroup => {
    const tables = units.filter((u) => u.resource_id === resource.id).sort(byAreaThenNumber);
    const ids = new Set(tables.map((u) => u.id));
    const ofType = live.filter((b) => b.resource_id === resource.id);
    const bars = ofType
      .map((b) => barAmong(b, slotsOf.get(b.id) ?? [], columns))
      .filter((bar): bar is SeatingBar => bar !== undefined);
    const rows = tables.map((unit) => ({
      unit,
      cells: cellsFor(
        bars.filter((bar) => bar.booking.unit?.unit_id === unit.id),
        columns,
      ),
    }));
    const unassigned = bars.filter((bar) => !bar.booking.unit || !ids.has(bar.booking.unit.unit_id));
    const sellable = sellableTables(resource, tables, today);
    const free = columns.map((at) => Math.max(0, sellable - bookedAt(ofType, slotsOf, at)));
    return { resource, rows, unassigned, free };
  });

  const lists = dayLists(seatings, date, (b) => slotsOf.get(b.id)?.[0] ?? 0);
  return {
    columns,
    nowColumn: nowIndex >= 0 ? nowIndex : undefined,
    groups,
    lists,
    counts: { arrivals: lists.arrivals.length, seated: lists.seated.length, left: lists.left.length },
  };
}

/** A type's tables that can be sold: those in service, less those out of order when it is today. */
function sellableTables(resource: Resource, tables: Unit[], today: boolean): number {
  const inService = tables.filter((u) => u.in_service);
  const outOfOrder = today ? inService.filter((u) => u.status === 'out_of_order').length : 0;
  return tables.length > 0 ? inService.length - outOfOrder : resource.units;
}

/** Tables the live seatings hold at a slot. */
function bookedAt(seatings: Booking[], slotsOf: Map<string, number[]>, at: number): number {
  return seatings.filter((b) => slotsOf.get(b.id)?.includes(at)).reduce((sum, b) => sum + b.units, 0);
}

/**
 * Offline: each table type's free tables for a seating of `party` starting at `date` `time`,
 * from the saved board (possibly out of date, no price), by the board's own free-count rules.
 * Types that seat fewer than the party are left out, as the API leaves them out; a type's free
 * tables are the fewest over every slot the seating would hold.
 */
export function seatingOffersFromBoard(
  resources: Resource[],
  units: Unit[],
  bookings: Booking[],
  party: number,
  date: LocalDate,
  time: string,
  zone: string,
  now: number = Date.now(),
): Offer[] {
  const [h, m] = time.split(':').map(Number);
  const start = zonedInstant(date, h * 60 + m, zone);
  const today = localParts(now, zone).date === date;
  const typeOf = new Map(resources.map((r) => [r.id, r]));
  const live = bookings.filter((b) => b.time.kind === 'seating' && OCCUPYING.has(b.status));
  const slotsOf = new Map(live.map((b) => [b.id, seatingSlots(b, typeOf.get(b.resource_id), zone)]));
  return resources
    .filter((r) => r.capacity === undefined || r.capacity >= party)
    .map((resource) => {
      const grid = resource.seating ?? DEFAULT_SEATING;
      const count = Math.max(1, Math.round(grid.seating_minutes / grid.slot_minutes));
      const sellable = sellableTables(
        resource,
        units.filter((u) => u.resource_id === resource.id),
        today,
      );
      const ofType = live.filter((b) => b.resource_id === resource.id);
      const held = start === undefined ? [] : Array.from({ length: count }, (_, i) => start + i * grid.slot_minutes * MINUTE);
      const left = held.length === 0 ? 0 : Math.min(...held.map((at) => sellable - bookedAt(ofType, slotsOf, at)));
      return {
        resource_id: resource.id,
        name: resource.name,
        kind: resource.kind,
        capacity: resource.capacity ?? 0,
        units_left: Math.max(0, left),
        quote: { total: { amount_minor: 0, currency: resource.base_price.currency } },
      };
    });
}

/** The day's seatings (those starting that local date) by where they are: to come, seated, left. */
export function dayLists(seatings: Booking[], date: LocalDate, startOf: (b: Booking) => number): DayLists {
  const ofDay = seatings
    .filter((b) => b.time.kind === 'seating' && b.time.date === date)
    .sort((a, b) => startOf(a) - startOf(b));
  return {
    arrivals: ofDay.filter((b) => b.status === 'HELD' || b.status === 'CONFIRMED'),
    seated: ofDay.filter((b) => b.status === 'CHECKED_IN'),
    left: ofDay.filter((b) => b.status === 'COMPLETED'),
  };
}

export interface SlotChoice {
  /** `HH:MM` as the API takes it. */
  time: string;
  at: number;
}

/**
 * The start times the walk-in offers on a day: each slot of the types' common grid, the first of
 * a wall time the clocks show twice (the one the API reads), and on today only those not begun
 * (a seating may not start in the past).
 */
export function startTimes(resources: Resource[], date: LocalDate, zone: string, now: number = Date.now()): SlotChoice[] {
  const seen = new Set<string>();
  const choices: SlotChoice[] = [];
  for (const at of daySlots(resources, date, zone)) {
    if (at < now) continue;
    const time = localClock(at, zone);
    if (seen.has(time)) continue;
    seen.add(time);
    choices.push({ time, at });
  }
  return choices;
}

/** The walk-in's default start: the next slot today (a party arriving now), else 19:00 or the first. */
export function defaultStart(choices: SlotChoice[], today: boolean): string {
  if (choices.length === 0) return '';
  if (today) return choices[0].time;
  return choices.find((c) => c.time === '19:00')?.time ?? choices[0].time;
}

/** The restaurant walk-in's fields by step; a problem on one of them sends the desk back there. */
export const SEATING_FIELDS_BY_STEP: Record<1 | 2, string[]> = {
  1: ['date', 'time', 'party_size', 'resource_id', 'units'],
  2: ['guest.name', 'guest.email', 'guest.phone', 'channel'],
};

export function seatingStepOf(fields: string[]): 1 | 2 | 3 {
  for (const step of [1, 2] as const) {
    if (fields.some((f) => SEATING_FIELDS_BY_STEP[step].includes(f))) return step;
  }
  return 3;
}

export interface SeatingForm {
  date: LocalDate;
  time: string;
  party: string;
  resourceId: string;
  name: string;
  email: string;
  phone: string;
  channel: 'walk_in' | 'phone';
}

/** Step 1's own checks (the API checks again); the messages are i18n keys. */
export function checkSeating(form: SeatingForm, today: LocalDate): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.date)) errors.date = 'walkin.err.date';
  else if (form.date < today) errors.date = 'walkin.err.past';
  if (!/^\d{2}:\d{2}$/.test(form.time)) errors.time = 'tables.err.time';
  const party = whole(form.party);
  if (party === undefined || party < 1) errors.party_size = 'walkin.err.party';
  return errors;
}

/** The body of POST /booking/vendor/{id} for a seating: empty contact fields are left out. */
export function seatingRequest(form: SeatingForm): Record<string, unknown> {
  return {
    resource_id: form.resourceId,
    party_size: whole(form.party) ?? 1,
    date: form.date,
    time: form.time,
    channel: form.channel,
    guest: guestBody(form),
  };
}
