import { useEffect, useState } from 'preact/hooks';
import { Api } from '../api';
import { t, type Key, type Lang } from '../i18n';
import { loadHousekeepingUnits } from '../store';
import type { HousekeepingStatus, Unit } from '../types';

const ACTIONS: { status: HousekeepingStatus; key: Key }[] = [
  { status: 'clean', key: 'hk.clean' },
  { status: 'inspected', key: 'hk.inspected' },
  { status: 'dirty', key: 'hk.dirty' },
];

/** The housekeeper's rooms (their round, else every room), each with its status and the three reports. */
export function Housekeeping({ lang, api }: { lang: Lang; api: Api }) {
  const [units, setUnits] = useState<Unit[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();

  useEffect(() => {
    loadHousekeepingUnits(api)
      .then(setUnits)
      .catch((err: Error) => setError(t(lang, 'error.load', { detail: err.message })));
  }, []);

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
