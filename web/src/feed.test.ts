import { describe, expect, it } from 'vitest';
import { applyEntries, type BoardData } from './feed';
import type { Booking, ChangeEntry, Unit } from './types';

const empty = (): BoardData => ({ bookings: new Map(), units: new Map() });

const bookingEntry = (version: number, detail: Record<string, unknown> = {}): ChangeEntry => ({
  position: String(version).padStart(20, '0'),
  kind: 'booking',
  aggregate_id: 'b1',
  version,
  detail_type: 'BookingUpdated',
  detail: {
    booking_id: 'b1',
    resource_id: 'dbl',
    status: 'CONFIRMED',
    version,
    channel: 'walk_in',
    booked_by: 'staff:s1',
    party_size: 2,
    units: 1,
    time: { kind: 'stay', check_in: '2026-03-12', check_out: '2026-03-14' },
    buckets: ['N#2026-03-12', 'N#2026-03-13'],
    ...detail,
  },
});

const held: Booking = {
  id: 'b1',
  resource_id: 'dbl',
  channel: 'walk_in',
  party_size: 2,
  units: 1,
  time: { kind: 'stay', check_in: '2026-03-12', check_out: '2026-03-14' },
  status: 'CONFIRMED',
  version: 2,
  desk_guest: { name: 'Ada Lovelace' },
};

describe('applying the change feed', () => {
  it('adds a new booking and asks for its record when it is a desk booking (for the name)', () => {
    const applied = applyEntries(empty(), [bookingEntry(1)]);
    expect(applied.data.bookings.get('b1')?.status).toBe('CONFIRMED');
    expect(applied.fetchBookings).toEqual(['b1']);
  });

  it("asks for an online guest's booking too (staff read the account's name), but not once it is named", () => {
    const applied = applyEntries(empty(), [bookingEntry(1, { guest_id: 'g1', channel: 'online' })]);
    expect(applied.fetchBookings).toEqual(['b1']);
    const named = applied.data.bookings.get('b1');
    expect(named).toBeDefined();
    const held = new Map([['b1', { ...named!, guest_name: 'Ada Lovelace' }]]);
    const again = applyEntries({ ...applied.data, bookings: held }, [bookingEntry(2, { guest_id: 'g1', channel: 'online' })]);
    expect(again.fetchBookings).toEqual([]);
    expect(again.data.bookings.get('b1')?.guest_name).toBe('Ada Lovelace');
  });

  it('applies a newer version: status and unit change, the guest name is kept', () => {
    const data = { ...empty(), bookings: new Map([['b1', held]]) };
    const applied = applyEntries(data, [
      bookingEntry(3, { status: 'CHECKED_IN', unit: { unit_id: 'u214', number: '214' } }),
    ]);
    const b = applied.data.bookings.get('b1');
    expect(b).toMatchObject({ status: 'CHECKED_IN', version: 3, unit: { unit_id: 'u214' }, desk_guest: { name: 'Ada Lovelace' } });
    expect(applied.fetchBookings).toEqual([]);
  });

  it('ignores an entry not newer than what is held, so a replay changes nothing', () => {
    const data = { ...empty(), bookings: new Map([['b1', held]]) };
    const applied = applyEntries(data, [bookingEntry(2, { status: 'CANCELLED' }), bookingEntry(1, { status: 'HELD' })]);
    expect(applied.data.bookings.get('b1')).toBe(held);
  });

  it('takes a booking out of its unit when the snapshot has none (moved back to unassigned)', () => {
    const data = { ...empty(), bookings: new Map([['b1', { ...held, unit: { unit_id: 'u1', number: '1' } }]]) };
    const applied = applyEntries(data, [bookingEntry(3)]);
    expect(applied.data.bookings.get('b1')?.unit).toBeUndefined();
  });

  it('does not change the state it was given', () => {
    const data = empty();
    applyEntries(data, [bookingEntry(1)]);
    expect(data.bookings.size).toBe(0);
  });

  it("updates a unit's housekeeping, keeping out of order when a block covers today", () => {
    const unit: Unit = {
      id: 'u1',
      resource_id: 'dbl',
      number: '101',
      in_service: true,
      housekeeping: 'dirty',
      version: 1,
      status: 'dirty',
      occupied: true,
    };
    const entry = (version: number, housekeeping: string): ChangeEntry => ({
      position: '1',
      kind: 'unit',
      aggregate_id: 'u1',
      version,
      detail_type: 'UnitChanged',
      detail: { unit_id: 'u1', resource_id: 'dbl', number: '101', in_service: true, housekeeping, version },
    });
    const applied = applyEntries({ ...empty(), units: new Map([['u1', unit]]) }, [entry(2, 'clean'), entry(1, 'dirty')]);
    expect(applied.data.units.get('u1')).toMatchObject({ housekeeping: 'clean', status: 'clean', occupied: true, version: 2 });

    const blocked = applyEntries({ ...empty(), units: new Map([['u1', { ...unit, status: 'out_of_order' as const }]]) }, [entry(2, 'clean')]);
    expect(blocked.data.units.get('u1')?.status).toBe('out_of_order');
  });

  it('asks for a reload on a block or a type change', () => {
    const entry: ChangeEntry = { position: '1', kind: 'block', aggregate_id: 'x', version: 1, detail_type: 'UnitBlockChanged', detail: {} };
    expect(applyEntries(empty(), [entry]).reload).toBe(true);
  });
});
