// The desk's IndexedDB: the last board it showed, the queue of actions taken offline, and the
// conflicts the server refused. It outlives a reload and a browser restart; entries carry the
// vendor, so a desk signed in to another vendor sees only its own.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Booking, LocalDate, Resource, Unit, Vendor } from '../types';
import type { Action, Conflict, NewAction } from './queue';

/** The board as last shown: enough to draw it again with no network. */
export interface BoardSnapshot {
  vendorId: string;
  vendor: Vendor;
  resources: Resource[];
  bookings: Booking[];
  units: Unit[];
  dates: LocalDate[];
  /** The change feed's position the board was current at. */
  cursor?: string;
  savedAt: string;
}

/** The housekeeping view's rooms, as last shown. */
export interface UnitsSnapshot {
  vendorId: string;
  units: Unit[];
  savedAt: string;
}

interface DeskSchema extends DBSchema {
  snapshots: { key: string; value: BoardSnapshot | UnitsSnapshot };
  queue: { key: string; value: Action; indexes: { seq: number } };
  conflicts: { key: string; value: Conflict };
}

export const DB_NAME = 'desk';

/** A new action id or idempotency key. */
export const newId = () =>
  typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;

export class Db {
  private constructor(private readonly db: IDBPDatabase<DeskSchema>) {}

  static async open(name = DB_NAME): Promise<Db> {
    const db = await openDB<DeskSchema>(name, 1, {
      upgrade(db) {
        db.createObjectStore('snapshots');
        db.createObjectStore('queue', { keyPath: 'id' }).createIndex('seq', 'seq');
        db.createObjectStore('conflicts', { keyPath: 'id' });
      },
    });
    return new Db(db);
  }

  close(): void {
    this.db.close();
  }

  async saveBoard(snapshot: BoardSnapshot): Promise<void> {
    await this.db.put('snapshots', snapshot, `board:${snapshot.vendorId}`);
  }

  async board(vendorId: string): Promise<BoardSnapshot | undefined> {
    return (await this.db.get('snapshots', `board:${vendorId}`)) as BoardSnapshot | undefined;
  }

  async saveUnits(snapshot: UnitsSnapshot): Promise<void> {
    await this.db.put('snapshots', snapshot, `units:${snapshot.vendorId}`);
  }

  async units(vendorId: string): Promise<UnitsSnapshot | undefined> {
    return (await this.db.get('snapshots', `units:${vendorId}`)) as UnitsSnapshot | undefined;
  }

  /** The vendor's pending actions in the order they were queued. */
  async queue(vendorId: string): Promise<Action[]> {
    const all = await this.db.getAllFromIndex('queue', 'seq');
    return all.filter((a) => a.vendorId === vendorId);
  }

  /** Puts an action at the queue's end with its own id and idempotency key (unless it has them). */
  async enqueue(action: NewAction & { id?: string; key?: string }): Promise<Action> {
    const [queued] = await this.enqueueAll([action]);
    return queued;
  }

  /**
   * Puts actions at the queue's end in order, in one transaction: a sync reading the queue sees
   * all of them or none (a check-in is never left behind the walk-in it waits on).
   */
  async enqueueAll(actions: (NewAction & { id?: string; key?: string })[]): Promise<Action[]> {
    const tx = this.db.transaction('queue', 'readwrite');
    const last = await tx.store.index('seq').openCursor(null, 'prev');
    let seq = last?.value.seq ?? 0;
    const queuedAt = new Date().toISOString();
    const queued = actions.map(
      (action) => ({ ...action, id: action.id ?? newId(), key: action.key ?? newId(), seq: (seq += 1), queuedAt }) as Action,
    );
    for (const action of queued) await tx.store.put(action);
    await tx.done;
    return queued;
  }

  async update(action: Action): Promise<void> {
    await this.db.put('queue', action);
  }

  /** The action was sent: it leaves the queue. */
  async remove(id: string): Promise<void> {
    await this.db.delete('queue', id);
  }

  /** The server refused it: out of the queue and into the conflicts, in one transaction. */
  async toConflict(conflict: Conflict): Promise<void> {
    const tx = this.db.transaction(['queue', 'conflicts'], 'readwrite');
    await tx.objectStore('queue').delete(conflict.action.id);
    await tx.objectStore('conflicts').put(conflict);
    await tx.done;
  }

  async conflicts(vendorId: string): Promise<Conflict[]> {
    const all = await this.db.getAll('conflicts');
    return all.filter((c) => c.vendorId === vendorId).sort((a, b) => a.action.seq - b.action.seq);
  }

  async updateConflict(conflict: Conflict): Promise<void> {
    await this.db.put('conflicts', conflict);
  }

  /** Retry: the conflict's action goes back to the queue's end, with its id and idempotency key. */
  async retry(conflictId: string): Promise<Action | undefined> {
    const tx = this.db.transaction(['queue', 'conflicts'], 'readwrite');
    const conflict = await tx.objectStore('conflicts').get(conflictId);
    if (!conflict) {
      await tx.done;
      return undefined;
    }
    const last = await tx.objectStore('queue').index('seq').openCursor(null, 'prev');
    const action = { ...conflict.action, seq: (last?.value.seq ?? 0) + 1 };
    await tx.objectStore('queue').put(action);
    await tx.objectStore('conflicts').delete(conflictId);
    await tx.done;
    return action;
  }

  /** Discard (the desk confirmed it): the conflict is gone for good. */
  async discard(conflictId: string): Promise<void> {
    await this.db.delete('conflicts', conflictId);
  }
}

let opened: Promise<Db> | undefined;

/** The app's one database, opened on first use; rejects where there is no IndexedDB. */
export function deskDb(): Promise<Db> {
  opened ??= typeof indexedDB === 'undefined' ? Promise.reject(new Error('no IndexedDB')) : Db.open();
  // A rejection nobody waits for yet is not an error: callers each handle it.
  opened.catch(() => {});
  return opened;
}
