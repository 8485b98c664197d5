// The board's state and the change-feed loop that keeps it live. Screens subscribe to it; the
// desk's actions go through the Api (or the offline queue) and the feed brings the result. The
// board is saved to IndexedDB as it changes, and shown from there (stale) when the network is down.
import { Api, ApiError } from './api';
import { addDays, dateRange, todayIn } from './dates';
import { applyEntries, type BoardData } from './feed';
import { deskDb, type BoardSnapshot, type Db } from './offline/db';
import type { Booking, LocalDate, Resource, Unit, Vendor } from './types';

export const BOARD_DAYS = 14;
/** Bookings are listed by arrival: reach back far enough to catch stays still running today. */
export const LOOKBACK_DAYS = 31;
const RETRY_MS = 2000;
/** The board is written to IndexedDB at most this often. */
const SAVE_MS = 1000;

export interface BoardState {
  vendor?: Vendor;
  resources: Resource[];
  data: BoardData;
  dates: LocalDate[];
  live: boolean;
  error?: string;
  loaded: boolean;
  /** Shown from the saved copy or while the feed cannot be followed: it may be out of date. */
  stale: boolean;
  /** When the board was last known current (ISO instant). */
  savedAt?: string;
}

/** Where the board's last copy is kept (the desk's IndexedDB); a seam for the unit tests. */
export type SnapshotStore = Pick<Db, 'saveBoard' | 'board'>;

/** The app's IndexedDB where there is one (the browser), else nowhere. */
export function browserSnapshots(): SnapshotStore | undefined {
  if (typeof indexedDB === 'undefined') return undefined;
  return {
    saveBoard: async (snapshot) => (await deskDb()).saveBoard(snapshot),
    board: async (vendorId) => (await deskDb()).board(vendorId),
  };
}

let active: BoardStore | undefined;

/** The board as shown now (the walk-in form counts free rooms from it when offline). */
export function boardState(): BoardState | undefined {
  return active?.current;
}

/** A booking as the board holds it (the detail opened offline shows this copy). */
export function boardBooking(id: string): Booking | undefined {
  return active?.current.data.bookings.get(id);
}

type Listener = (state: BoardState) => void;

/** The browser's view of the network (window + navigator.onLine); a seam for the unit tests. */
export interface Network {
  readonly onLine: boolean;
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

/** The browser's network, or one that is always on where there is no window (the unit tests). */
export function browserNetwork(): Network {
  if (typeof window === 'undefined' || typeof navigator === 'undefined') {
    return { onLine: true, addEventListener: () => {}, removeEventListener: () => {} };
  }
  return {
    get onLine() {
      return navigator.onLine;
    },
    addEventListener: (type, listener) => window.addEventListener(type, listener),
    removeEventListener: (type, listener) => window.removeEventListener(type, listener),
  };
}

/** The feed's current end: reads with wait=0 until nothing is newer. */
export async function feedEnd(api: Api, after: string | undefined, signal: AbortSignal): Promise<string | undefined> {
  for (;;) {
    const page = await api.changes(after, 0, signal);
    if (page.changes.length === 0) return page.next;
    after = page.next;
  }
}

/** The session is over (expired token, revoked account): the app goes back to sign-in. */
export const isUnauthorized = (err: unknown) => err instanceof ApiError && err.status === 401;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

export class BoardStore {
  private state: BoardState = {
    resources: [],
    data: { bookings: new Map(), units: new Map() },
    dates: [],
    live: false,
    loaded: false,
    stale: false,
  };
  private listeners = new Set<Listener>();
  private abort = new AbortController();
  /** One load-and-follow attempt: aborted when the browser goes offline (the long-poll would hang). */
  private attempt = new AbortController();
  /** Wakes a retry's wait early (the browser is back online). */
  private wake = new AbortController();
  private cursor: string | undefined;
  private saving: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly api: Api,
    private readonly onUnauthorized: () => void = () => {},
    private readonly network: Network = browserNetwork(),
    private readonly snapshots: SnapshotStore | undefined = browserSnapshots(),
  ) {}

  /** Offline: say so at once and drop the waiting long-poll. */
  private readonly wentOffline = () => {
    this.set({ live: false, stale: this.state.loaded });
    this.attempt.abort();
  };

  /** Online again: retry now instead of after the back-off. */
  private readonly cameOnline = () => {
    this.wake.abort();
  };

  get current(): BoardState {
    return this.state;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  private set(patch: Partial<BoardState>) {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l(this.state);
  }

  /** Loads the board, then follows the change feed until stop(). */
  async start(): Promise<void> {
    const stopped = this.abort.signal;
    active = this;
    this.network.addEventListener('offline', this.wentOffline);
    this.network.addEventListener('online', this.cameOnline);
    try {
      while (!stopped.aborted) {
        this.attempt = new AbortController();
        this.wake = new AbortController();
        const signal = AbortSignal.any([stopped, this.attempt.signal]);
        try {
          if (!this.network.onLine) throw new Error('offline');
          await this.load(signal);
          await this.follow(signal);
        } catch (err) {
          if (stopped.aborted) return;
          // No network (fetch threw, or the browser is offline) and nothing shown yet: the saved board.
          if (!(err instanceof ApiError) && !this.state.loaded) await this.restore();
          if (isUnauthorized(err)) {
            this.set({ live: false });
            this.onUnauthorized();
            return;
          }
          if (this.network.onLine) {
            this.set({ live: false, stale: this.state.loaded, error: err instanceof Error ? err.message : String(err) });
            await sleep(RETRY_MS, AbortSignal.any([stopped, this.wake.signal]));
          } else {
            // Offline: no error to show (the badge says it); wait for the network to come back.
            this.set({ live: false, stale: this.state.loaded });
            await sleep(RETRY_MS * 30, AbortSignal.any([stopped, this.wake.signal]));
          }
        }
      }
    } finally {
      this.network.removeEventListener('offline', this.wentOffline);
      this.network.removeEventListener('online', this.cameOnline);
    }
  }

  stop(): void {
    this.abort.abort();
    if (active === this) active = undefined;
    if (this.saving) {
      clearTimeout(this.saving);
      void this.save();
    }
  }

  /** Shows the board as it was last saved for this vendor, marked stale. */
  private async restore(): Promise<void> {
    const snapshot = await this.snapshots?.board(this.api.vendorId).catch(() => undefined);
    if (!snapshot || this.state.loaded) return;
    this.set({
      vendor: snapshot.vendor,
      resources: snapshot.resources,
      dates: snapshot.dates,
      data: {
        bookings: new Map(snapshot.bookings.map((b) => [b.id, b])),
        units: new Map(snapshot.units.map((u) => [u.id, u])),
      },
      loaded: true,
      live: false,
      stale: true,
      savedAt: snapshot.savedAt,
    });
  }

  /** Writes the board to IndexedDB soon (at most once a second while the feed brings changes). */
  private saveSoon(): void {
    if (!this.snapshots || this.saving) return;
    this.saving = setTimeout(() => void this.save(), SAVE_MS);
  }

  private async save(): Promise<void> {
    this.saving = undefined;
    const { vendor, resources, data, dates, savedAt, loaded } = this.state;
    if (!this.snapshots || !vendor || !loaded) return;
    const snapshot: BoardSnapshot = {
      vendorId: this.api.vendorId,
      vendor,
      resources,
      bookings: [...data.bookings.values()],
      units: [...data.units.values()],
      dates,
      cursor: this.cursor,
      savedAt: savedAt ?? new Date().toISOString(),
    };
    // A full or unavailable IndexedDB costs the offline copy, never the live board.
    await this.snapshots.saveBoard(snapshot).catch(() => undefined);
  }

  /** Finds the feed's end first, then reads the board, so nothing committed in between is missed. */
  private async load(signal: AbortSignal): Promise<void> {
    this.cursor = await feedEnd(this.api, this.cursor, signal);
    const vendor = this.state.vendor ?? (await this.api.vendor());
    const today = todayIn(vendor.time_zone);
    const [resources, units, bookings] = await Promise.all([
      this.api.resources(),
      this.api.units({ date: today }),
      this.api.bookings(addDays(today, -LOOKBACK_DAYS), addDays(today, BOARD_DAYS - 1)),
    ]);
    this.set({
      vendor,
      resources,
      dates: dateRange(today, BOARD_DAYS),
      data: {
        bookings: new Map(bookings.map((b) => [b.id, b])),
        units: new Map(units.map((u) => [u.id, u])),
      },
      loaded: true,
      stale: false,
      savedAt: new Date().toISOString(),
      error: undefined,
    });
    this.saveSoon();
  }

  private async follow(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!this.state.live) this.set({ live: true, stale: false });
      let page;
      try {
        page = await this.api.changes(this.cursor, 20, signal);
      } catch (err) {
        if (err instanceof ApiError && err.status === 410) {
          this.cursor = err.problem.next;
          return; // start() reloads the board and follows from there
        }
        throw err;
      }
      this.cursor = page.next;
      if (page.changes.length === 0) {
        this.state = { ...this.state, savedAt: new Date().toISOString() };
        continue;
      }
      const applied = applyEntries(this.state.data, page.changes);
      this.set({ data: applied.data, dates: this.datesNow(), savedAt: new Date().toISOString() });
      if (applied.reload) await this.reloadUnitsAndTypes();
      await this.fetchNames(applied.fetchBookings);
      this.saveSoon();
    }
  }

  /** The window moves on at midnight in the vendor's zone. */
  private datesNow(): LocalDate[] {
    const zone = this.state.vendor?.time_zone;
    if (!zone) return this.state.dates;
    const today = todayIn(zone);
    return this.state.dates[0] === today ? this.state.dates : dateRange(today, BOARD_DAYS);
  }

  private async reloadUnitsAndTypes(): Promise<void> {
    const today = this.state.dates[0];
    const [resources, units] = await Promise.all([this.api.resources(), this.api.units({ date: today })]);
    this.set({ resources, data: { ...this.state.data, units: new Map(units.map((u) => [u.id, u])) } });
  }

  private async fetchNames(ids: string[]): Promise<void> {
    const records = await Promise.all(ids.map((id) => this.api.booking(id).catch(() => undefined)));
    const bookings = new Map(this.state.data.bookings);
    for (const record of records) {
      if (!record) continue;
      const held = bookings.get(record.id);
      if (held && held.version > record.version) {
        bookings.set(record.id, { ...held, desk_guest: record.desk_guest, guest_name: record.guest_name });
      } else {
        bookings.set(record.id, record as Booking);
      }
    }
    this.set({ data: { ...this.state.data, bookings } });
  }
}

/** Units for the housekeeping view, re-read when the feed says a unit changed. */
export async function loadHousekeepingUnits(api: Api): Promise<Unit[]> {
  const mine = await api.units({ mine: true });
  return mine.length > 0 ? mine : api.units();
}
