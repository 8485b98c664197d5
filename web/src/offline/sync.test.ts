import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import type { Booking, HousekeepingStatus, Unit } from '../types';
import { Db } from './db';
import type { NewAction } from './queue';
import { Desk, syncQueue, type SyncApi } from './sync';

const VENDOR = 'v1';
let dbName: string;
let db: Db;
let n = 0;

beforeEach(async () => {
  n += 1;
  dbName = `desk-test-${n}`;
  db = await Db.open(dbName);
});
afterEach(() => db.close());

const problem = (status: number, slug: string, extra: Record<string, unknown> = {}) =>
  new ApiError(status, { type: `https://reservations.example/problems/${slug}`, title: slug, detail: `${slug} detail`, ...extra });

const booking = (id: string, status: Booking['status'] = 'HELD'): Booking => ({
  id,
  resource_id: 'r1',
  channel: 'walk_in',
  party_size: 2,
  units: 1,
  time: { kind: 'stay', check_in: '2026-12-07', check_out: '2026-12-08' },
  status,
  version: 1,
});

interface Call {
  op: string;
  target: string;
  key?: string;
}

/** A fake API: records each call with its key; `answers` decides each call's fate by target. */
function fakeApi(answers: Record<string, (() => never) | undefined> = {}) {
  const calls: Call[] = [];
  const answer = (op: string, target: string, key?: string) => {
    calls.push({ op, target, key });
    answers[`${op}:${target}`]?.();
  };
  const api: SyncApi = {
    async createBooking(body, key) {
      const guest = (body.guest as { name: string }).name;
      answer('walkIn', guest, key);
      return booking(`b-${guest}`);
    },
    async setStatus(id) {
      answer('confirm', id);
      return booking(id, 'CONFIRMED');
    },
    async checkIn(id, key) {
      answer('checkIn', id, key);
      return booking(id, 'CHECKED_IN');
    },
    async checkOut(id, key) {
      answer('checkOut', id, key);
      return booking(id, 'COMPLETED');
    },
    async setHousekeeping(unitId: string, status: HousekeepingStatus, key?: string) {
      answer('roomStatus', unitId, key);
      return { id: unitId, housekeeping: status } as Unit;
    },
  };
  return { api, calls };
}

const walkIn = (guest: string, resource = 'r1'): NewAction => ({
  kind: 'walkIn',
  vendorId: VENDOR,
  resourceName: 'Double',
  body: { resource_id: resource, party_size: 2, check_in: '2026-12-07', check_out: '2026-12-08', channel: 'walk_in', guest: { name: guest } },
});
const checkIn = (bookingId: string | undefined, dependsOn?: string): NewAction => ({
  kind: 'checkIn',
  vendorId: VENDOR,
  bookingId,
  dependsOn,
  guest: 'Ada',
});
const roomStatus = (unitId: string): NewAction => ({ kind: 'roomStatus', vendorId: VENDOR, unitId, room: '101', status: 'clean' });

const fail = (err: unknown) => () => {
  throw err;
};

describe('the offline queue', () => {
  it('sends the actions in the order they were queued, each with its own key, and empties the queue', async () => {
    const a = await db.enqueue(roomStatus('u1'));
    const b = await db.enqueue(checkIn('b9'));
    const c = await db.enqueue(walkIn('Grace'));
    const { api, calls } = fakeApi();

    const result = await syncQueue(db, api, VENDOR);

    expect(result).toEqual({ stop: 'empty', sent: 3 });
    expect(calls.map((c) => `${c.op}:${c.target}`)).toEqual(['roomStatus:u1', 'checkIn:b9', 'walkIn:Grace', 'confirm:b-Grace']);
    expect(calls.slice(0, 3).map((c) => c.key)).toEqual([a.key, b.key, c.key]);
    expect(new Set([a.key, b.key, c.key]).size).toBe(3);
    expect(await db.queue(VENDOR)).toEqual([]);
    expect(await db.conflicts(VENDOR)).toEqual([]);
  });

  it('stops on a network failure with the action still at the head, and sends it with the same key later', async () => {
    const head = await db.enqueue(checkIn('b1'));
    await db.enqueue(roomStatus('u1'));
    const down = fakeApi({ 'checkIn:b1': fail(new TypeError('Failed to fetch')) });

    expect(await syncQueue(db, down.api, VENDOR)).toEqual({ stop: 'offline', sent: 0 });
    expect((await db.queue(VENDOR)).map((a) => a.id)[0]).toBe(head.id);
    expect(down.calls).toHaveLength(1);

    const up = fakeApi();
    expect(await syncQueue(db, up.api, VENDOR)).toEqual({ stop: 'empty', sent: 2 });
    expect(up.calls[0]).toEqual({ op: 'checkIn', target: 'b1', key: head.key });
  });

  it('treats a 5xx, a 429 and an edit race as "try later", not as a conflict', async () => {
    await db.enqueue(checkIn('b1'));
    for (const err of [problem(503, 'busy'), problem(500, 'internal'), problem(429, 'too-many-requests'), problem(409, 'edit-conflict')]) {
      const { api } = fakeApi({ 'checkIn:b1': fail(err) });
      expect((await syncQueue(db, api, VENDOR)).stop).toBe('later');
      expect(await db.queue(VENDOR)).toHaveLength(1);
      expect(await db.conflicts(VENDOR)).toEqual([]);
    }
  });

  it('stops on a 401 and keeps the queue for the next sign-in', async () => {
    await db.enqueue(checkIn('b1'));
    const { api } = fakeApi({ 'checkIn:b1': fail(problem(401, 'unauthorized')) });
    expect((await syncQueue(db, api, VENDOR)).stop).toBe('unauthorized');
    expect(await db.queue(VENDOR)).toHaveLength(1);
  });

  it.each([
    [409, 'sold-out', 'soldOut', { resource_id: 'r1', sold_out: ['N#2026-12-07'] }],
    [409, 'invalid-transition', 'changed', { booking_status: 'CANCELLED' }],
    [412, 'version-mismatch', 'changed', {}],
    [409, 'unit-taken', 'roomTaken', { unit_id: 'u7', unit_number: '101', nights: ['2026-12-07'] }],
    [409, 'no-unit-free', 'roomTaken', { not_ready: ['102'] }],
    [403, 'forbidden', 'notAllowed', {}],
    [404, 'not-found', 'notFound', {}],
    [422, 'validation', 'invalid', { errors: [{ pointer: '/guest/email', detail: 'is not an email' }] }],
  ])('a %i %s is a conflict "%s" that keeps the server\'s problem, and the next action is sent', async (status, slug, reason, extra) => {
    const refused = await db.enqueue(checkIn('b1'));
    await db.enqueue(roomStatus('u1'));
    const { api, calls } = fakeApi({ 'checkIn:b1': fail(problem(status, slug, extra)) });

    expect(await syncQueue(db, api, VENDOR)).toEqual({ stop: 'empty', sent: 1 });

    const [conflict] = await db.conflicts(VENDOR);
    expect(conflict.id).toBe(refused.id);
    expect(conflict.reason).toBe(reason);
    expect(conflict.refusal.status).toBe(status);
    expect(conflict.refusal.type).toContain(slug);
    expect(conflict.refusal.detail).toBe(`${slug} detail`);
    for (const [name, value] of Object.entries(extra)) expect(conflict.refusal.fields[name]).toEqual(value);
    expect(calls.map((c) => c.op)).toEqual(['checkIn', 'roomStatus']);
    expect(await db.queue(VENDOR)).toEqual([]);
  });

  it('a check-in waiting on a walk-in that was sold out becomes a conflict too, and is never sent', async () => {
    const sold = await db.enqueue(walkIn('Grace'));
    const dependent = await db.enqueue(checkIn(undefined, sold.id));
    await db.enqueue(roomStatus('u1'));
    const { api, calls } = fakeApi({ 'walkIn:Grace': fail(problem(409, 'sold-out')) });

    expect(await syncQueue(db, api, VENDOR)).toEqual({ stop: 'empty', sent: 1 });

    const conflicts = await db.conflicts(VENDOR);
    expect(conflicts.map((c) => [c.id, c.reason])).toEqual([
      [sold.id, 'soldOut'],
      [dependent.id, 'dependency'],
    ]);
    expect(conflicts[1].refusal.fields.depends_on).toBe(sold.id);
    expect(calls.map((c) => c.op)).toEqual(['walkIn', 'roomStatus']);
  });

  it('a check-in whose walk-in was discarded meanwhile is a conflict, never sent', async () => {
    const dependent = await db.enqueue(checkIn(undefined, 'gone-walk-in'));
    const { api, calls } = fakeApi();

    await syncQueue(db, api, VENDOR);

    const [conflict] = await db.conflicts(VENDOR);
    expect([conflict.id, conflict.reason, conflict.refusal.fields.depends_on]).toEqual([dependent.id, 'dependency', 'gone-walk-in']);
    expect(calls).toEqual([]);
  });

  it('a check-in waiting on a walk-in that was booked checks in that booking', async () => {
    const booked = await db.enqueue(walkIn('Grace'));
    await db.enqueue(checkIn(undefined, booked.id));
    const { api, calls } = fakeApi();

    await syncQueue(db, api, VENDOR);

    expect(calls.map((c) => `${c.op}:${c.target}`)).toEqual(['walkIn:Grace', 'confirm:b-Grace', 'checkIn:b-Grace']);
  });

  it('Retry puts the conflict back at the queue\'s end with the same id and idempotency key', async () => {
    const refused = await db.enqueue(walkIn('Grace'));
    const { api } = fakeApi({ 'walkIn:Grace': fail(problem(409, 'sold-out')) });
    await syncQueue(db, api, VENDOR);
    const later = await db.enqueue(roomStatus('u1'));

    await db.retry(refused.id);

    const queue = await db.queue(VENDOR);
    expect(queue.map((a) => a.id)).toEqual([later.id, refused.id]);
    expect(queue[1].key).toBe(refused.key);
    expect(await db.conflicts(VENDOR)).toEqual([]);
    const again = fakeApi();
    await syncQueue(db, again.api, VENDOR);
    expect(again.calls.find((c) => c.op === 'walkIn')?.key).toBe(refused.key);
  });

  it('Discard removes the conflict for good', async () => {
    const refused = await db.enqueue(checkIn('b1'));
    await syncQueue(db, fakeApi({ 'checkIn:b1': fail(problem(409, 'invalid-transition')) }).api, VENDOR);
    await db.discard(refused.id);
    expect(await db.conflicts(VENDOR)).toEqual([]);
    expect(await db.queue(VENDOR)).toEqual([]);
  });

  it('a walk-in whose replay finds its booking already confirmed is not confirmed twice', async () => {
    await db.enqueue(walkIn('Grace'));
    const { api, calls } = fakeApi();
    api.createBooking = async (_body, key) => {
      calls.push({ op: 'walkIn', target: 'Grace', key });
      return booking('b-Grace', 'CONFIRMED');
    };
    await syncQueue(db, api, VENDOR);
    expect(calls.map((c) => c.op)).toEqual(['walkIn']);
  });

  it('a walk-in whose replay finds its booking expired is a conflict, not sent', async () => {
    await db.enqueue(walkIn('Grace'));
    const { api } = fakeApi();
    api.createBooking = async () => booking('b-Grace', 'EXPIRED');
    await syncQueue(db, api, VENDOR);
    expect((await db.conflicts(VENDOR)).map((c) => c.reason)).toEqual(['changed']);
  });
});

describe('the database', () => {
  it('keeps the queue and the conflicts across a new Db instance (a reload)', async () => {
    const first = await db.enqueue(walkIn('Grace'));
    const second = await db.enqueue(checkIn('b1'));
    await syncQueue(db, fakeApi({ 'walkIn:Grace': fail(problem(409, 'sold-out')), 'checkIn:b1': fail(new TypeError('offline')) }).api, VENDOR);
    db.close();

    db = await Db.open(dbName);

    expect(await db.queue(VENDOR)).toEqual([second]);
    const [conflict] = await db.conflicts(VENDOR);
    expect(conflict.action).toEqual(first);
    expect(conflict.reason).toBe('soldOut');
  });

  it('keeps each vendor\'s queue apart', async () => {
    await db.enqueue(checkIn('b1'));
    await db.enqueue({ ...checkIn('b2'), vendorId: 'other' });
    expect((await db.queue(VENDOR)).map((a) => a.kind === 'checkIn' && a.bookingId)).toEqual(['b1']);
  });

  it('round-trips the board snapshot', async () => {
    const snapshot = {
      vendorId: VENDOR,
      vendor: { id: VENDOR, kind: 'hotel' as const, name: 'Hotel', time_zone: 'Europe/Berlin', currency: 'EUR' },
      resources: [{ id: 'r1', name: 'Double', kind: 'room', units: 2, base_price: { amount_minor: 9000, currency: 'EUR' } }],
      bookings: [booking('b1', 'CONFIRMED')],
      units: [],
      dates: ['2026-12-07', '2026-12-08'],
      cursor: 'c42',
      savedAt: '2026-12-07T05:00:00.000Z',
    };
    await db.saveBoard(snapshot);
    db.close();
    db = await Db.open(dbName);
    expect(await db.board(VENDOR)).toEqual(snapshot);
    expect(await db.board('other')).toBeUndefined();
  });
});

/** A network whose state the test sets; `online` fires the listeners. */
function fakeNetwork() {
  const listeners = new Set<() => void>();
  return {
    onLine: false,
    addEventListener: (_: string, l: () => void) => listeners.add(l),
    removeEventListener: (_: string, l: () => void) => listeners.delete(l),
    goOnline() {
      this.onLine = true;
      for (const l of listeners) l();
    },
  };
}

describe('the desk runtime', () => {
  it('queues while offline and sends the queue when the network comes back, then says it drained', async () => {
    const network = fakeNetwork();
    const { api, calls } = fakeApi();
    const desk = new Desk(Promise.resolve(db), api, VENDOR, () => {}, network);
    const drained = new Promise<void>((resolve) => desk.onDrained(resolve));

    const acted = await desk.act(checkIn('b1'));
    expect(acted.queued).toBe(true);
    expect(desk.current.queue).toHaveLength(1);
    expect(calls).toEqual([]);

    network.goOnline();
    await drained;
    await desk.refresh();
    expect(calls.map((c) => c.op)).toEqual(['checkIn']);
    expect(desk.current.queue).toEqual([]);
    desk.stop();
  });

  it('sends at once when online, and queues with the same key when the send fails on the network', async () => {
    const network = fakeNetwork();
    network.onLine = true;
    const { api, calls } = fakeApi({ 'checkIn:b1': fail(new TypeError('Failed to fetch')) });
    const desk = new Desk(Promise.resolve(db), api, VENDOR, () => {}, network);
    await desk.refresh();

    const sent = await desk.act(checkIn('b2'));
    expect(sent.queued).toBe(false);

    network.onLine = false;
    const acted = await desk.act(checkIn('b1'));
    // offline now: queued without a try
    expect(acted.queued).toBe(true);
    network.onLine = true;
    desk.stop();
    expect(calls.map((c) => c.target)).toEqual(['b2']);
  });

  it('a direct send the server refuses is thrown to the screen, not queued nor a conflict', async () => {
    const network = fakeNetwork();
    network.onLine = true;
    const { api } = fakeApi({ 'checkIn:b1': fail(problem(409, 'no-unit-free')) });
    const desk = new Desk(Promise.resolve(db), api, VENDOR, () => {}, network);
    await desk.refresh();

    await expect(desk.act(checkIn('b1'))).rejects.toMatchObject({ status: 409 });

    expect(await db.queue(VENDOR)).toEqual([]);
    expect(await db.conflicts(VENDOR)).toEqual([]);
    desk.stop();
  });

  it('a direct send that fails on the network is queued with the key it was sent with', async () => {
    const network = fakeNetwork();
    network.onLine = true;
    const { api, calls } = fakeApi({ 'checkIn:b1': fail(new TypeError('Failed to fetch')) });
    const desk = new Desk(Promise.resolve(db), api, VENDOR, () => {}, network);
    await desk.refresh();
    desk.stop(); // no automatic resend: the test looks at the queue

    const acted = await desk.act(checkIn('b1'));

    expect(acted.queued).toBe(true);
    const [queued] = await db.queue(VENDOR);
    expect(queued.key).toBe(calls[0].key);
  });
});
