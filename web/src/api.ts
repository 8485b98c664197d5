// The API client: paths under the configured API address (config.ts; same origin locally), the
// bearer token of the session.
import type { Block, Booking, BookingHistory, ChangeFeed, LocalDate, Offer, Resource, Role, Session, Unit, Vendor } from './types';
import type { ProblemError } from './walkin';
import { apiBase } from './config';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { type?: string; title?: string; detail?: string; next?: string; errors?: ProblemError[] },
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

/** Reads the claims of a JWT (no verification: the API verifies; the app only needs the role). */
export function sessionFromToken(token: string, expiresIn: number, now = Date.now()): Session | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  let claims: Record<string, unknown>;
  try {
    const b64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    claims = JSON.parse(atob(b64.padEnd(b64.length + ((4 - (b64.length % 4)) % 4), '=')));
  } catch {
    return undefined;
  }
  const vendorId = claims.vendor_id;
  if (typeof vendorId !== 'string') return undefined;
  let role: Role;
  if (claims.role === 'housekeeping') role = 'housekeeping';
  else if (claims.role === 'staff') role = claims.manager === true || claims.manager === 'true' ? 'manager' : 'desk';
  else return undefined;
  return { token, vendorId, role, expiresAt: now + expiresIn * 1000 };
}

/** The offline queue's replays carry the action's key (check-in, check-out, room status). */
const keyed = (key: string | undefined): Record<string, string> => (key ? { 'idempotency-key': key } : {});

export class Api {
  constructor(
    private readonly session: Session,
    private readonly fetcher: typeof fetch = fetch.bind(globalThis),
  ) {}

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    extra: Record<string, string> = {},
  ): Promise<T> {
    const headers: Record<string, string> = { ...extra, authorization: `Bearer ${this.session.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetcher(`${apiBase()}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    const text = await res.text();
    let json: unknown = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { detail: `HTTP ${res.status}` };
    }
    if (!res.ok) throw new ApiError(res.status, json as ApiError['problem']);
    return json as T;
  }

  vendor(): Promise<Vendor> {
    return this.call('GET', `/vendor/${this.session.vendorId}`);
  }

  async resources(): Promise<Resource[]> {
    const list = await this.call<{ items: Resource[] }>('GET', `/vendor/${this.session.vendorId}/resources`);
    return list.items;
  }

  async units(options: { date?: LocalDate; mine?: boolean } = {}): Promise<Unit[]> {
    const q = new URLSearchParams();
    if (options.date) q.set('date', options.date);
    if (options.mine) q.set('mine', 'true');
    const query = q.toString() ? `?${q}` : '';
    const list = await this.call<{ units: Unit[] }>('GET', `/vendor/${this.session.vendorId}/units${query}`);
    return list.units;
  }

  /** Every booking arriving from `from` to `to` (inclusive), following the cursor page by page. */
  async bookings(from: LocalDate, to: LocalDate): Promise<Booking[]> {
    const all: Booking[] = [];
    let cursor: string | undefined;
    do {
      const q = new URLSearchParams({ from, to, limit: '100' });
      if (cursor) q.set('cursor', cursor);
      const page = await this.call<{ items: Booking[]; next_cursor?: string }>(
        'GET',
        `/bookings/vendor/${this.session.vendorId}?${q}`,
      );
      all.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return all;
  }

  booking(id: string): Promise<Booking> {
    return this.call('GET', `/booking/${id}`);
  }

  changes(after: string | undefined, wait: number, signal?: AbortSignal): Promise<ChangeFeed> {
    const q = new URLSearchParams({ wait: String(wait), limit: '500' });
    if (after) q.set('after', after);
    return this.call('GET', `/vendor/${this.session.vendorId}/changes?${q}`, undefined, signal);
  }

  /** What is free for the party on those nights, per type (nothing is held). */
  async availability(partySize: number, checkIn: LocalDate, checkOut: LocalDate, signal?: AbortSignal): Promise<Offer[]> {
    const q = new URLSearchParams({ party_size: String(partySize), check_in: checkIn, check_out: checkOut });
    const list = await this.call<{ items: Offer[] }>('GET', `/vendor/${this.session.vendorId}/availability?${q}`, undefined, signal);
    return list.items;
  }

  /** What is free for a restaurant party at a seating's start (local date and HH:MM), per table type. */
  async seatingAvailability(partySize: number, date: LocalDate, time: string, signal?: AbortSignal): Promise<Offer[]> {
    const q = new URLSearchParams({ party_size: String(partySize), date, time });
    const list = await this.call<{ items: Offer[] }>('GET', `/vendor/${this.session.vendorId}/availability?${q}`, undefined, signal);
    return list.items;
  }

  /** A desk booking (HELD for the desk hold); the same key and body answer the same booking. */
  createBooking(body: Record<string, unknown>, idempotencyKey: string): Promise<Booking> {
    return this.call('POST', `/booking/vendor/${this.session.vendorId}`, body, undefined, { 'idempotency-key': idempotencyKey });
  }

  /** `requestedBy: 'guest'`: a cancellation the guest asked for, settled by the guest's terms. */
  setStatus(id: string, status: 'CONFIRMED' | 'CANCELLED', requestedBy?: 'guest'): Promise<Booking> {
    return this.call('PUT', `/booking/${id}/status`, requestedBy ? { status, requested_by: requestedBy } : { status });
  }

  /** Money taken at the desk; `confirm` also confirms a desk hold in the same write. */
  recordPayment(
    id: string,
    payment: { amount_minor: number; currency: string; method: 'cash' | 'card_terminal'; confirm: boolean },
    idempotencyKey: string,
  ): Promise<Booking> {
    return this.call('POST', `/booking/${id}/payments`, payment, undefined, { 'idempotency-key': idempotencyKey });
  }

  /** A desk check-in (early allowed): the server puts the guest in a free, clean room. */
  async checkIn(id: string, idempotencyKey?: string): Promise<Booking> {
    const result = await this.call<{ booking: Booking }>('POST', `/booking/${id}/check-in`, { method: 'desk', early: true }, undefined, keyed(idempotencyKey));
    return result.booking;
  }

  checkOut(id: string, idempotencyKey?: string): Promise<Booking> {
    return this.call('POST', `/booking/${id}/check-out`, undefined, undefined, keyed(idempotencyKey));
  }

  setHousekeeping(unitId: string, status: 'clean' | 'inspected' | 'dirty', idempotencyKey?: string): Promise<Unit> {
    return this.call('PUT', `/vendor/${this.session.vendorId}/unit/${unitId}/housekeeping`, { status }, undefined, keyed(idempotencyKey));
  }

  /** The signed-in vendor (the offline desk keeps its board and queue per vendor). */
  get vendorId(): string {
    return this.session.vendorId;
  }

  /** Puts a booking in a room (or moves it there); `auto` lets the server pick a free one. */
  assignUnit(id: string, target: { unit_id: string } | { auto: true }): Promise<Booking> {
    return this.call('PUT', `/booking/${id}/unit`, target);
  }

  /** A booking's facts, oldest first (`GET /booking/{id}/history`). */
  history(id: string): Promise<BookingHistory> {
    return this.call('GET', `/booking/${id}/history`);
  }

  /** Out of order from `from` to `to` (the first day back in order). */
  createBlock(unitId: string, block: { from: LocalDate; to: LocalDate; reason: string }): Promise<Block> {
    return this.call('POST', `/vendor/${this.session.vendorId}/unit/${unitId}/blocks`, block);
  }

  /** Back in order: the block's nights are sellable again. */
  async deleteBlock(unitId: string, blockId: string): Promise<void> {
    await this.call('DELETE', `/vendor/${this.session.vendorId}/unit/${unitId}/blocks/${blockId}`);
  }
}

/** POST /vendor/login; the token's claims say the vendor and the role. */
export async function signIn(email: string, password: string, fetcher: typeof fetch = fetch.bind(globalThis)): Promise<Session> {
  const res = await fetcher(`${apiBase()}/vendor/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, json);
  const session = sessionFromToken(json.access_token, json.expires_in);
  if (!session) throw new ApiError(403, { detail: 'not a staff account' });
  return session;
}
