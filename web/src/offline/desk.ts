// The signed-in session's offline desk (one at a time), and what the conflicts list asks the board
// to open: the walk-in form prefilled for another type, or a booking's detail for another room.
import { Api } from '../api';
import type { Booking, HousekeepingStatus, Session, Unit } from '../types';
import type { SeatingForm } from '../tables';
import type { WalkInForm } from '../walkin';
import { deskDb, type UnitsSnapshot } from './db';
import { Desk } from './sync';

let current: { token: string; desk: Desk } | undefined;

/** The session's desk, made on first use; another session's desk stops. */
export function deskFor(session: Session, onUnauthorized: () => void = () => {}): Desk {
  if (current?.token === session.token) return current.desk;
  current?.desk.stop();
  // Housekeepers keep a queue of their own: a desk's walk-in is never sent with their rights.
  const scope = session.role === 'housekeeping' ? `${session.vendorId}:housekeeping` : session.vendorId;
  const desk = new Desk(deskDb(), new Api(session), scope, onUnauthorized);
  current = { token: session.token, desk };
  return desk;
}

/** The desk of the session signed in now, if any (screens queue through it). */
export function currentDesk(): Desk | undefined {
  return current?.desk;
}

export function endDesk(): void {
  current?.desk.stop();
  current = undefined;
}

/**
 * `replaces`: the refused walk-in's conflict, resolved once the new booking is made or queued.
 * A hotel's walk-in (`walkIn`) and a restaurant's (`seating`) open their own forms.
 */
export type Intent =
  | { kind: 'walkIn'; form: Partial<WalkInForm>; replaces?: string }
  | { kind: 'seating'; form: Partial<SeatingForm>; replaces?: string }
  | { kind: 'detail'; bookingId: string };

const intents = new Set<(intent: Intent) => void>();

/** The board listens: the conflicts list asks it to open the walk-in form or a booking. */
export function onIntent(listener: (intent: Intent) => void): () => void {
  intents.add(listener);
  return () => intents.delete(listener);
}

let walkInAsked: (Intent & { kind: 'walkIn' }) | undefined;
let seatingAsked: (Intent & { kind: 'seating' }) | undefined;

export function request(intent: Intent): void {
  if (intent.kind === 'walkIn') walkInAsked = intent;
  if (intent.kind === 'seating') seatingAsked = intent;
  for (const l of intents) l(intent);
}

/** The walk-in form asked for by the conflicts list, once (the next "New booking" starts empty). */
export function takeWalkInIntent(): (Intent & { kind: 'walkIn' }) | undefined {
  const asked = walkInAsked;
  walkInAsked = undefined;
  return asked;
}

/** The restaurant walk-in form asked for by the conflicts list, once. */
export function takeSeatingIntent(): (Intent & { kind: 'seating' }) | undefined {
  const asked = seatingAsked;
  seatingAsked = undefined;
  return asked;
}

/**
 * A check-in or check-out from the booking's detail, through the desk's queue: sent at once when
 * online and nothing waits before it (the server's answer returned), else queued (undefined).
 */
export async function checkInOrOut(api: Api, booking: Booking, kind: 'checkIn' | 'checkOut', guest: string): Promise<Booking | undefined> {
  const desk = currentDesk();
  if (!desk) return kind === 'checkIn' ? api.checkIn(booking.id) : api.checkOut(booking.id);
  // Pressed again while the first is still queued: it is queued once.
  if (desk.current.queue.some((a) => a.kind === kind && a.bookingId === booking.id)) return undefined;
  const acted = await desk.act({ kind, vendorId: desk.vendorId, bookingId: booking.id, guest, room: booking.unit?.number });
  return acted.queued ? undefined : (acted.result as Booking);
}

/** A room's housekeeping status, the same way: the unit as the server answers, or queued (undefined). */
export async function reportRoom(api: Api, unit: Unit, status: HousekeepingStatus): Promise<Unit | undefined> {
  const desk = currentDesk();
  if (!desk) return api.setHousekeeping(unit.id, status);
  const acted = await desk.act({ kind: 'roomStatus', vendorId: desk.vendorId, unitId: unit.id, room: unit.number, status });
  return acted.queued ? undefined : (acted.result as Unit);
}

/** The housekeeping view's rooms, saved as loaded and shown from there when offline. */
export async function saveRooms(vendorId: string, units: Unit[]): Promise<void> {
  await deskDb()
    .then((db) => db.saveUnits({ vendorId, units, savedAt: new Date().toISOString() }))
    .catch(() => undefined);
}

export async function savedRooms(vendorId: string): Promise<UnitsSnapshot | undefined> {
  return deskDb()
    .then((db) => db.units(vendorId))
    .catch(() => undefined);
}
