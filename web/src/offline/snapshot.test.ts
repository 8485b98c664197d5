import { describe, expect, it } from 'vitest';
import { Api } from '../api';
import { BoardStore, type BoardState, type Network, type SnapshotStore } from '../store';
import type { BoardSnapshot } from './db';

const session = { token: 't', vendorId: 'v1', role: 'desk' as const, expiresAt: Infinity };
const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200 });

/** The vendor's API with one booking; the long-poll waits until aborted. */
const online = (async (input: RequestInfo | URL) => {
  const url = new URL(String(input), 'http://desk.test');
  const p = url.pathname;
  if (p === '/vendor/v1') return json({ id: 'v1', kind: 'hotel', name: 'H', time_zone: 'UTC', currency: 'EUR' });
  if (p === '/vendor/v1/resources') return json({ items: [{ id: 'dbl', name: 'Double', kind: 'room', units: 1 }] });
  if (p === '/vendor/v1/units') return json({ units: [{ id: 'u1', resource_id: 'dbl', number: '101', status: 'clean' }] });
  if (p === '/bookings/vendor/v1') {
    return json({ items: [{ id: 'b1', resource_id: 'dbl', status: 'CONFIRMED', version: 2, time: { kind: 'stay', check_in: '2026-12-07', check_out: '2026-12-08' } }] });
  }
  if (p === '/vendor/v1/changes' && url.searchParams.get('wait') === '0') return json({ changes: [], next: '7' });
  return new Promise<Response>(() => {});
}) as typeof fetch;

const down = (async () => {
  throw new TypeError('Failed to fetch');
}) as typeof fetch;

function memorySnapshots() {
  const saved = new Map<string, BoardSnapshot>();
  let onSave = () => {};
  const store: SnapshotStore = {
    saveBoard: async (s) => {
      saved.set(s.vendorId, structuredClone(s));
      onSave();
    },
    board: async (id) => saved.get(id),
  };
  return { store, saved, next: () => new Promise<void>((resolve) => (onSave = resolve)) };
}

const network = (onLine: boolean): Network => ({ onLine, addEventListener: () => {}, removeEventListener: () => {} });

const until = (store: BoardStore, ok: (s: BoardState) => boolean) =>
  new Promise<BoardState>((resolve) => store.subscribe((s) => ok(s) && resolve(s)));

describe('the board offline', () => {
  it('saves the loaded board, and a start with no network shows that copy, stale, with its time', async () => {
    const snapshots = memorySnapshots();
    const saved = snapshots.next();
    const first = new BoardStore(new Api(session, online), () => {}, network(true), snapshots.store);
    void first.start();
    await saved;
    first.stop();
    const copy = snapshots.saved.get('v1');
    expect(copy?.bookings.map((b) => b.id)).toEqual(['b1']);
    expect(copy?.units.map((u) => u.number)).toEqual(['101']);

    const reloaded = new BoardStore(new Api(session, down), () => {}, network(false), snapshots.store);
    void reloaded.start();
    const state = await until(reloaded, (s) => s.loaded);
    reloaded.stop();

    expect(state.live).toBe(false);
    expect(state.stale).toBe(true);
    expect(state.savedAt).toBe(copy?.savedAt);
    expect(state.vendor?.name).toBe('H');
    expect(state.data.bookings.get('b1')?.status).toBe('CONFIRMED');
    expect(state.resources.map((r) => r.id)).toEqual(['dbl']);
  });

  it('shows the saved board when the first load fails on the network though the browser says online', async () => {
    const snapshots = memorySnapshots();
    await snapshots.store.saveBoard({
      vendorId: 'v1',
      vendor: { id: 'v1', kind: 'hotel', name: 'H', time_zone: 'UTC', currency: 'EUR' },
      resources: [],
      bookings: [],
      units: [],
      dates: ['2026-12-07'],
      savedAt: '2026-12-07T05:00:00.000Z',
    });
    const store = new BoardStore(new Api(session, down), () => {}, network(true), snapshots.store);
    void store.start();
    const state = await until(store, (s) => s.loaded);
    store.stop();
    expect(state).toMatchObject({ live: false, stale: true, savedAt: '2026-12-07T05:00:00.000Z' });
  });

  it('a live board goes stale, with the time it was last current, when the browser goes offline', async () => {
    const listeners = new Set<() => void>();
    const net = {
      onLine: true,
      addEventListener: (type: string, l: () => void) => type === 'offline' && listeners.add(l),
      removeEventListener: (_: string, l: () => void) => listeners.delete(l),
    } as unknown as Network & { onLine: boolean };
    const store = new BoardStore(new Api(session, online), () => {}, net, memorySnapshots().store);
    void store.start();
    const live = await until(store, (s) => s.live);
    expect(live.stale).toBe(false);

    net.onLine = false;
    for (const l of listeners) l();

    expect(store.current).toMatchObject({ live: false, stale: true, savedAt: live.savedAt });
    expect(store.current.data.bookings.get('b1')).toBeDefined();
    store.stop();
  });

  it('shows nothing of another vendor\'s saved board', async () => {
    const snapshots = memorySnapshots();
    await snapshots.store.saveBoard({
      vendorId: 'other',
      vendor: { id: 'other', kind: 'hotel', name: 'Other', time_zone: 'UTC', currency: 'EUR' },
      resources: [],
      bookings: [],
      units: [],
      dates: [],
      savedAt: '2026-12-07T05:00:00.000Z',
    });
    const store = new BoardStore(new Api(session, down), () => {}, network(false), snapshots.store);
    const states: BoardState[] = [];
    store.subscribe((s) => states.push(s));
    void store.start();
    await new Promise((r) => setTimeout(r, 20));
    store.stop();
    expect(states.some((s) => s.loaded)).toBe(false);
  });
});
