// Where a seating may be moved on the table board: the other tables of its type that seat the
// party (the API moves a booking only within its type), each free or taken at its slots as the
// board knows them. Pure, so it is unit-tested; the server still decides.
import { ApiError } from './api';
import { OCCUPYING } from './board';
import { t, type Lang } from './i18n';
import { moveFailure, takenFrom, type MoveTarget } from './moves';
import { seatingSlots } from './tables';
import type { Booking, Resource, Unit } from './types';

const byNumber = (a: Unit, b: Unit) => a.number.localeCompare(b.number, undefined, { numeric: true });

/** A seating the desk may move: live, at one table. */
export function movableSeating(booking: Booking): boolean {
  return ['HELD', 'CONFIRMED', 'CHECKED_IN'].includes(booking.status) && booking.units === 1 && booking.time.kind === 'seating';
}

/**
 * The tables the seating could move to (not the one it is at), by number: of its type, in service,
 * seating the party (a table's own seats, else the type's capacity), each taken at the slots
 * another live seating holds it or, when out of order, at all of them.
 */
export function tableTargets(booking: Booking, units: Unit[], bookings: Booking[], resources: Resource[], zone: string): MoveTarget[] {
  const resource = resources.find((r) => r.id === booking.resource_id);
  const slots = seatingSlots(booking, resource, zone);
  const seats = (u: Unit) => u.seats ?? resource?.capacity ?? Number.POSITIVE_INFINITY;
  return units
    .filter((u) => u.resource_id === booking.resource_id && u.in_service && u.id !== booking.unit?.unit_id)
    .filter((u) => seats(u) >= booking.party_size)
    .sort(byNumber)
    .map((unit) => {
      const taken = new Set<number>();
      for (const other of bookings) {
        // A party that left (COMPLETED) freed its table.
        if (other.id === booking.id || other.status === 'COMPLETED' || !OCCUPYING.has(other.status)) continue;
        if (other.unit?.unit_id !== unit.id) continue;
        const held = new Set(seatingSlots(other, resource, zone));
        for (const at of slots) if (held.has(at)) taken.add(at);
      }
      if (unit.status === 'out_of_order') for (const at of slots) taken.add(at);
      const list = [...taken].sort((a, b) => a - b).map((at) => new Date(at).toISOString());
      return { unit, free: list.length === 0, taken: list };
    });
}

/** A refused seating move in words: a 409 unit-taken names the table. */
export function tableMoveFailure(lang: Lang, err: unknown, table: string): string {
  if (err instanceof ApiError && err.problem.type?.endsWith('/unit-taken')) {
    return t(lang, 'tables.move.takenError', { table: takenFrom(err.problem as Record<string, unknown>, table).room });
  }
  return moveFailure(lang, err, table);
}
