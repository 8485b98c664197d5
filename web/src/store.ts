// The board's state and the change-feed loop that keeps it live. Screens subscribe to it; later
// slices (walk-ins, check-in, the offline queue) act through the Api and let the feed bring the result.
import { Api, ApiError } from './api';
import { addDays, dateRange, todayIn } from './dates';
import { applyEntries, type BoardData } from './feed';
import type { Booking, LocalDate, Resource, Unit, Vendor } from './types';

export const BOARD_DAYS = 14;
/** Bookings are listed by arrival: reach back far enough to catch stays still running today. */
export const LOOKBACK_DAYS = 31;
const RETRY_MS = 2000;

export interface BoardState {
  vendor?: Vendor;
  resources: Resource[];
  data: BoardData;
  dates: LocalDate[];
  live: boolean;
  error?: string;
  loaded: boolean;
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
  };
  private listeners = new Set<Listener>();
  private abort = new AbortController();
  /** One load-and-follow attempt: aborted when the browser goes offline (the long-poll would hang). */
  private attempt = new AbortController();
  /** Wakes a retry's wait early (the browser is back online). */
  private wake = new AbortController();
  private cursor: string | undefined;

  constructor(
    private readonly api: Api,
    private readonly onUnauthorized: () => void = () => {},
    private readonly network: Network = browserNetwork(),
  ) {}

  /** Offline: say so at once and drop the waiting long-poll. */
  private readonly wentOffline = () => {
    this.set({ live: false });
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
          if (isUnauthorized(err)) {
            this.set({ live: false });
            this.onUnauthorized();
            return;
          }
          if (this.network.onLine) {
            this.set({ live: false, error: err instanceof Error ? err.message : String(err) });
            await sleep(RETRY_MS, AbortSignal.any([stopped, this.wake.signal]));
          } else {
            // Offline: no error to show (the badge says it); wait for the network to come back.
            this.set({ live: false });
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
      error: undefined,
    });
  }

  private async follow(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!this.state.live) this.set({ live: true });
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
      if (page.changes.length === 0) continue;
      const applied = applyEntries(this.state.data, page.changes);
      this.set({ data: applied.data, dates: this.datesNow() });
      if (applied.reload) await this.reloadUnitsAndTypes();
      await this.fetchNames(applied.fetchBookings);
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
