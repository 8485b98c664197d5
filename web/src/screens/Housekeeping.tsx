import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api } from '../api';
import { applyBlockEntries, currentBlock, listedBlock, type KnownBlock } from '../blocks';
import { addDays, todayIn } from '../dates';
import { applyEntries } from '../feed';
import { formatDay, t, type Key, type Lang } from '../i18n';
import { browserNetwork, isUnauthorized, loadHousekeepingUnits } from '../store';
import type { HousekeepingStatus, LocalDate, Session, Unit } from '../types';
import { reportRoom, saveRooms, savedRooms } from '../offline/desk';
import { PendingStatus, StaleNotice } from '../offline/ui';

const ACTIONS: { status: HousekeepingStatus; key: Key }[] = [
  { status: 'clean', key: 'hk.clean' },
  { status: 'inspected', key: 'hk.inspected' },
  { status: 'dirty', key: 'hk.dirty' },
];

/** The reasons offered for out of order (the API takes short free text; no guest data). */
const REASONS = ['repair', 'deep_clean', 'pest_control', 'other'] as const;

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The housekeeper's rooms (their round, else every room), each with its status, the three
 * reports, and out of order (a block from a day to the day it is back) or back in order.
 */
export function Housekeeping({ lang, session, onSignedOut }: { lang: Lang; session: Session; onSignedOut: () => void }) {
  const api = useMemo(() => new Api(session), [session]);
  const [units, setUnits] = useState<Unit[]>();
  const [blocks, setBlocks] = useState<Map<string, KnownBlock>>(new Map());
  const [error, setError] = useState<string>();
  const [note, setNote] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const [live, setLive] = useState(false);
  const [staleAt, setStaleAt] = useState<string>();
  const [zone, setZone] = useState<string>();
  const [blocking, setBlocking] = useState<string>();
  const today: LocalDate = todayIn(zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);

  // Load the rooms and the blocks the feed knows (read from its start), then follow the feed
  // (housekeepers read its unit and block entries) so a room reported by someone else, made dirty
  // by a check-out or taken out of order changes here too. The browser's offline event drops the
  // waiting long-poll and says Offline at once; its online event retries at once.
  useEffect(() => {
    const stopped = new AbortController();
    const network = browserNetwork();
    let attempt = new AbortController();
    let wake = new AbortController();
    const wentOffline = () => {
      setLive(false);
      attempt.abort();
    };
    const cameOnline = () => wake.abort();
    network.addEventListener('offline', wentOffline);
    network.addEventListener('online', cameOnline);
    api
      .vendor()
      .then((v) => setZone(v.time_zone))
      .catch(() => {});
    (async () => {
      while (!stopped.signal.aborted) {
        attempt = new AbortController();
        wake = new AbortController();
        const signal = AbortSignal.any([stopped.signal, attempt.signal]);
        try {
          if (!network.onLine) throw new Error('offline');
          let cursor: string | undefined;
          let known = new Map<string, KnownBlock>();
          for (;;) {
            const page = await api.changes(cursor, 0, signal);
            known = applyBlockEntries(known, page.changes);
            cursor = page.next;
            if (page.changes.length === 0) break;
          }
          setBlocks(known);
          const loaded = await loadHousekeepingUnits(api);
          setUnits(loaded);
          void saveRooms(api.vendorId, loaded);
          setStaleAt(undefined);
          setError(undefined);
          setLive(true);
          while (!signal.aborted) {
            const page = await api.changes(cursor, 20, signal);
            cursor = page.next;
            if (page.changes.length === 0) continue;
            if (page.changes.some((c) => c.kind === 'block')) {
              setBlocks((held) => applyBlockEntries(held, page.changes));
              setUnits(await loadHousekeepingUnits(api)); // today's out-of-order statuses
              continue;
            }
            // Applied to the list as it is now, so a report just made here is not undone.
            setUnits((list) => {
              if (!list) return list;
              const applied = applyEntries({ bookings: new Map(), units: new Map(list.map((u) => [u.id, u])) }, page.changes);
              return list.map((u) => applied.data.units.get(u.id) ?? u);
            });
          }
        } catch (err) {
          if (stopped.signal.aborted) return;
          if (isUnauthorized(err)) return onSignedOut();
          setLive(false);
          // No network: the rooms as last loaded, marked stale (reports are queued meanwhile).
          void savedRooms(api.vendorId).then((saved) => {
            if (!saved) return;
            setUnits((held) => held ?? saved.units);
            setStaleAt((at) => at ?? saved.savedAt);
          });
          if (network.onLine) setError(t(lang, 'error.load', { detail: describe(err) }));
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, network.onLine ? 2000 : 60_000);
            AbortSignal.any([stopped.signal, wake.signal]).addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
      }
    })();
    return () => {
      stopped.abort();
      network.removeEventListener('offline', wentOffline);
      network.removeEventListener('online', cameOnline);
    };
  }, [api]);

  const report = async (unit: Unit, status: HousekeepingStatus) => {
    setBusy(unit.id);
    setError(undefined);
    try {
      const updated = await reportRoom(api, unit, status);
      if (!updated) return; // queued: the room shows it as pending
      setUnits((list) =>
        list?.map((u) =>
          u.id === unit.id
            ? { ...u, ...updated, status: u.status === 'out_of_order' ? 'out_of_order' : updated.housekeeping }
            : u,
        ),
      );
    } catch (err) {
      setError(t(lang, 'hk.failed', { room: unit.number, detail: describe(err) }));
    } finally {
      setBusy(undefined);
    }
  };

  const takeOut = async (unit: Unit, from: LocalDate, to: LocalDate, reason: string) => {
    setBusy(unit.id);
    setError(undefined);
    try {
      const block = await api.createBlock(unit.id, { from, to, reason });
      setBlocks((held) =>
        new Map(held).set(block.id, { id: block.id, unitId: unit.id, from: block.from, to: block.to, removed: false, version: 1 }),
      );
      if (from <= today) setUnits((list) => list?.map((u) => (u.id === unit.id ? { ...u, status: 'out_of_order' } : u)));
      setNote(t(lang, 'hk.ooo.done', { room: unit.number, to: formatDay(lang, block.to) }));
      setBlocking(undefined);
    } catch (err) {
      setError(t(lang, 'hk.failed', { room: unit.number, detail: describe(err) }));
    } finally {
      setBusy(undefined);
    }
  };

  const backInOrder = async (unit: Unit, block: KnownBlock) => {
    setBusy(unit.id);
    setError(undefined);
    try {
      await api.deleteBlock(unit.id, block.id);
      setBlocks((held) => new Map(held).set(block.id, { ...block, removed: true }));
      setUnits((list) => list?.map((u) => (u.id === unit.id && u.status === 'out_of_order' ? { ...u, status: u.housekeeping } : u)));
      setNote(t(lang, 'hk.ooo.backDone', { room: unit.number }));
    } catch (err) {
      setError(t(lang, 'hk.failed', { room: unit.number, detail: describe(err) }));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <main class="housekeeping">
      <div class="board-head">
        <h1>{t(lang, 'hk.title')}</h1>
        <p class={`live ${live ? 'on' : 'off'}`} data-testid="live-status" role="status">
          {live ? t(lang, 'live.live') : t(lang, 'live.offline')}
        </p>
      </div>
      {!live && <StaleNotice lang={lang} savedAt={staleAt} zone={zone} rooms />}
      <p class="note" role="status" data-testid="hk-note">
        {note}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {units && units.length === 0 && <p>{t(lang, 'hk.empty')}</p>}
      <ul class="hk-list">
        {units?.map((unit) => {
          // The feed knows a block's days; the unit list names the block in force even when the
          // feed no longer holds it (older than its retention), so it can still be ended.
          const block = currentBlock(blocks, unit.id, today) ?? listedBlock(unit, today);
          return (
            <li key={unit.id} data-testid={`hk-unit-${unit.number}`} class={`hk-unit status-${unit.status}`}>
              <h2>{t(lang, 'hk.room', { room: unit.number })}</h2>
              <p class="hk-status" aria-live="polite">
                {t(lang, `status.${unit.status}` as Key)}
              </p>
              <PendingStatus lang={lang} unitId={unit.id} />
              {block?.to && <p class="hk-until">{t(lang, 'hk.ooo.until', { to: formatDay(lang, block.to) })}</p>}
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
                {block ? (
                  <button type="button" class="secondary" disabled={busy === unit.id} onClick={() => void backInOrder(unit, block)}>
                    {t(lang, 'hk.ooo.back')}
                  </button>
                ) : (
                  <button
                    type="button"
                    class="secondary"
                    aria-expanded={blocking === unit.id}
                    disabled={busy === unit.id}
                    onClick={() => setBlocking(blocking === unit.id ? undefined : unit.id)}
                  >
                    {t(lang, 'hk.ooo.open')}
                  </button>
                )}
              </div>
              {blocking === unit.id && !block && (
                <OutOfOrderForm
                  lang={lang}
                  room={unit.number}
                  today={today}
                  busy={busy === unit.id}
                  onSave={(from, to, reason) => void takeOut(unit, from, to, reason)}
                  onClose={() => setBlocking(undefined)}
                />
              )}
            </li>
          );
        })}
      </ul>
    </main>
  );
}

/** From (today by default), the day it is back in order (tomorrow), and a reason. */
function OutOfOrderForm({
  lang,
  room,
  today,
  busy,
  onSave,
  onClose,
}: {
  lang: Lang;
  room: string;
  today: LocalDate;
  busy: boolean;
  onSave: (from: LocalDate, to: LocalDate, reason: string) => void;
  onClose: () => void;
}) {
  const [from, setFrom] = useState(today);
  const [to, setTo] = useState(addDays(today, 1));
  const [reason, setReason] = useState<string>(REASONS[0]);
  const [problem, setProblem] = useState<string>();
  const first = useRef<HTMLInputElement>(null);
  const id = `ooo-${room}`;

  useEffect(() => first.current?.focus(), []);

  return (
    <form
      class="hk-form"
      aria-labelledby={`${id}-title`}
      data-testid={`ooo-form-${room}`}
      noValidate
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onClose();
        }
      }}
      onSubmit={(e) => {
        e.preventDefault();
        if (!from || !to || to <= from) {
          setProblem(t(lang, 'hk.ooo.err.dates'));
          return;
        }
        setProblem(undefined);
        onSave(from, to, reason);
      }}
    >
      <h3 id={`${id}-title`}>{t(lang, 'hk.ooo.title', { room })}</h3>
      <div class="field">
        <label for={`${id}-from`}>{t(lang, 'hk.ooo.from')}</label>
        <input id={`${id}-from`} ref={first} type="date" min={today} value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={`${id}-to`}>{t(lang, 'hk.ooo.to')}</label>
        <input
          id={`${id}-to`}
          type="date"
          min={addDays(from || today, 1)}
          value={to}
          aria-invalid={problem ? 'true' : undefined}
          aria-describedby={problem ? `${id}-problem` : undefined}
          onInput={(e) => setTo(e.currentTarget.value)}
        />
        {problem && (
          <p id={`${id}-problem`} class="error">
            {problem}
          </p>
        )}
      </div>
      <div class="field">
        <label for={`${id}-reason`}>{t(lang, 'hk.ooo.reason')}</label>
        <select id={`${id}-reason`} value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
          {REASONS.map((r) => (
            <option key={r} value={r}>
              {t(lang, `hk.ooo.r.${r}` as Key)}
            </option>
          ))}
        </select>
      </div>
      <div class="hk-actions">
        <button type="submit" disabled={busy}>
          {t(lang, 'hk.ooo.save')}
        </button>
        <button type="button" class="secondary" onClick={onClose}>
          {t(lang, 'hk.ooo.cancel')}
        </button>
      </div>
    </form>
  );
}
