// What the desk sees of its offline queue: the top bar's count and conflicts button, the list of
// actions waiting to be sent, the stale board's notice and a bar's "Check-in pending" mark.
import { useEffect, useState } from 'preact/hooks';
import { formatDay, formatInstant, t, type Key, type Lang } from '../i18n';
import { currentDesk, onIntent } from './desk';
import { isSeating, type Action, type Reason } from './queue';
import type { Desk, DeskState } from './sync';

const EMPTY: DeskState = { queue: [], conflicts: [], ready: false, syncing: false };

/** The desk's queue and conflicts, re-rendered as they change. */
export function useDeskState(desk: Desk | undefined = currentDesk()): DeskState {
  const [state, setState] = useState<DeskState>(desk?.current ?? EMPTY);
  useEffect(() => (desk ? desk.subscribe(setState) : undefined), [desk]);
  return desk ? state : EMPTY;
}

/** The browser's online state, as it changes. */
export function useOnline(): boolean {
  const [online, setOnline] = useState(() => typeof navigator === 'undefined' || navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  return online;
}

/** The browser's own zone, where there is no vendor's (the housekeeping view). */
export const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** An action in words: who, what and when, in the desk's language. */
export function describeAction(lang: Lang, action: Action): string {
  switch (action.kind) {
    case 'walkIn':
      // A restaurant's seating is named by its day and time; a hotel's stay by its nights.
      if (isSeating(action.body)) {
        return t(lang, 'offline.action.seating', {
          guest: action.body.guest.name,
          date: formatDay(lang, action.body.date),
          time: action.body.time,
          party: action.body.party_size,
          type: action.resourceName,
        });
      }
      return t(lang, 'offline.action.walkIn', {
        guest: action.body.guest.name,
        from: formatDay(lang, action.body.check_in),
        to: formatDay(lang, action.body.check_out),
        type: action.resourceName,
      });
    case 'checkIn':
      return t(lang, 'offline.action.checkIn', { guest: action.guest });
    case 'checkOut':
      return t(lang, 'offline.action.checkOut', { guest: action.guest });
    case 'roomStatus':
      return t(lang, 'offline.action.roomStatus', { room: action.room, status: t(lang, `status.${action.status}` as Key) });
  }
}

/** Each refusal's reason in words (a reason with no words does not compile). */
export const REASON_KEY: Record<Reason, Key> = {
  soldOut: 'conflict.reason.soldOut',
  changed: 'conflict.reason.changed',
  roomTaken: 'conflict.reason.roomTaken',
  notAllowed: 'conflict.reason.notAllowed',
  notFound: 'conflict.reason.notFound',
  invalid: 'conflict.reason.invalid',
  dependency: 'conflict.reason.dependency',
};

/** The top bar's part: "<n> pending" while the queue is not empty, and the conflicts button. */
export function OfflineBar({ lang, desk, open, onConflicts }: { lang: Lang; desk: Desk; open: boolean; onConflicts: () => void }) {
  const { queue, conflicts } = useDeskState(desk);
  return (
    <>
      {queue.length > 0 && (
        <span class="pending-count" data-testid="pending-count" role="status">
          {t(lang, 'offline.pending', { n: queue.length })}
        </span>
      )}
      {conflicts.length > 0 && (
        <button type="button" class="conflicts-button" data-testid="conflicts-button" aria-expanded={open} onClick={onConflicts}>
          {t(lang, 'conflict.button', { n: conflicts.length })}
        </button>
      )}
    </>
  );
}

/** The actions waiting to be sent, in the order they will go; a queued walk-in's guest can be checked in after it. */
export function PendingList({ lang, desk }: { lang: Lang; desk: Desk }) {
  const { queue } = useDeskState(desk);
  if (queue.length === 0) return null;
  return (
    <section class="pending" aria-labelledby="pending-title" data-testid="pending-list">
      <h2 id="pending-title">{t(lang, 'offline.pendingList')}</h2>
      <ol>
        {queue.map((action) => (
          <li key={action.id} data-testid={`pending-${action.id}`}>
            <span id={`pending-text-${action.id}`}>{describeAction(lang, action)}</span>
            {action.kind === 'walkIn' && !queue.some((a) => a.kind === 'checkIn' && a.dependsOn === action.id) && (
              <>
                {' '}
                <button
                  type="button"
                  class="secondary small"
                  aria-describedby={`pending-text-${action.id}`}
                  onClick={() =>
                    void desk.enqueue({ kind: 'checkIn', vendorId: desk.vendorId, dependsOn: action.id, guest: action.body.guest.name })
                  }
                >
                  {t(lang, 'offline.queueCheckIn')}
                </button>
              </>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** "Offline: showing the board as of <time>" over a board that may be out of date. */
export function StaleNotice({ lang, savedAt, zone, rooms = false }: { lang: Lang; savedAt?: string; zone?: string; rooms?: boolean }) {
  if (!savedAt) return null;
  const time = formatInstant(lang, savedAt, zone ?? localZone());
  return (
    <p class="stale-notice" data-testid="stale-notice">
      {t(lang, rooms ? 'offline.staleRooms' : 'offline.stale', { time })}
    </p>
  );
}

/** A booking's queued check-in or check-out, marked on its bar (the server has not decided yet). */
export function PendingMark({ lang, bookingId }: { lang: Lang; bookingId: string }) {
  const { queue } = useDeskState();
  const pending = queue.find((a) => (a.kind === 'checkIn' || a.kind === 'checkOut') && a.bookingId === bookingId);
  if (!pending) return null;
  return (
    <span class="pending-mark">
      {' '}
      {t(lang, pending.kind === 'checkIn' ? 'offline.checkInPending' : 'offline.checkOutPending')}
    </span>
  );
}

/** A room's queued status, for the housekeeping item. */
export function pendingStatus(state: DeskState, unitId: string): Action | undefined {
  return [...state.queue].reverse().find((a) => a.kind === 'roomStatus' && a.unitId === unitId);
}

/**
 * The board opens what the conflicts list asks for: the walk-in form (prefilled), or a booking.
 * `form` says which walk-in form this board has: a hotel's stay or a restaurant's seating.
 */
export function useIntents(openWalkIn: () => void, openDetail: (bookingId: string) => void, form: 'walkIn' | 'seating' = 'walkIn'): void {
  useEffect(
    () =>
      onIntent((intent) => {
        if (intent.kind === 'detail') openDetail(intent.bookingId);
        else if (intent.kind === form) openWalkIn();
      }),
    [],
  );
}

/** "<status> pending" on a housekeeping item whose report is queued. */
export function PendingStatus({ lang, unitId }: { lang: Lang; unitId: string }) {
  const pending = pendingStatus(useDeskState(), unitId);
  if (pending?.kind !== 'roomStatus') return null;
  return (
    <p class="pending-mark" data-testid={`pending-status-${pending.room}`}>
      {t(lang, 'offline.statusPending', { status: t(lang, `status.${pending.status}` as Key) })}
    </p>
  );
}

/** For a cell's label: ", Check-in pending" after a booking whose check-in (or check-out) is queued. */
export function usePendingLabel(lang: Lang): (bookingId: string) => string {
  const { queue } = useDeskState();
  return (bookingId) => {
    const pending = queue.find((a) => (a.kind === 'checkIn' || a.kind === 'checkOut') && a.bookingId === bookingId);
    if (!pending) return '';
    return `, ${t(lang, pending.kind === 'checkIn' ? 'offline.checkInPending' : 'offline.checkOutPending')}`;
  };
}
