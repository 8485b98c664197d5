import { describe, expect, it } from 'vitest';
import { barFor, countsFor, layoutBoard, leavingToday, rowCells } from './board';
import { dateRange } from './dates';
import { stay, unit } from './test-fixtures';
import type { Resource } from './types';

const dates = dateRange('2026-03-12', 14);
const resource = (id: string, name: string): Resource => ({
  id,
  name,
  kind: 'room',
  units: 2,
  base_price: { amount_minor: 10000, currency: 'EUR' },
});

describe('the board layout', () => {
  it('puts a booking in its unit as one bar spanning its nights inside the window', () => {
    const b = stay('b1', '2026-03-13', '2026-03-16', { unit: { unit_id: 'u214', number: '214' } });
    const layout = layoutBoard([resource('dbl', 'Double')], [unit('u214', '214')], [b], dates);
    const cells = layout.groups[0].rows[0].cells;
    expect(cells.map((c) => c.kind)).toEqual(['free', 'bar', ...Array(10).fill('free')]);
    const bar = cells[1];
    expect(bar.kind === 'bar' && [bar.bar.start, bar.bar.span]).toEqual([1, 3]);
  });

  it('clips a stay that began before today to the window', () => {
    expect(barFor(stay('b', '2026-03-10', '2026-03-14'), dates)).toMatchObject({ start: 0, span: 2 });
    expect(barFor(stay('b', '2026-03-01', '2026-03-05'), dates)).toBeUndefined();
  });

  it('reads the nights from the buckets when the booking has them', () => {
    const b = stay('b', '2026-03-12', '2026-03-14', { buckets: ['N#2026-03-12', 'N#2026-03-13'] });
    expect(barFor(b, dates)).toMatchObject({ start: 0, span: 2 });
  });

  it('shows bookings in no unit as unassigned under their type, and hides cancelled ones', () => {
    const layout = layoutBoard(
      [resource('dbl', 'Double'), resource('sgl', 'Single')],
      [unit('u1', '101'), unit('u2', '201', { resource_id: 'sgl' })],
      [
        stay('open', '2026-03-12', '2026-03-13'),
        stay('gone', '2026-03-12', '2026-03-13', { status: 'CANCELLED' }),
        stay('single', '2026-03-14', '2026-03-15', { resource_id: 'sgl' }),
      ],
      dates,
    );
    expect(layout.groups[0].unassigned.map((b) => b.booking.id)).toEqual(['open']);
    expect(layout.groups[1].unassigned.map((b) => b.booking.id)).toEqual(['single']);
  });

  it('groups units by type, in number order', () => {
    const layout = layoutBoard(
      [resource('dbl', 'Double')],
      [unit('a', '110'), unit('b', '9'), unit('c', '101')],
      [],
      dates,
    );
    expect(layout.groups[0].rows.map((r) => r.unit.number)).toEqual(['9', '101', '110']);
  });

  it('counts free units per night: units in service, less units booked, less out of order today', () => {
    const units = [unit('u1', '1'), unit('u2', '2'), unit('u3', '3', { status: 'out_of_order' }), { ...unit('u4', '4'), in_service: false }];
    const layout = layoutBoard(
      [resource('dbl', 'Double')],
      units,
      [stay('b1', '2026-03-12', '2026-03-14', { units: 2 }), stay('b2', '2026-03-13', '2026-03-14', { status: 'EXPIRED' })],
      dates,
    );
    expect(layout.groups[0].free.slice(0, 3)).toEqual([0, 1, 3]);
  });

  it('never lets two bars share a night in one unit', () => {
    const u = { unit_id: 'u1', number: '1' };
    const layout = layoutBoard(
      [resource('dbl', 'Double')],
      [unit('u1', '1')],
      [stay('a', '2026-03-12', '2026-03-15', { unit: u }), stay('b', '2026-03-14', '2026-03-16', { unit: u })],
      dates,
    );
    const bars = layout.groups[0].rows[0].cells.filter((c) => c.kind === 'bar');
    expect(bars.map((c) => c.kind === 'bar' && [c.bar.booking.id, c.bar.start, c.bar.span])).toEqual([
      ['a', 0, 3],
      ['b', 3, 1],
    ]);
    expect(layout.groups[0].rows[0].cells).toHaveLength(14 - 4 + 2);
  });
});

describe("today's counts", () => {
  it('counts arrivals due or in, guests in house, and departures', () => {
    const counts = countsFor(
      [
        stay('due', '2026-03-12', '2026-03-14'),
        stay('arrived', '2026-03-12', '2026-03-13', { status: 'CHECKED_IN' }),
        stay('staying', '2026-03-10', '2026-03-15', { status: 'CHECKED_IN' }),
        stay('leaving', '2026-03-10', '2026-03-12', { status: 'CHECKED_IN' }),
        stay('left', '2026-03-09', '2026-03-12', { status: 'COMPLETED' }),
        stay('tomorrow', '2026-03-13', '2026-03-14'),
      ],
      '2026-03-12',
    );
    expect(counts).toEqual({ arrivals: 2, inHouse: 3, departures: 2 });
  });

  it('lists the guests still in who leave today, by room, for the desk to check out', () => {
    const room = (number: string) => ({ unit_id: `u${number}`, number });
    const leaving = leavingToday(
      [
        stay('in-110', '2026-03-10', '2026-03-12', { status: 'CHECKED_IN', unit: room('110') }),
        stay('in-104', '2026-03-11', '2026-03-12', { status: 'CHECKED_IN', unit: room('104') }),
        stay('gone', '2026-03-09', '2026-03-12', { status: 'COMPLETED', unit: room('101') }),
        stay('staying', '2026-03-10', '2026-03-15', { status: 'CHECKED_IN', unit: room('102') }),
        stay('never came', '2026-03-11', '2026-03-12', { unit: room('103') }),
      ],
      '2026-03-12',
    );
    expect(leaving.map((b) => b.id)).toEqual(['in-104', 'in-110']);
  });
});

describe('a row of bars', () => {
  it('gives the earlier bar an overlap: a later one keeps only the columns left free, one left none goes', () => {
    const bars = [
      { id: 'b', start: 2, span: 3 },
      { id: 'a', start: 1, span: 3 },
      { id: 'c', start: 2, span: 1 },
    ];
    const cells = rowCells(bars, 6, (bar, col) => `${bar.id}@${col}+${bar.span}`, (col) => `free@${col}`);
    expect(cells).toEqual(['free@0', 'a@1+3', 'b@4+1', 'free@5']);
  });
});
