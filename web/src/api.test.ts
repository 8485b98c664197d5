import { describe, expect, it } from 'vitest';
import { Api, sessionFromToken } from './api';

const token = (claims: Record<string, unknown>) =>
  `h.${btoa(JSON.stringify(claims)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}.s`;

describe("the session from the token's claims", () => {
  it('tells managers, desk staff and housekeepers apart, with their vendor', () => {
    expect(sessionFromToken(token({ role: 'staff', manager: true, vendor_id: 'v1' }), 900, 0)).toEqual({
      token: expect.any(String),
      vendorId: 'v1',
      role: 'manager',
      expiresAt: 900_000,
    });
    expect(sessionFromToken(token({ role: 'staff', vendor_id: 'v1' }), 900)?.role).toBe('desk');
    expect(sessionFromToken(token({ role: 'housekeeping', vendor_id: 'v1' }), 900)?.role).toBe('housekeeping');
  });

  it('refuses a guest token or one without a vendor', () => {
    expect(sessionFromToken(token({ role: 'guest' }), 900)).toBeUndefined();
    expect(sessionFromToken(token({ role: 'staff' }), 900)).toBeUndefined();
    expect(sessionFromToken('not-a-jwt', 900)).toBeUndefined();
  });
});

describe('the desk calls', () => {
  const recorder = () => {
    const calls: { method: string; path: string; headers: Record<string, string>; body: unknown }[] = [];
    const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
      calls.push({
        method: init?.method ?? 'GET',
        path: String(input),
        headers: (init?.headers ?? {}) as Record<string, string>,
        body: init?.body ? JSON.parse(String(init.body)) : undefined,
      });
      if (String(input).includes('check-in')) return new Response(JSON.stringify({ booking: { id: 'b1', unit: { number: '7' } }, key: null }));
      return new Response(JSON.stringify({ id: 'b1' }), { status: 201 });
    }) as typeof fetch;
    return { calls, api: new Api({ token: 't', vendorId: 'v1', role: 'desk', expiresAt: Infinity }, fetcher) };
  };

  it('books with the Idempotency-Key, and records a payment that confirms with its own', async () => {
    const { calls, api } = recorder();
    await api.createBooking({ party_size: 1 }, 'k1');
    await api.recordPayment('b1', { amount_minor: 25800, currency: 'EUR', method: 'cash', confirm: true }, 'k1-payment');
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/booking/vendor/v1', headers: { 'idempotency-key': 'k1', authorization: 'Bearer t' } });
    expect(calls[1]).toMatchObject({
      method: 'POST',
      path: '/booking/b1/payments',
      headers: { 'idempotency-key': 'k1-payment' },
      body: { amount_minor: 25800, currency: 'EUR', method: 'cash', confirm: true },
    });
  });

  it('checks in at the desk, early allowed, and answers with the booking (its room)', async () => {
    const { calls, api } = recorder();
    const booking = await api.checkIn('b1');
    expect(booking.unit?.number).toBe('7');
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/booking/b1/check-in', body: { method: 'desk', early: true } });
  });

  it('turns a problem that is not JSON into an error, not a crash', async () => {
    const fetcher = (async () => new Response('<html>bad gateway</html>', { status: 502 })) as typeof fetch;
    const api = new Api({ token: 't', vendorId: 'v1', role: 'desk', expiresAt: Infinity }, fetcher);
    await expect(api.booking('b1')).rejects.toMatchObject({ status: 502 });
  });
});
