import { describe, expect, it } from 'vitest';
import {
  checkSeating,
  dayLists,
  daySlots,
  defaultStart,
  layoutTables,
  localClock,
  seatingRequest,
  seatingSlots,
  seatingStepOf,
  slotStep,
  startTimes,
  zonedInstant,
  type SeatingForm,
} from './tables';
import { unit } from './test-fixtures';
import type { Booking, Resource, Unit } from './types';

const BERLIN = 'Europe/Berlin';
const DAY = '2026-07-10'; // summer time: UTC+2
const utc = (iso: string) => Date.parse(iso);

const tableType = (id: string, name: string, seating?: Resource['seating']): Resource => ({
  id,
  name,
  kind: 'table_type',
  units: 2,
  capacity: 4,
  base_price: { amount_minor: 0, currency: 'EUR' },
  seating,
});
const table = (id: string, number: string, resource_id = 't2', extra: Partial<Unit> = {}): Unit =>
  unit(id, number, { resource_id, ...extra });
/** A 90-minute seating on the 30-minute grid starting at a UTC instant (Berlin +2 in July). */
const seating = (id: string, startUtc: string, extra: Partial<Booking> = {}): Booking => {
  const start = utc(startUtc);
  return {
    id,
    resource_id: 't2',
    channel: 'online',
    party_size: 2,
    units: 1,
    time: { kind: 'seating', date: DAY, time: localClock(start, BERLIN) },
    buckets: [0, 1, 2].map((i) => `S#${new Date(start + i * 1_800_000).toISOString().slice(0, 16)}Z`),
    status: 'CONFIRMED',
    version: 1,
    ...extra,
  };
};
// Noon of another day: the board is not "today", so it shows the service hours only.
const elsewhen = utc('2026-07-01T10:00:00Z');

describe('the day in the vendor zone', () => {
  it('finds the instant a wall clock reads, the earlier of two and none in a gap', () => {
    expect(zonedInstant(DAY, 19 * 60 + 30, BERLIN)).toBe(utc('2026-07-10T17:30:00Z'));
    // Clocks go back at 03:00 on 25 October 2026: 02:30 happens twice.
    expect(zonedInstant('2026-10-25', 150, BERLIN)).toBe(utc('2026-10-25T00:30:00Z'));
    // Clocks jump from 02:00 to 03:00 on 29 March 2026: 02:30 never happens.
    expect(zonedInstant('2026-03-29', 150, BERLIN)).toBeUndefined();
  });

  it('has 48 half-hour slots, 46 when the clocks go forward and 50 when they go back', () => {
    const types = [tableType('t2', 'Two')];
    expect(daySlots(types, DAY, BERLIN)).toHaveLength(48);
    expect(daySlots(types, DAY, BERLIN)[0]).toBe(utc('2026-07-09T22:00:00Z'));
    expect(daySlots(types, '2026-03-29', BERLIN)).toHaveLength(46);
    expect(daySlots(types, '2026-10-25', BERLIN)).toHaveLength(50);
  });

  it('follows a zone whose clocks move by half an hour (Lord Howe Island: 47 and 49 slots)', () => {
    const types = [tableType('t2', 'Two')];
    expect(daySlots(types, '2026-10-04', 'Australia/Lord_Howe')).toHaveLength(47);
    expect(daySlots(types, '2026-04-05', 'Australia/Lord_Howe')).toHaveLength(49);
    // 02:00 becomes 02:30: the fifth slot.
    expect(localClock(daySlots(types, '2026-10-04', 'Australia/Lord_Howe')[4], 'Australia/Lord_Howe')).toBe('02:30');
  });

  it('lays the columns on the types common grid', () => {
    expect(slotStep([tableType('a', 'A', { slot_minutes: 30, seating_minutes: 90 }), tableType('b', 'B', { slot_minutes: 45, seating_minutes: 90 })])).toBe(15);
    expect(slotStep([])).toBe(30);
  });

  it('reads a seating slots from its buckets, or from its start on its type grid', () => {
    const b = seating('b1', '2026-07-10T17:00:00Z');
    expect(seatingSlots(b, undefined, BERLIN)).toEqual([utc('2026-07-10T17:00:00Z'), utc('2026-07-10T17:30:00Z'), utc('2026-07-10T18:00:00Z')]);
    const noBuckets = { ...b, buckets: undefined };
    const long = tableType('t2', 'Two', { slot_minutes: 60, seating_minutes: 120 });
    expect(seatingSlots(noBuckets, long, BERLIN)).toEqual([utc('2026-07-10T17:00:00Z'), utc('2026-07-10T18:00:00Z')]);
  });
});

describe('the table board layout', () => {
  const types = [tableType('t2', 'Two'), tableType('t6', 'Six')];
  const tables = [table('a', 'T2', 't2', { area: 'window' }), table('b', 'T1', 't2', { area: 'terrace' }), table('c', 'T10', 't6')];

  it('shows 11:00 to 23:00 on another day, each seating a bar over its slots in its table', () => {
    const b = seating('b1', '2026-07-10T17:00:00Z', { unit: { unit_id: 'a', number: 'T2' } });
    const layout = layoutTables(types, tables, [b], DAY, BERLIN, elsewhen);
    expect(layout.columns).toHaveLength(24);
    expect(localClock(layout.columns[0], BERLIN)).toBe('11:00');
    expect(layout.nowColumn).toBeUndefined();
    // Tables by area, then number: T1 (terrace) after T2 (window) alphabetically by area.
    expect(layout.groups[0].rows.map((r) => r.unit.number)).toEqual(['T1', 'T2']);
    const row = layout.groups[0].rows[1];
    const bar = row.cells.find((c) => c.kind === 'bar');
    expect(bar?.kind === 'bar' && { col: bar.col, span: bar.bar.span }).toEqual({ col: 16, span: 3 }); // 19:00
    // The row still has one cell per free slot beside the bar.
    expect(row.cells).toHaveLength(24 - 2);
    expect(layout.groups[0].unassigned).toEqual([]);
    expect(layout.groups[0].free.slice(15, 20)).toEqual([2, 1, 1, 1, 2]);
    expect(layout.groups[1].free.every((n) => n === 1)).toBe(true);
  });

  it('puts a seating in no table in its type unassigned lane, and counts it against the free tables', () => {
    const b = seating('b1', '2026-07-10T10:00:00Z', { units: 2 });
    const layout = layoutTables(types, tables, [b], DAY, BERLIN, elsewhen);
    // 12:00 in Berlin: the third column.
    expect(layout.groups[0].unassigned.map((u) => [u.booking.id, u.start, u.span])).toEqual([['b1', 2, 3]]);
    expect(layout.groups[0].free.slice(0, 6)).toEqual([2, 2, 0, 0, 0, 2]);
  });

  it('widens the hours to a late seating and, today, to the slot under way, which it marks', () => {
    const late = seating('late', '2026-07-10T21:00:00Z'); // 23:00 to 00:30: the day ends at midnight
    const now = utc('2026-07-10T06:40:00Z'); // 08:40 in Berlin
    const layout = layoutTables(types, tables, [late], DAY, BERLIN, now);
    expect(localClock(layout.columns[0], BERLIN)).toBe('08:00');
    expect(localClock(layout.columns[layout.columns.length - 1], BERLIN)).toBe('23:30');
    expect(layout.nowColumn !== undefined && localClock(layout.columns[layout.nowColumn], BERLIN)).toBe('08:30');
  });

  it('leaves cancelled seatings off the board and out of the counts, and takes an out-of-order table off today', () => {
    const now = utc('2026-07-10T08:00:00Z');
    const gone = seating('x', '2026-07-10T17:00:00Z', { status: 'CANCELLED', unit: { unit_id: 'a', number: 'T2' } });
    const broken = tables.map((u) => (u.id === 'b' ? { ...u, status: 'out_of_order' as const } : u));
    const layout = layoutTables(types, broken, [gone], DAY, BERLIN, now);
    expect(layout.groups[0].rows.flatMap((r) => r.cells).every((c) => c.kind === 'free')).toBe(true);
    expect(layout.groups[0].free.every((n) => n === 1)).toBe(true);
    expect(layout.counts).toEqual({ arrivals: 0, seated: 0, left: 0 });
  });

  it('lists the day arrivals, seated parties and those who left, by start', () => {
    const list = [
      seating('late', '2026-07-10T18:00:00Z'),
      seating('early', '2026-07-10T10:00:00Z', { status: 'HELD' }),
      seating('in', '2026-07-10T11:00:00Z', { status: 'CHECKED_IN' }),
      seating('out', '2026-07-10T09:00:00Z', { status: 'COMPLETED' }),
      seating('no', '2026-07-10T12:00:00Z', { status: 'NO_SHOW' }),
      { ...seating('tomorrow', '2026-07-11T18:00:00Z'), time: { kind: 'seating' as const, date: '2026-07-11', time: '20:00' } },
    ];
    const lists = dayLists(list, DAY, (b) => seatingSlots(b, undefined, BERLIN)[0]);
    expect(lists.arrivals.map((b) => b.id)).toEqual(['early', 'late']);
    expect(lists.seated.map((b) => b.id)).toEqual(['in']);
    expect(lists.left.map((b) => b.id)).toEqual(['out']);
    expect(layoutTables(types, tables, list, DAY, BERLIN, elsewhen).counts).toEqual({ arrivals: 2, seated: 1, left: 1 });
  });
});

describe('the restaurant walk-in', () => {
  const types = [tableType('t2', 'Two')];

  it('offers today only the slots not begun, the next one first', () => {
    const now = utc('2026-07-10T16:10:00Z'); // 18:10 in Berlin
    const times = startTimes(types, DAY, BERLIN, now);
    expect(times[0].time).toBe('18:30');
    expect(times[times.length - 1].time).toBe('23:30');
    expect(defaultStart(times, true)).toBe('18:30');
    expect(defaultStart(startTimes(types, '2026-07-11', BERLIN, now), false)).toBe('19:00');
  });

  it('offers a wall time the clocks show twice once', () => {
    const times = startTimes(types, '2026-10-25', BERLIN, 0).map((c) => c.time);
    expect(times.filter((t) => t === '02:30')).toHaveLength(1);
    expect(new Set(times).size).toBe(times.length);
  });

  const form: SeatingForm = {
    date: DAY,
    time: '19:30',
    party: '2',
    resourceId: 't2',
    name: ' Rita Rest ',
    email: '',
    phone: '+4930123456',
    channel: 'phone',
  };

  it('books a seating with date and time, leaving empty contact fields out', () => {
    expect(seatingRequest(form)).toEqual({
      resource_id: 't2',
      party_size: 2,
      date: DAY,
      time: '19:30',
      channel: 'phone',
      guest: { name: 'Rita Rest', phone: '+4930123456' },
    });
  });

  it('checks the seating before asking the API, and sends a problem back to its step', () => {
    expect(checkSeating(form, DAY)).toEqual({});
    expect(checkSeating({ ...form, date: '2026-07-09', time: '', party: 'two' }, DAY)).toEqual({
      date: 'walkin.err.past',
      time: 'tables.err.time',
      party_size: 'walkin.err.party',
    });
    expect(seatingStepOf(['time'])).toBe(1);
    expect(seatingStepOf(['guest.email'])).toBe(2);
    expect(seatingStepOf(['status'])).toBe(3);
  });
});
