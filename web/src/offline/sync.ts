// Sending the queue: in order, one action at a time, each with its idempotency key; and the desk's
// offline runtime around it (the queue and conflicts as the screens see them, the sync started
// when the network is back, back-off after a server failure).
import { ApiError } from '../api';
import { browserNetwork, type Network } from '../store';
import type { Booking, HousekeepingStatus, Unit } from '../types';
import { newId, type Db } from './db';
import {
  backoffMs,
  dependencyRefusal,
  outcomeOf,
  type Action,
  type Conflict,
  type NewAction,
  type Outcome,
  type WalkInBody,
} from './queue';

/** The calls the queue makes (the Api has them); a seam for the unit tests. */
export interface SyncApi {
  createBooking(body: Record<string, unknown>, idempotencyKey: string): Promise<Booking>;
  setStatus(id: string, status: 'CONFIRMED'): Promise<Booking>;
  checkIn(id: string, idempotencyKey?: string): Promise<Booking>;
  checkOut(id: string, idempotencyKey?: string): Promise<Booking>;
  setHousekeeping(unitId: string, status: HousekeepingStatus, idempotencyKey?: string): Promise<Unit>;
}

/** Where the queue and the conflicts are kept (the Db; the tests use it on fake-indexeddb). */
export type QueueStore = Pick<Db, 'queue' | 'enqueue' | 'enqueueAll' | 'remove' | 'update' | 'toConflict' | 'conflicts' | 'updateConflict' | 'retry' | 'discard'>;

export type Stop = 'empty' | 'offline' | 'later' | 'unauthorized';

/** A walk-in is booked, then its desk hold confirmed (it is paid at the desk later). */
async function sendWalkIn(api: SyncApi, body: WalkInBody, key: string): Promise<Booking> {
  const booking = await api.createBooking(body as unknown as Record<string, unknown>, key);
  if (booking.status === 'HELD') return { ...booking, ...(await api.setStatus(booking.id, 'CONFIRMED')) };
  if (booking.status === 'CONFIRMED' || booking.status === 'CHECKED_IN') return booking;
  // A replay found the booking made by an earlier try, and it has ended since (its hold expired).
  throw new ApiError(409, {
    type: 'invalid-transition',
    title: 'The booking cannot make that change',
    detail: `the booking made for this walk-in is ${booking.status}`,
  });
}

/** Sends one action; answers what the server made of it. */
export async function send(api: SyncApi, action: Action): Promise<Booking | Unit> {
  switch (action.kind) {
    case 'walkIn':
      return sendWalkIn(api, action.body, action.key);
    case 'checkIn':
      if (!action.bookingId) throw new Error('check-in without a booking');
      return api.checkIn(action.bookingId, action.key);
    case 'checkOut':
      return api.checkOut(action.bookingId, action.key);
    case 'roomStatus':
      return api.setHousekeeping(action.unitId, action.status, action.key);
  }
}

const conflictOf = (action: Action, outcome: Extract<Outcome, { kind: 'conflict' }>): Conflict => ({
  id: action.id,
  vendorId: action.vendorId,
  action,
  reason: outcome.reason,
  refusal: outcome.refusal,
  at: new Date().toISOString(),
});

/** Actions waiting on a walk-in that failed follow it into the conflicts. */
async function failDependents(store: QueueStore, walkIn: Action): Promise<void> {
  for (const action of await store.queue(walkIn.vendorId)) {
    if (action.kind === 'checkIn' && action.dependsOn === walkIn.id) {
      await store.toConflict(conflictOf(action, { kind: 'conflict', reason: 'dependency', refusal: dependencyRefusal(walkIn) }));
    }
  }
}

/** A walk-in was booked: what waited for it now names its booking (queued or in conflict). */
async function resolveDependents(store: QueueStore, walkIn: Action, bookingId: string): Promise<void> {
  for (const action of await store.queue(walkIn.vendorId)) {
    if (action.kind === 'checkIn' && action.dependsOn === walkIn.id) await store.update({ ...action, bookingId });
  }
  for (const conflict of await store.conflicts(walkIn.vendorId)) {
    const action = conflict.action;
    if (action.kind === 'checkIn' && action.dependsOn === walkIn.id) {
      await store.updateConflict({ ...conflict, action: { ...action, bookingId } });
    }
  }
}

/**
 * Sends the vendor's queue from its head until it is empty or a send must stop: a network
 * failure, a server failure (5xx, 429) or an ended session leave the head where it is. Any other
 * refusal makes the head a conflict, and the next action is sent.
 */
export async function syncQueue(
  store: QueueStore,
  api: SyncApi,
  vendorId: string,
  onChange: () => void = () => {},
): Promise<{ stop: Stop; sent: number }> {
  let sent = 0;
  for (;;) {
    const [head] = await store.queue(vendorId);
    if (!head) return { stop: 'empty', sent };
    if (head.kind === 'checkIn' && !head.bookingId) {
      // Its walk-in is no longer ahead of it (refused, or discarded): it cannot be sent.
      await store.toConflict(
        conflictOf(head, {
          kind: 'conflict',
          reason: 'dependency',
          refusal: dependencyRefusal({ ...head, id: head.dependsOn ?? '' }),
        }),
      );
      onChange();
      continue;
    }
    let result: Booking | Unit;
    try {
      result = await send(api, head);
    } catch (err) {
      const outcome = outcomeOf(err);
      if (outcome.kind !== 'conflict') return { stop: outcome.kind === 'sent' ? 'empty' : outcome.kind, sent };
      await store.toConflict(conflictOf(head, outcome));
      if (head.kind === 'walkIn') await failDependents(store, head);
      onChange();
      continue;
    }
    if (head.kind === 'walkIn') await resolveDependents(store, head, result.id);
    await store.remove(head.id);
    sent += 1;
    onChange();
  }
}

export interface DeskState {
  queue: Action[];
  conflicts: Conflict[];
  /** The queue and conflicts were read from the database (until then both are empty). */
  ready: boolean;
  syncing: boolean;
}

type Listener = (state: DeskState) => void;

/** What `Desk.act` did: sent now (with the server's answer), or queued to be sent later. */
export type Acted = { queued: false; result: Booking | Unit } | { queued: true; action: Action };

/** The desk's offline runtime for one session: its queue and conflicts, and the sync loop. */
export class Desk {
  private state: DeskState = { queue: [], conflicts: [], ready: false, syncing: false };
  private listeners = new Set<Listener>();
  private running = false;
  /** Kicked while sending: look at the queue again once this send ends. */
  private again = false;
  private stopped = false;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private drained = new Set<() => void>();

  constructor(
    private readonly store: Promise<QueueStore>,
    private readonly api: SyncApi,
    readonly vendorId: string,
    private readonly onUnauthorized: () => void = () => {},
    private readonly network: Network = browserNetwork(),
  ) {
    this.network.addEventListener('online', this.cameOnline);
    // With no IndexedDB (a private window in some browsers) there is no queue: the screens send directly.
    this.refresh().then(
      () => this.kick(),
      () => {},
    );
  }

  private readonly cameOnline = () => {
    this.failures = 0;
    this.kick();
  };

  get current(): DeskState {
    return this.state;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  /** Called each time the queue has been sent to its end after sending something. */
  onDrained(listener: () => void): () => void {
    this.drained.add(listener);
    return () => this.drained.delete(listener);
  }

  private set(patch: Partial<DeskState>) {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l(this.state);
  }

  async refresh(): Promise<void> {
    const store = await this.store;
    const [queue, conflicts] = await Promise.all([store.queue(this.vendorId), store.conflicts(this.vendorId)]);
    this.set({ queue, conflicts, ready: true });
  }

  /** Queues an action (its own id and idempotency key) and sends the queue if the network is up. */
  async enqueue(action: NewAction, ids: { id?: string; key?: string } = {}): Promise<Action> {
    const queued = await (await this.store).enqueue({ ...action, ...ids });
    await this.refresh();
    this.kick();
    return queued;
  }

  /** Queues actions in order, all at once, then sends the queue (a check-in after its walk-in). */
  async enqueueAll(actions: (NewAction & { id?: string; key?: string })[]): Promise<Action[]> {
    const queued = await (await this.store).enqueueAll(actions);
    await this.refresh();
    this.kick();
    return queued;
  }

  /**
   * Sends an action now when the desk is online and nothing waits before it, else queues it. A
   * send that fails on the network is queued with the same key: if it did arrive, the replay
   * answers what it did. The server's refusal of a direct send is thrown to the screen.
   */
  async act(action: NewAction): Promise<Acted> {
    if (!this.network.onLine || this.state.queue.length > 0) {
      return { queued: true, action: await this.enqueue(action) };
    }
    const ids = { id: newId(), key: newId() };
    const direct = { ...action, ...ids, seq: 0, queuedAt: new Date().toISOString() } as Action;
    try {
      return { queued: false, result: await send(this.api, direct) };
    } catch (err) {
      if (outcomeOf(err).kind !== 'offline') throw err;
      return { queued: true, action: await this.enqueue(action, ids) };
    }
  }

  /** Sends the queue unless it is being sent, or the network is down (the online event comes). */
  kick(): void {
    if (this.stopped || !this.network.onLine) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = true;
    this.again = false;
    this.set({ syncing: true });
    void this.run()
      .catch(() => this.later()) // the database failed us: try again later, the queue is intact
      .finally(() => {
        this.running = false;
        this.set({ syncing: false });
        if (this.again) this.kick();
      });
  }

  private later(): void {
    this.failures += 1;
    this.timer = setTimeout(() => this.kick(), backoffMs(this.failures));
  }

  private async run(): Promise<void> {
    const store = await this.store;
    const sync = () => syncQueue(store, this.api, this.vendorId, () => void this.refresh());
    // One tab sends at a time (another tab of the desk waits, then finds the queue sent).
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    const { stop, sent } = locks ? await locks.request(`desk-sync:${this.vendorId}`, sync) : await sync();
    await this.refresh();
    if (stop === 'empty') {
      this.failures = 0;
      if (sent > 0) for (const l of this.drained) l();
    } else if (stop === 'later') {
      this.later();
    } else if (stop === 'offline' && this.network.onLine) {
      // The browser thinks it is online but the request failed (a flaky link, an answer lost):
      // try again soon, without the server's back-off.
      this.timer = setTimeout(() => this.kick(), backoffMs(1));
    } else if (stop === 'unauthorized') {
      this.onUnauthorized();
    }
  }

  /** Back to the queue's end with the same id and key; sent now if online. */
  async retry(conflictId: string): Promise<void> {
    await (await this.store).retry(conflictId);
    await this.refresh();
    this.kick();
  }

  async discard(conflictId: string): Promise<void> {
    await (await this.store).discard(conflictId);
    await this.refresh();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.network.removeEventListener('online', this.cameOnline);
  }
}
