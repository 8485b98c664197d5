import { describe, expect, it } from 'vitest';
import { Api, ApiError } from './api';

/** The calls the detail, the board's moves and the housekeeping view send. */
describe('move, history and out-of-order calls', () => {
  const recorder = (status = 200, answer: unknown = { id: 'x' }) => {
    const calls: { method: string; path: string; body: unknown }[] = [];
    const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ method: init?.method ?? 'GET', path: String(input), body: init?.body ? JSON.parse(String(init.body)) : undefined });
      return new Response(status === 204 ? null : JSON.stringify(answer), { status });
    }) as typeof fetch;
    return { calls, api: new Api({ token: 't', vendorId: 'v1', role: 'desk', expiresAt: Infinity }, fetcher) };
  };

  it('moves a booking to a room, or lets the server pick', async () => {
    const { calls, api } = recorder();
    await api.assignUnit('b1', { unit_id: 'u104' });
    await api.assignUnit('b1', { auto: true });
    expect(calls).toEqual([
      { method: 'PUT', path: '/booking/b1/unit', body: { unit_id: 'u104' } },
      { method: 'PUT', path: '/booking/b1/unit', body: { auto: true } },
    ]);
  });

  it('reads the history, and a 404 comes back as an ApiError with its status', async () => {
    const { calls, api } = recorder(200, { booking_id: 'b1', items: [] });
    expect((await api.history('b1')).items).toEqual([]);
    expect(calls[0]).toEqual({ method: 'GET', path: '/booking/b1/history', body: undefined });
    const missing = recorder(404, { title: 'Not Found' });
    await expect(missing.api.history('b1')).rejects.toSatisfy((e) => e instanceof ApiError && e.status === 404);
  });

  it('takes a room out of order and puts it back', async () => {
    const { calls, api } = recorder(201, { id: 'k1' });
    await api.createBlock('u105', { from: '2026-03-12', to: '2026-03-13', reason: 'repair' });
    const removed = recorder(204);
    await removed.api.deleteBlock('u105', 'k1');
    expect(calls[0]).toEqual({
      method: 'POST',
      path: '/vendor/v1/unit/u105/blocks',
      body: { from: '2026-03-12', to: '2026-03-13', reason: 'repair' },
    });
    expect(removed.calls[0]).toEqual({ method: 'DELETE', path: '/vendor/v1/unit/u105/blocks/k1', body: undefined });
  });
});
