// Where a booking may be moved on the board: the rooms of its type, each free or taken on all of
// its nights as the board knows them. Pure, so it is unit-tested; the server still decides.
import { ApiError } from './api';
import { bookingNights, OCCUPYING } from './board';
import { formatDay, t, type Lang } from './i18n';
import type { Booking, LocalDate, Unit } from './types';

export interface MoveTarget {
  unit: Unit;
  /** Free on every night of the booking, as far as the board knows (no booking put in it then). */
  free: boolean;
  /** The nights another booking has the room (empty when free). */
  taken: LocalDate[];
}

const byNumber = (a: Unit, b: Unit) => a.number.localeCompare(b.number, undefined, { numeric: true });

/** A booking the desk may move: live, of one unit, a stay. */
export function movable(booking: Booking): boolean {
  return (
    ['HELD', 'CONFIRMED', 'CHECKED_IN'].includes(booking.status) && booking.units === 1 && booking.time.kind === 'stay'
  );
}

/** The nights still to come that a move would take: from `today` on (a begun stay keeps its past). */
export function nightsToMove(booking: Booking, today?: LocalDate): LocalDate[] {
  const nights = bookingNights(booking);
  return today ? nights.filter((n) => n >= today) : nights;
}

/**
 * The rooms of the booking's type it could move to (not the room it is in), by number, each
 * free or taken on the booking's nights by another booking put in it. A room out of service is
 * no target; one out of order today is taken for today.
 */
export function moveTargets(booking: Booking, units: Unit[], bookings: Booking[], today?: LocalDate): MoveTarget[] {
  const nights = nightsToMove(booking, today);
  return units
    .filter((u) => u.resource_id === booking.resource_id && u.in_service && u.id !== booking.unit?.unit_id)
    .sort(byNumber)
    .map((unit) => {
      const taken = new Set<LocalDate>();
      for (const other of bookings) {
        if (other.id === booking.id || !OCCUPYING.has(other.status) || other.unit?.unit_id !== unit.id) continue;
        // A completed stay left the room: only its nights before today stay taken, and those are past.
        if (other.status === 'COMPLETED') continue;
        for (const n of bookingNights(other)) if (nights.includes(n)) taken.add(n);
      }
      if (unit.status === 'out_of_order' && today && nights.includes(today)) taken.add(today);
      const list = [...taken].sort();
      return { unit, free: list.length === 0, taken: list };
    });
}

/** The next target up (-1) or down (+1) from the one chosen, staying at the ends. */
export function stepTarget(targets: MoveTarget[], current: number, step: -1 | 1): number {
  if (targets.length === 0) return -1;
  if (current < 0) return step > 0 ? 0 : targets.length - 1;
  return Math.min(targets.length - 1, Math.max(0, current + step));
}

/** The target for a drop on a room's row, or undefined when that room is no target. */
export function dropTarget(targets: MoveTarget[], unitId: string): MoveTarget | undefined {
  return targets.find((t) => t.unit.id === unitId);
}

/** The room and nights a 409 unit-taken names, for the message (falls back to what is known). */
export function takenFrom(problem: Record<string, unknown>, fallbackRoom: string): { room: string; nights: LocalDate[] } {
  const room = typeof problem.unit_number === 'string' ? problem.unit_number : fallbackRoom;
  const nights = Array.isArray(problem.nights) ? problem.nights.filter((n): n is string => typeof n === 'string') : [];
  return { room, nights };
}

/** A refused move in words: a 409 unit-taken names the room and the nights. */
export function moveFailure(lang: Lang, err: unknown, room: string): string {
  if (err instanceof ApiError && err.problem.type?.endsWith('/unit-taken')) {
    const taken = takenFrom(err.problem as Record<string, unknown>, room);
    const nights = taken.nights.map((n) => formatDay(lang, n)).join(', ');
    return t(lang, 'move.takenError', { room: taken.room, nights });
  }
  return t(lang, 'move.failed', { detail: err instanceof Error ? err.message : String(err) });
}
