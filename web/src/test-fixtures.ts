// Rooms, tables and stays for the unit tests (not part of the app): a clean unit in service and a
// confirmed walk-in stay of two guests, each with what a test changes.
import type { Booking, Unit } from './types';

export const unit = (id: string, number: string, extra: Partial<Unit> = {}): Unit => ({
  id,
  resource_id: 'dbl',
  number,
  in_service: true,
  housekeeping: 'clean',
  version: 1,
  status: 'clean',
  occupied: false,
  ...extra,
});

export const stay = (id: string, check_in: string, check_out: string, extra: Partial<Booking> = {}): Booking => ({
  id,
  resource_id: 'dbl',
  channel: 'walk_in',
  party_size: 2,
  units: 1,
  time: { kind: 'stay', check_in, check_out },
  status: 'CONFIRMED',
  version: 1,
  ...extra,
});
