import { describe, expect, it } from 'vitest';
import type { BoardState } from '../store';
import type { Booking, Unit } from '../types';
import { offersFromBoard } from '../walkin';

const unit = (id: string, resource_id: string): Unit =>
  ({ id, resource_id, number: id, in_service: true, housekeeping: 'clean', version: 1, status: 'clean', occupied: false }) as Unit;
const stay = (id: string, resource_id: string, check_in: string, check_out: string, status: Booking['status'] = 'CONFIRMED'): Booking => ({
  id,
  resource_id,
  channel: 'online',
  party_size: 2,
  units: 1,
  time: { kind: 'stay', check_in, check_out },
  status,
  version: 1,
});

function board(bookings: Booking[]): BoardState {
  return {
    vendor: { id: 'v1', kind: 'hotel', name: 'H', time_zone: 'UTC', currency: 'EUR' },
    resources: [
      { id: 'dbl', name: 'Double', kind: 'room', units: 2, base_price: { amount_minor: 9000, currency: 'EUR' } },
      { id: 'sgl', name: 'Single', kind: 'room', units: 1, base_price: { amount_minor: 6000, currency: 'EUR' } },
    ],
    data: { bookings: new Map(bookings.map((b) => [b.id, b])), units: new Map([unit('101', 'dbl'), unit('102', 'dbl'), unit('201', 'sgl')].map((u) => [u.id, u])) },
    dates: ['2026-12-07', '2026-12-08', '2026-12-09'],
    live: false,
    loaded: true,
    stale: true,
  };
}

describe('the walk-in offline', () => {
  it('offers each type with the fewest rooms the saved board has free on the stay\'s nights', () => {
    const saved = board([
      stay('a', 'dbl', '2026-12-07', '2026-12-08'),
      stay('b', 'dbl', '2026-12-08', '2026-12-10'),
      stay('c', 'dbl', '2026-12-08', '2026-12-09', 'HELD'),
      stay('gone', 'sgl', '2026-12-07', '2026-12-09', 'CANCELLED'),
    ]);
    const offers = offersFromBoard(saved, '2026-12-07', '2026-12-09');
    expect(offers.map((o) => [o.resource_id, o.units_left])).toEqual([
      ['dbl', 0],
      ['sgl', 1],
    ]);
    expect(offersFromBoard(saved, '2026-12-07', '2026-12-08').find((o) => o.resource_id === 'dbl')?.units_left).toBe(1);
  });

  it('offers nothing free for nights the saved board does not show, nor without a saved board', () => {
    expect(offersFromBoard(board([]), '2026-12-20', '2026-12-21').map((o) => o.units_left)).toEqual([0, 0]);
    expect(offersFromBoard(undefined, '2026-12-07', '2026-12-08')).toEqual([]);
  });
});
