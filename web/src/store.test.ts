import { describe, expect, it } from 'vitest';
import { Api } from './api';
import { BoardStore, type BoardState, type Network } from './store';
import type { Booking, ChangeEntry } from './types';

/** A fake API on the fetch seam: answers by path, and records what was asked. */
function fakeApi(feed: ChangeEntry[][], records: Record<string, Booking>) {
  const asked: string[] = [];
  let served = 0;
  const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });
  const fetcher = (async (input: RequestInfo | URL) => {
    const url = new URL(String(input), 'http://desk.test');
    asked.push(url.pathname + url.search);
    const p = url.pathname;
    if (p === '/vendor/v1') return json({ id: 'v1', kind: 'hotel', name: 'H', time_zone: 'UTC', currency: 'EUR' });
    if (p === '/vendor/v1/resources') return json({ items: [{ id: 'dbl', name: 'Double', kind: 'room', units: 1 }] });
    if (p === '/vendor/v1/units') return json({ date: 'x', units: [] });
    if (p === '/bookings/vendor/v1') return json({ items: [] });
    if (p.startsWith('/booking/')) return json(records[p.slice('/booking/'.length)]);
    if (p === '/vendor/v1/changes') {
      if (url.searchParams.get('wait') === '0') return json({ changes: [], next: '00000000000000000007' });
      const changes = feed[served] ?? [];
      served += 1;
      if (changes.length === 0) return new Promise<Response>(() => {}); // a long-poll that waits
      return json({ changes, next: changes[changes.length - 1].position });
    }
    return json({ title: 'not found' }, 404);
  }) as typeof fetch;
  return { api: new Api({ token: 't', vendorId: 'v1', role: 'desk', expiresAt: Infinity }, fetcher), asked, fetcher };
}

const detail = { booking_id: 'b1', resource_id: 'dbl', status: 'HELD', version: 1, channel: 'walk_in', booked_by: 'staff:s', units: 1, party_size: 1, time: { kind: 'stay', check_in: '2026-03-12', check_out: '2026-03-13' } };
const entry: ChangeEntry = { position: '00000000000000000008', kind: 'booking', aggregate_id: 'b1', version: 1, detail_type: 'BookingHeld', detail };

describe('the board store', () => {
  it('follows the feed from its end, and reads a new desk booking once for its guest name', async () => {
    const record = { ...(detail as unknown as Booking), id: 'b1', desk_guest: { name: 'Ada Lovelace' } };
    const { api, asked } = fakeApi([[entry]], { b1: record });
    const store = new BoardStore(api);
    const named = new Promise<BoardState>((resolve) =>
      store.subscribe((s) => s.data.bookings.get('b1')?.desk_guest && resolve(s)),
    );
    void store.start();
    const state = await named;
    store.stop();

    expect(state.live).toBe(true);
    expect(state.data.bookings.get('b1')).toMatchObject({ status: 'HELD', desk_guest: { name: 'Ada Lovelace' } });
    const follows = asked.filter((a) => a.startsWith('/vendor/v1/changes') && !a.includes('wait=0'));
    expect(follows[0]).toContain('after=00000000000000000007');
    expect(asked.filter((a) => a === '/booking/b1')).toHaveLength(1);
  });

  it('calls back when the session is over (401), instead of retrying', async () => {
    const fetcher = (async () => new Response(JSON.stringify({ status: 401 }), { status: 401 })) as typeof fetch;
    const api = new Api({ token: 't', vendorId: 'v1', role: 'desk', expiresAt: Infinity }, fetcher);
    await new Promise<void>((resolve) => {
      const store = new BoardStore(api, resolve);
      void store.start();
    });
  });

  it('is not live while the feed cannot be reached, and live again once it can', async () => {
    let down = true;
    const { fetcher: inner } = fakeApi([], {});
    const flaky = (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (down && String(input).startsWith('/vendor/v1/changes')) throw new TypeError('Failed to fetch');
      return inner(input, init);
    }) as typeof fetch;
    const store = new BoardStore(new Api({ token: 't', vendorId: 'v1', role: 'desk', expiresAt: Infinity }, flaky));
    const seen: boolean[] = [];
    const back = new Promise<void>((resolve) =>
      store.subscribe((s) => {
        seen.push(s.live);
        if (s.error && down) down = false; // the network comes back after the first failure
        if (s.live) resolve();
      }),
    );
    void store.start();
    await back;
    store.stop();
    expect(seen[0]).toBe(false);
    expect(seen.at(-1)).toBe(true);
  });

  it('reads offline at once when the browser goes offline (the waiting long-poll dropped), live when it returns', async () => {
    const listeners = { online: new Set<() => void>(), offline: new Set<() => void>() };
    const network: Network & { fire(type: 'online' | 'offline'): void } = {
      onLine: true,
      addEventListener: (type, l) => listeners[type].add(l),
      removeEventListener: (type, l) => listeners[type].delete(l),
      fire(type) {
        (this as { onLine: boolean }).onLine = type === 'online';
        for (const l of listeners[type]) l();
      },
    };
    // The long-poll never answers on its own: only an abort ends it.
    const { fetcher: inner, asked } = fakeApi([], {});
    const aborted: string[] = [];
    const fetcher = ((input: RequestInfo | URL, init?: RequestInit) => {
      const answer = inner(input, init);
      const signal = init?.signal;
      if (!signal) return answer;
      return new Promise<Response>((resolve, reject) => {
        signal.addEventListener('abort', () => {
          aborted.push(String(input));
          reject(new DOMException('aborted', 'AbortError'));
        });
        answer.then(resolve, reject);
      });
    }) as typeof fetch;
    const store = new BoardStore(new Api({ token: 't', vendorId: 'v1', role: 'desk', expiresAt: Infinity }, fetcher), () => {}, network);
    const states: BoardState[] = [];
    let waiters: Array<[(s: BoardState) => boolean, () => void]> = [];
    store.subscribe((s) => {
      states.push(s);
      waiters = waiters.filter(([ok, done]) => (ok(s) ? (done(), false) : true));
    });
    const until = (ok: (s: BoardState) => boolean) => new Promise<void>((done) => waiters.push([ok, done]));

    void store.start();
    await until((s) => s.live);
    const polls = () => asked.filter((a) => a.includes('wait=20')).length;
    expect(polls()).toBe(1);

    network.fire('offline');
    // Synchronously: the badge reads offline and the waiting long-poll is aborted.
    expect(store.current.live).toBe(false);
    expect(aborted.some((a) => a.includes('wait=20'))).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(store.current.live).toBe(false);
    expect(store.current.error).toBeUndefined();

    network.fire('online');
    await until((s) => s.live);
    store.stop();
    expect(polls()).toBe(2);
  });
});
