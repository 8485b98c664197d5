// The desk's pending actions and the rules that decide what an answer means for one: sent, wait
// and send again later, or a conflict the desk resolves. Pure, so it is unit-tested.
import { ApiError } from '../api';
import type { HousekeepingStatus } from '../types';

interface Queued {
  /** The action's own id (the conflict keeps it: `pending-<id>`, `conflict-<id>`). */
  id: string;
  /** Sent as `Idempotency-Key` on every attempt, so a replay finds what the first one did. */
  key: string;
  /** The queue it is in: the vendor's (a housekeeper's own: `<vendor>:housekeeping`). */
  vendorId: string;
  /** Its place in the queue: actions are sent in this order, one at a time. */
  seq: number;
  queuedAt: string;
}

/** A walk-in booked offline: the booking's body, confirmed once it is made (paid later at the desk). */
export interface WalkInAction extends Queued {
  kind: 'walkIn';
  body: WalkInBody;
  /** The type's name as the desk chose it, for the lists. */
  resourceName: string;
}

/**
 * The body of `POST /booking/vendor/{id}`, sent as queued: a hotel's stay or a restaurant's
 * seating. Told apart by their fields (no marker is added to what the API receives), so items
 * queued before seatings could be queued still read as stays.
 */
export type WalkInBody = StayBody | SeatingBody;

interface BodyBase {
  resource_id: string;
  party_size: number;
  channel: string;
  guest: { name: string; email?: string; phone?: string };
}

export interface StayBody extends BodyBase {
  check_in: string;
  check_out: string;
}

/** A seating: the local date and `HH:MM` start in the vendor's zone, as `seatingRequest` sends. */
export interface SeatingBody extends BodyBase {
  date: string;
  time: string;
}

export function isSeating(body: WalkInBody): body is SeatingBody {
  return typeof (body as Partial<SeatingBody>).date === 'string' && typeof (body as Partial<SeatingBody>).time === 'string';
}

export interface CheckInAction extends Queued {
  kind: 'checkIn';
  /** The booking, or none yet while it waits for the queued walk-in `dependsOn`. */
  bookingId?: string;
  dependsOn?: string;
  guest: string;
}

export interface CheckOutAction extends Queued {
  kind: 'checkOut';
  bookingId: string;
  guest: string;
  room?: string;
}

export interface RoomStatusAction extends Queued {
  kind: 'roomStatus';
  unitId: string;
  room: string;
  status: HousekeepingStatus;
}

export type Action = WalkInAction | CheckInAction | CheckOutAction | RoomStatusAction;

/** Distributes Omit over the union, so each kind keeps its own fields. */
export type NewAction = Action extends infer A ? (A extends Action ? Omit<A, 'id' | 'key' | 'seq' | 'queuedAt'> : never) : never;

/** Why the server refused an action, in the desk's words (i18n `conflict.reason.<reason>`). */
export type Reason = 'soldOut' | 'changed' | 'roomTaken' | 'notAllowed' | 'notFound' | 'invalid' | 'dependency';

/** What the server said, kept with the conflict: its problem's type, words and named fields. */
export interface Refusal {
  status: number;
  type?: string;
  title?: string;
  detail?: string;
  /** Extension members such as `unit_id`, `unit_number`, `nights`, `sold_out`, `booking_status`. */
  fields: Record<string, unknown>;
}

export interface Conflict {
  id: string;
  vendorId: string;
  action: Action;
  reason: Reason;
  refusal: Refusal;
  at: string;
}

/** What one attempt at the queue's head comes to. */
export type Outcome =
  | { kind: 'sent' }
  /** The network failed: the action stays at the head and the sync stops until it is back. */
  | { kind: 'offline' }
  /** The server could not answer now (5xx, 429, a transient edit race): stop, try again later. */
  | { kind: 'later' }
  /** The session is over: stop, the desk signs in again, the queue stays. */
  | { kind: 'unauthorized' }
  | { kind: 'conflict'; reason: Reason; refusal: Refusal };

/** The last segment of a problem type URI (`https://.../problems/sold-out` -> `sold-out`). */
export function problemSlug(type: string | undefined): string {
  return (type ?? '').split('/').pop() ?? '';
}

const SOLD_OUT = new Set(['sold-out']);
const ROOM_TAKEN = new Set(['unit-taken', 'no-unit-free', 'unit-not-ready', 'unit-occupied', 'unit-number-taken']);
const CHANGED = new Set([
  'invalid-transition',
  'not-changeable',
  'archived',
  'booking-not-live',
  'version-mismatch',
  'checked-in',
  'check-in-too-late',
  'hold-not-expired',
  'awaits-online-deposit',
]);
const NOT_ALLOWED = new Set(['forbidden', 'deposit-unpaid', 'check-in-too-early', 'late-change', 'arrival-passed']);
/** 409s that say "try again" rather than "no". */
const TRANSIENT = new Set(['edit-conflict', 'busy']);

/** The reason a refused action is a conflict, from the problem's type first, else its status. */
export function reasonOf(status: number, type: string | undefined): Reason {
  const slug = problemSlug(type);
  if (SOLD_OUT.has(slug)) return 'soldOut';
  if (ROOM_TAKEN.has(slug)) return 'roomTaken';
  if (CHANGED.has(slug)) return 'changed';
  if (NOT_ALLOWED.has(slug) || status === 403) return 'notAllowed';
  if (status === 404 || status === 410) return 'notFound';
  if (status === 409 || status === 412) return 'changed';
  return 'invalid';
}

const STANDARD = new Set(['type', 'title', 'status', 'detail', 'instance']);

/** The server's problem, kept whole for the conflicts list. */
export function refusalOf(err: ApiError): Refusal {
  const problem = err.problem as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(problem)) if (!STANDARD.has(name)) fields[name] = value;
  return { status: err.status, type: err.problem.type, title: err.problem.title, detail: err.problem.detail, fields };
}

/** What a failed attempt means for the action at the head of the queue. */
export function outcomeOf(err: unknown): Outcome {
  // fetch throws (TypeError, AbortError) when the network is down: the request may not have arrived.
  if (!(err instanceof ApiError)) return { kind: 'offline' };
  const { status } = err;
  if (status === 401) return { kind: 'unauthorized' };
  if (status >= 500 || status === 429 || status === 408) return { kind: 'later' };
  if (TRANSIENT.has(problemSlug(err.problem.type))) return { kind: 'later' };
  return { kind: 'conflict', reason: reasonOf(status, err.problem.type), refusal: refusalOf(err) };
}

/** A later action that needed this walk-in's booking cannot be sent once the walk-in failed. */
export function dependencyRefusal(walkIn: Action): Refusal {
  return { status: 0, detail: `depends on ${walkIn.id}`, fields: { depends_on: walkIn.id } };
}

/** Back-off before the next try after a `later` stop: 2 s doubling to a minute. */
export function backoffMs(failures: number): number {
  return Math.min(60_000, 2000 * 2 ** Math.max(0, failures - 1));
}

/** The action's booking, where it names one (for the board's "Check-in pending" mark). */
export function bookingOf(action: Action): string | undefined {
  return action.kind === 'checkIn' || action.kind === 'checkOut' ? action.bookingId : undefined;
}
