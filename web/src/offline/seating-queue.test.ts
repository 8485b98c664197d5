import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import { seatingOffersFromBoard } from '../tables';
import type { Booking, Resource, Unit } from '../types';
import { Db } from './db';
import { anotherType } from '../screens/Conflicts';
import { request, takeSeatingIntent, takeWalkInIntent } from './desk';
import { isSeating, type Action, type Conflict, type NewAction } from './queue';
import { syncQueue, type SyncApi } from './sync';
import { describeAction } from './ui';

const VENDOR = 'v1';
let dbName: string;
let db: Db;
let n = 0;

beforeEach(async () => {
  n += 1;
  dbName = `seating-queue-test-${n}`;
  db = await Db.open(dbName);
});
afterEach(() => db.close());

const SEATING = {
  resource_id: 'two-top',
  party_size: 2,
  date: '2026-12-07',
  time: '19:30',
  channel: 'walk_in',
  guest: { name: 'Ada Lovelace', phone: '+44 20 7946 0000' },
};

const seatingWalkIn = (): NewAction => ({ kind: 'walkIn', vendorId: VENDOR, resourceName: 'Two-top', body: { ...SEATING } });

const seated = (id: string, status: Booking['status']): Booking => ({
  id,
  resource_id: 'two-top',
  channel: 'walk_in',
  party_size: 2,
  units: 1,
  time: { kind: 'seating', date: '2026-12-07', time: '19:30' },
  status,
  version: 1,
});

/** A fake API recording each call's body and key; `refuse` makes the booking call throw. */
function fakeApi(refuse?: ApiError) {
  const calls: { op: string; target: string; key?: string; body?: Record<string, unknown> }[] = [];
  const api: SyncApi = {
    async createBooking(body, key) {
      calls.push({ op: 'book', target: String(body.resource_id), key, body });
      if (refuse) throw refuse;
      return seated('b-new', 'HELD');
    },
    async setStatus(id) {
      calls.push({ op: 'confirm', target: id });
      return seated(id, 'CONFIRMED');
    },
    async checkIn(id, key) {
      calls.push({ op: 'checkIn', target: id, key });
      return seated(id, 'CHECKED_IN');
    },
    async checkOut(id, key) {
      calls.push({ op: 'checkOut', target: id, key });
      return seated(id, 'COMPLETED');
    },
    async setHousekeeping(unitId) {
      calls.push({ op: 'roomStatus', target: unitId });
      return { id: unitId } as Unit;
    },
  };
  return { api, calls };
}

describe('a restaurant walk-in in the offline queue', () => {
  it('is sent as the seating body it was queued with, under its own key, then confirmed', async () => {
    const queued = await db.enqueue(seatingWalkIn());
    const { api, calls } = fakeApi();

    expect(await syncQueue(db, api, VENDOR)).toEqual({ stop: 'empty', sent: 1 });

    expect(calls.map((c) => `${c.op}:${c.target}`)).toEqual(['book:two-top', 'confirm:b-new']);
    expect(calls[0].key).toBe(queued.key);
    expect(calls[0].body).toEqual(SEATING);
    expect(await db.queue(VENDOR)).toEqual([]);
  });

  it('is named in the pending list by its day and time, not by nights', async () => {
    const queued = await db.enqueue(seatingWalkIn());
    expect(queued.kind === 'walkIn' && isSeating(queued.body)).toBe(true);
    expect(describeAction('en', queued)).toBe('Walk-in: Ada Lovelace, 7 December at 19:30, 2 guests, Two-top');
    expect(describeAction('de', queued)).toBe('Walk-in: Ada Lovelace, 7. Dezember um 19:30, 2 Pers., Two-top');
  });

  it('refused as sold out becomes a conflict that names its slot and keeps the server problem', async () => {
    const queued = await db.enqueue(seatingWalkIn());
    const soldOut = new ApiError(409, {
      type: 'https://reservations.example/problems/sold-out',
      title: 'Sold out',
      detail: 'no Two-top is free at 19:30',
      sold_out: ['2026-12-07T18:30Z'],
    } as ConstructorParameters<typeof ApiError>[1]);
    const { api, calls } = fakeApi(soldOut);

    expect(await syncQueue(db, api, VENDOR)).toEqual({ stop: 'empty', sent: 0 });

    expect(calls.map((c) => c.op)).toEqual(['book']);
    const [conflict] = await db.conflicts(VENDOR);
    expect(conflict.id).toBe(queued.id);
    expect(conflict.reason).toBe('soldOut');
    expect(conflict.refusal).toMatchObject({ status: 409, detail: 'no Two-top is free at 19:30', fields: { sold_out: ['2026-12-07T18:30Z'] } });
    expect(describeAction('en', conflict.action)).toContain('7 December at 19:30');
    expect(await db.queue(VENDOR)).toEqual([]);
  });

  it('queued with its seating (Book and seat), checks in the booking the walk-in made', async () => {
    const [walkIn, checkIn] = await db.enqueueAll([
      { ...seatingWalkIn(), id: 'w1' },
      { kind: 'checkIn', vendorId: VENDOR, dependsOn: 'w1', guest: 'Ada Lovelace' },
    ]);
    expect([walkIn.seq + 1, walkIn.id]).toEqual([checkIn.seq, 'w1']);
    const { api, calls } = fakeApi();

    expect(await syncQueue(db, api, VENDOR)).toEqual({ stop: 'empty', sent: 2 });

    expect(calls.map((c) => `${c.op}:${c.target}`)).toEqual(['book:two-top', 'confirm:b-new', 'checkIn:b-new']);
    expect(calls[2].key).toBe(checkIn.key);
  });

  it('reads a stay-only walk-in queued before seatings could be, and sends it unchanged', async () => {
    // Written as the earlier app wrote it: the same database, a stay body with no seating fields.
    db.close();
    const raw = await openDB(dbName, 1);
    const old = {
      id: 'old-1',
      key: 'old-key',
      vendorId: VENDOR,
      seq: 1,
      queuedAt: '2026-12-06T20:00:00.000Z',
      kind: 'walkIn',
      resourceName: 'Double',
      body: { resource_id: 'dbl', party_size: 2, check_in: '2026-12-07', check_out: '2026-12-09', channel: 'walk_in', guest: { name: 'Grace' } },
    };
    await raw.put('queue', old);
    raw.close();
    db = await Db.open(dbName);

    const [read] = await db.queue(VENDOR);
    expect(read).toEqual(old);
    expect(read.kind === 'walkIn' && isSeating(read.body)).toBe(false);
    expect(describeAction('en', read as Action)).toBe('Walk-in: Grace, 7 December to 9 December, Double');

    const { api, calls } = fakeApi();
    expect(await syncQueue(db, api, VENDOR)).toEqual({ stop: 'empty', sent: 1 });
    expect(calls[0]).toMatchObject({ key: 'old-key', body: old.body });
  });
});

describe('"Choose another type" on a refused walk-in', () => {
  const conflictOf = (action: Action): Conflict => ({
    id: action.id,
    vendorId: VENDOR,
    action,
    reason: 'soldOut',
    refusal: { status: 409, fields: {} },
    at: '2026-12-07T10:00:00.000Z',
  });

  it('opens the restaurant form with the seating\'s day, time, party and guest, once', async () => {
    const queued = await db.enqueue(seatingWalkIn());
    const intent = anotherType(conflictOf(queued));
    expect(intent).toEqual({
      kind: 'seating',
      form: { date: '2026-12-07', time: '19:30', party: '2', name: 'Ada Lovelace', email: '', phone: '+44 20 7946 0000', channel: 'walk_in' },
      replaces: queued.id,
    });

    request(intent!);
    expect(takeWalkInIntent()).toBeUndefined();
    expect(takeSeatingIntent()).toEqual(intent);
    expect(takeSeatingIntent()).toBeUndefined();
  });

  it('opens the hotel form for a stay, with its nights', async () => {
    const queued = await db.enqueue({
      kind: 'walkIn',
      vendorId: VENDOR,
      resourceName: 'Double',
      body: { resource_id: 'dbl', party_size: 2, check_in: '2026-12-07', check_out: '2026-12-09', channel: 'phone', guest: { name: 'Grace' } },
    });
    expect(anotherType(conflictOf(queued))).toMatchObject({ kind: 'walkIn', form: { checkIn: '2026-12-07', nights: '2', channel: 'phone' } });
  });
});

describe('free tables offline', () => {
  const ZONE = 'Europe/Berlin';
  const grid = { slot_minutes: 30, seating_minutes: 90 };
  const money = { amount_minor: 0, currency: 'EUR' };
  const resources: Resource[] = [
    { id: 'two', name: 'Two-top', kind: 'table', units: 3, base_price: money, capacity: 2, seating: grid },
    { id: 'six', name: 'Six-top', kind: 'table', units: 1, base_price: money, capacity: 6, seating: grid },
  ];
  const table = (id: string, resource_id: string, status = 'clean'): Unit =>
    ({ id, resource_id, number: id, in_service: true, housekeeping: 'clean', status, version: 1, occupied: false }) as Unit;
  const units = [table('T1', 'two'), table('T2', 'two'), table('T3', 'two', 'out_of_order'), table('T9', 'six')];
  const seating = (id: string, time: string, status: Booking['status'] = 'CONFIRMED'): Booking => ({
    ...seated(id, status),
    resource_id: 'two',
    time: { kind: 'seating', date: '2026-12-08', time },
  });
  // 2026-12-08 12:00 in Berlin: the out-of-order table counts only today.
  const noonOn8th = Date.parse('2026-12-08T11:00:00Z');

  it('counts the tables in service less the seatings that hold any slot the new one would', () => {
    const bookings = [seating('a', '19:00'), seating('b', '20:30'), seating('gone', '19:30', 'CANCELLED')];
    const at = (time: string, party = 2, now = noonOn8th) =>
      seatingOffersFromBoard(resources, units, bookings, party, '2026-12-08', time, ZONE, now).map((o) => [o.resource_id, o.units_left]);

    // 19:30 to 21:00 overlaps a (19:00-20:30) and b (20:30-22:00): 2 in service today, 1 held at each slot.
    expect(at('19:30')).toEqual([
      ['two', 1],
      ['six', 1],
    ]);
    expect(at('17:00')).toEqual([
      ['two', 2],
      ['six', 1],
    ]);
    // Another day, the out-of-order table is sold again.
    expect(at('17:00', 2, Date.parse('2026-12-07T11:00:00Z'))).toEqual([
      ['two', 3],
      ['six', 1],
    ]);
    // A party of 4 fits only the six-top, as the API offers only the types that seat it.
    expect(at('19:30', 4)).toEqual([['six', 1]]);
  });
});
