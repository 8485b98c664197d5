// The walk-in form's rules: pure, so they are unit-tested. What the desk types becomes the
// booking request; the API's problems are put back next to the field they name.
import { layoutBoard } from './board';
import { addDays, nightsOf } from './dates';
import type { BoardState } from './store';
import type { LocalDate, Offer } from './types';

export type WalkInChannel = 'walk_in' | 'phone';
export type Settle = 'confirm' | 'cash' | 'card_terminal';

export interface WalkInForm {
  checkIn: LocalDate;
  nights: string;
  party: string;
  resourceId: string;
  name: string;
  email: string;
  phone: string;
  channel: WalkInChannel;
  settle: Settle;
}

/** The form's fields, by step; a problem on one of them sends the desk back to its step. */
export const FIELDS_BY_STEP: Record<1 | 2 | 3, string[]> = {
  1: ['check_in', 'check_out', 'nights', 'party_size', 'resource_id', 'units'],
  2: ['guest.name', 'guest.email', 'guest.phone', 'channel'],
  3: ['amount_minor', 'currency', 'method'],
};

export const MAX_NIGHTS = 30;

export function newForm(today: LocalDate): WalkInForm {
  return {
    checkIn: today,
    nights: '1',
    party: '1',
    resourceId: '',
    name: '',
    email: '',
    phone: '',
    channel: 'walk_in',
    settle: 'confirm',
  };
}

/** A whole number typed in a field (spaces around allowed), else undefined. */
export const whole = (s: string): number | undefined => (/^\s*\d+\s*$/.test(s) ? Number(s) : undefined);

export type FieldErrors = Record<string, string>;

/** Step 1's own checks (the API checks again): the message keys are i18n keys. */
export function checkStay(form: WalkInForm, today: LocalDate): FieldErrors {
  const errors: FieldErrors = {};
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.checkIn)) errors.check_in = 'walkin.err.date';
  else if (form.checkIn < today) errors.check_in = 'walkin.err.past';
  const nights = whole(form.nights);
  if (nights === undefined || nights < 1 || nights > MAX_NIGHTS) errors.nights = 'walkin.err.nights';
  const party = whole(form.party);
  if (party === undefined || party < 1) errors.party_size = 'walkin.err.party';
  return errors;
}

export function checkGuest(form: WalkInForm): FieldErrors {
  return form.name.trim() ? {} : { 'guest.name': 'walkin.err.name' };
}

export function checkOut(form: WalkInForm): LocalDate {
  return addDays(form.checkIn, whole(form.nights) ?? 1);
}

/** The body of POST /booking/vendor/{id}: empty contact fields are left out, not sent empty. */
export function bookingRequest(form: WalkInForm): Record<string, unknown> {
  return {
    resource_id: form.resourceId,
    party_size: whole(form.party) ?? 1,
    check_in: form.checkIn,
    check_out: checkOut(form),
    channel: form.channel,
    guest: guestBody(form),
  };
}

/** The request's guest: the name, and the email and phone only when given. */
export function guestBody(form: { name: string; email: string; phone: string }): Record<string, string> {
  const guest: Record<string, string> = { name: form.name.trim() };
  if (form.email.trim()) guest.email = form.email.trim();
  if (form.phone.trim()) guest.phone = form.phone.trim();
  return guest;
}

export interface ProblemError {
  pointer?: string;
  parameter?: string;
  detail?: string;
}

/** A problem's `errors[]` by field: `/guest/name` and `guest.name` both become `guest.name`. */
export function fieldProblems(errors: ProblemError[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors ?? []) {
    const raw = e.pointer ?? e.parameter;
    if (!raw) continue;
    const field = raw.replace(/^\//, '').split('/').join('.');
    out[field] = out[field] ? `${out[field]}; ${e.detail ?? ''}` : (e.detail ?? '');
  }
  return out;
}

/** The first step holding one of these fields (the desk goes back there), else the review. */
export function stepOf(fields: string[]): 1 | 2 | 3 {
  for (const step of [1, 2] as const) {
    if (fields.some((f) => FIELDS_BY_STEP[step].includes(f))) return step;
  }
  return 3;
}

/** Offline: what the saved board shows free per type on every night of the stay (possibly out of
 * date; no price: the server quotes it when the booking is sent). */
export function offersFromBoard(board: BoardState | undefined, checkIn: LocalDate, checkOut: LocalDate): Offer[] {
  if (!board?.loaded) return [];
  const layout = layoutBoard(board.resources, [...board.data.units.values()], [...board.data.bookings.values()], board.dates);
  const nights = nightsOf(checkIn, checkOut);
  const currency = board.vendor?.currency ?? 'EUR';
  return layout.groups.map((group) => {
    const known = nights.map((n) => board.dates.indexOf(n)).filter((i) => i >= 0);
    const left = known.length === 0 ? 0 : Math.min(...known.map((i) => group.free[i] ?? 0));
    return {
      resource_id: group.resource.id,
      name: group.resource.name,
      kind: group.resource.kind,
      capacity: 0,
      units_left: Math.max(0, left),
      quote: { total: { amount_minor: 0, currency } },
    };
  });
}
