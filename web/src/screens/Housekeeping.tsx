import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api } from '../api';
import { applyEntries } from '../feed';
import { t, type Key, type Lang } from '../i18n';
import { feedEnd, isUnauthorized, loadHousekeepingUnits } from '../store';
import type { HousekeepingStatus, Session, Unit } from '../types';

const ACTIONS: { status: HousekeepingStatus; key: Key }[] = [
  { status: 'clean', key: 'hk.clean' },
  { status: 'inspected', key: 'hk.inspected' },
  { status: 'dirty', key: 'hk.dirty' },
];

/** The housekeeper's rooms (their round, else every room), each with its status and the three reports. */
export function Housekeeping({ lang, session, onSignedOut }: { lang: Lang; session: Session; onSignedOut: () => void }) {
  const api = useMemo(() => new Api(session), [session]);
  const [units, setUnits] = useState<Unit[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();

  // Load the rooms, then follow the change feed (housekeepers read its unit entries) so a room
  // reported by someone else, or made dirty by a check-out, changes here too.
  useEffect(() => {
    const abort = new AbortController();
    const signal = abort.signal;
    (async () => {
      while (!signal.aborted) {
        try {
          let cursor = await feedEnd(api, undefined, signal);
          setUnits(await loadHousekeepingUnits(api));
          setError(undefined);
          while (!signal.aborted) {
            const page = await api.changes(cursor, 20, signal);
            cursor = page.next;
            if (page.changes.some((c) => c.kind === 'block')) break; // reload the statuses
            if (page.changes.length === 0) continue;
            // Applied to the list as it is now, so a report just made here is not undone.
            setUnits((list) => {
              if (!list) return list;
              const applied = applyEntries({ bookings: new Map(), units: new Map(list.map((u) => [u.id, u])) }, page.changes);
              return list.map((u) => applied.data.units.get(u.id) ?? u);
            });
          }
        } catch (err) {
          if (signal.aborted) return;
          if (isUnauthorized(err)) return onSignedOut();
          setError(t(lang, 'error.load', { detail: err instanceof Error ? err.message : String(err) }));
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      }
    })();
    return () => abort.abort();
  }, [api]);

  const report = async (unit: Unit, status: HousekeepingStatus) => {
    setBusy(unit.id);
    setError(undefined);
    try {
      const updated = await api.setHousekeeping(unit.id, status);
      setUnits((list) =>
        list?.map((u) =>
          u.id === unit.id
            ? { ...u, ...updated, status: u.status === 'out_of_order' ? 'out_of_order' : updated.housekeeping }
            : u,
        ),
      );
    } catch (err) {
      setError(t(lang, 'hk.failed', { room: unit.number, detail: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <main class="housekeeping">
      <h1>{t(lang, 'hk.title')}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {units && units.length === 0 && <p>{t(lang, 'hk.empty')}</p>}
      <ul class="hk-list">
        {units?.map((unit) => (
          <li key={unit.id} data-testid={`hk-unit-${unit.number}`} class={`hk-unit status-${unit.status}`}>
            <h2>{t(lang, 'hk.room', { room: unit.number })}</h2>
            <p class="hk-status" aria-live="polite">
              {t(lang, `status.${unit.status}` as Key)}
            </p>
            <div class="hk-actions" role="group" aria-label={t(lang, 'hk.room', { room: unit.number })}>
              {ACTIONS.map(({ status, key }) => (
                <button
                  type="button"
                  key={status}
                  aria-pressed={unit.housekeeping === status}
                  disabled={busy === unit.id}
                  onClick={() => report(unit, status)}
                >
                  {t(lang, key)}
                </button>
              ))}
            </div>
          </li>
        ))}
      </ul>
    </main>
  );
}
