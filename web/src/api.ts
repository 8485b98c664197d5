// The API client: same origin, relative paths, the bearer token of the session.
import type { Booking, ChangeFeed, LocalDate, Resource, Role, Session, Unit, Vendor } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { type?: string; title?: string; detail?: string; next?: string },
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

export class Api {
  constructor(
    private readonly session: Session,
    private readonly fetcher: typeof fetch = fetch.bind(globalThis),
  ) {}

  private async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.session.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetcher(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : {};
    if (!res.ok) throw new ApiError(res.status, json);
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

  setHousekeeping(unitId: string, status: 'clean' | 'inspected' | 'dirty'): Promise<Unit> {
    return this.call('PUT', `/vendor/${this.session.vendorId}/unit/${unitId}/housekeeping`, { status });
  }
}

/** POST /vendor/login; the token's claims say the vendor and the role. */
export async function signIn(email: string, password: string, fetcher: typeof fetch = fetch.bind(globalThis)): Promise<Session> {
  const res = await fetcher('/vendor/login', {
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
