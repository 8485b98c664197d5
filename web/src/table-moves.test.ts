import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { movableSeating, tableMoveFailure, tableTargets } from './table-moves';
import { stay, unit } from './test-fixtures';
import type { Booking, Resource, Unit } from './types';

const BERLIN = 'Europe/Berlin';
const twoTop: Resource = { id: 't2', name: 'Two-top', kind: 'table_type', units: 3, capacity: 2, base_price: { amount_minor: 0, currency: 'EUR' } };
const family: Resource = { id: 'f6', name: 'Family table', kind: 'table_type', units: 1, capacity: 6, base_price: { amount_minor: 0, currency: 'EUR' } };
const table = (id: string, number: string, extra: Partial<Unit> = {}): Unit => unit(id, number, { resource_id: 't2', ...extra });
/** A 90-minute seating at a two-top on the 30-minute grid, from a UTC start (Berlin +2 in July). */
const seating = (id: string, startUtc: string, extra: Partial<Booking> = {}): Booking => {
  const start = Date.parse(startUtc);
  return {
    id,
    resource_id: 't2',
    channel: 'online',
    party_size: 2,
    units: 1,
    time: { kind: 'seating', date: '2026-07-10', time: '19:00' },
    buckets: [0, 1, 2].map((i) => `S#${new Date(start + i * 1_800_000).toISOString().slice(0, 16)}Z`),
    status: 'CONFIRMED',
    version: 1,
    ...extra,
  };
};
const at = (id: string, number: string) => ({ unit: { unit_id: id, number } });

describe('moving a seating to another table', () => {
  const tables = [table('a', 'T1'), table('b', 'T2'), table('c', 'T3'), table('d', 'T10'), unit('f', 'F1', { resource_id: 'f6' })];

  it('offers the other tables of its type by number, each free or taken at its slots', () => {
    const moving = seating('m', '2026-07-10T17:00:00Z', at('a', 'T1'));
    const overlapping = seating('o', '2026-07-10T18:00:00Z', at('b', 'T2')); // 20:00, moving's last slot
    const later = seating('l', '2026-07-10T18:30:00Z', at('c', 'T3')); // 20:30, after it
    const left = seating('x', '2026-07-10T17:00:00Z', { ...at('d', 'T10'), status: 'COMPLETED' });
    const targets = tableTargets(moving, tables, [moving, overlapping, later, left], [twoTop, family], BERLIN);
    expect(targets.map((t) => [t.unit.number, t.free, t.taken])).toEqual([
      ['T2', false, ['2026-07-10T18:00:00.000Z']],
      ['T3', true, []],
      ['T10', true, []],
    ]);
  });

  it('leaves out tables too small for the party, out of service, and taken all along when out of order', () => {
    const party = seating('m', '2026-07-10T17:00:00Z', { ...at('a', 'T1'), party_size: 3, resource_id: 'f6' });
    const small = [unit('f', 'F1', { resource_id: 'f6', seats: 2 }), unit('g', 'F2', { resource_id: 'f6' })];
    expect(tableTargets(party, small, [party], [twoTop, family], BERLIN).map((t) => t.unit.number)).toEqual(['F2']);

    const moving = seating('m', '2026-07-10T17:00:00Z', at('a', 'T1'));
    const units = [table('b', 'T2', { in_service: false }), table('c', 'T3', { status: 'out_of_order' })];
    const [broken] = tableTargets(moving, units, [moving], [twoTop], BERLIN);
    expect(broken.unit.number).toBe('T3');
    expect(broken.free).toBe(false);
    expect(broken.taken).toHaveLength(3);
  });

  it('moves live seatings only, not stays or parties that left', () => {
    expect(movableSeating(seating('s', '2026-07-10T17:00:00Z'))).toBe(true);
    expect(movableSeating(seating('s', '2026-07-10T17:00:00Z', { status: 'CHECKED_IN' }))).toBe(true);
    expect(movableSeating(seating('s', '2026-07-10T17:00:00Z', { status: 'COMPLETED' }))).toBe(false);
    expect(movableSeating(stay('r', '2026-07-10', '2026-07-11'))).toBe(false);
  });

  it('names the table a refused move found taken', () => {
    const problem = { type: 'https://reservations.example/problems/unit-taken', unit_number: 'T3' };
    const err = new ApiError(409, problem as ConstructorParameters<typeof ApiError>[1]);
    expect(tableMoveFailure('en', err, 'T2')).toBe('Table T3 is taken then. Nothing was moved.');
    expect(tableMoveFailure('de', err, 'T2')).toBe('Tisch T3 ist dann belegt. Nichts wurde verschoben.');
  });
});
