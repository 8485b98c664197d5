// A booking's detail, a modal dialog opened from its bar on the board: who, when, what it costs,
// its status, room, deposit and what was paid, its history; and what the desk does with it (check
// in, check out, move, record a payment, cancel). The record and its history are read afresh on
// opening, after each action and when the board's copy of it changes (the feed).
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Api } from '../api';
import { guestName } from '../board';
import { channelText, depositState, historyLines, statusText, type HistoryLine } from '../history';
import { formatDay, formatInstant, formatMoney, t, type Key, type Lang } from '../i18n';
import { moveFailure, movable, type MoveTarget } from '../moves';
import { amountText, cancelSplit, currencyDigits, outstanding, parseAmount } from '../payment';
import type { Booking, HistoryItem } from '../types';
import { checkInOrOut } from '../offline/desk';
import { boardBooking } from '../store';
import { useReturnFocus } from './focus';

type Action = 'checkIn' | 'checkOut' | 'cancel';
type Method = 'cash' | 'card_terminal';

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Keeps Tab and Shift+Tab inside `root` (a modal dialog). */
function trapTab(e: KeyboardEvent, root: HTMLElement | null) {
  if (e.key !== 'Tab' || !root) return;
  const focusable = [...root.querySelectorAll<HTMLElement>('button, input, select, textarea, [tabindex="0"], a[href]')].filter(
    (el) => !el.hasAttribute('disabled') && el.offsetParent !== null,
  );
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (!first || !last) return;
  const active = document.activeElement;
  if (e.shiftKey && (active === first || !root.contains(active))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (active === last || !root.contains(active))) {
    e.preventDefault();
    first.focus();
  }
}

export function Detail({
  api,
  lang,
  id,
  zone,
  version,
  onClose,
  targetsFor = () => [],
}: {
  api: Api;
  lang: Lang;
  id: string;
  zone: string;
  /** The board's version of the booking: a newer one (from the feed) re-reads the detail. */
  version?: number;
  onClose: () => void;
  /** The rooms the booking could move to, from the board's data (none: no Move control). */
  targetsFor?: (booking: Booking) => MoveTarget[];
}) {
  const [booking, setBooking] = useState<Booking | undefined>();
  const [history, setHistory] = useState<HistoryItem[] | undefined>();
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const [confirming, setConfirming] = useState(false);
  /** The guest asked to cancel (phoned in): settled by the guest's terms, not the vendor's. */
  const [byGuest, setByGuest] = useState(false);
  const [paying, setPaying] = useState(false);
  const [moveChoice, setMoveChoice] = useState('auto');
  const dialog = useRef<HTMLElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const payButton = useRef<HTMLButtonElement>(null);
  const yesButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useReturnFocus();
  useEffect(() => {
    if (confirming) yesButton.current?.focus();
  }, [confirming]);

  /** The history, read again (up to 5 times, a second apart) until it has the booking's version. */
  const readHistory = async (wanted: number | undefined, live: () => boolean) => {
    for (let attempt = 0; attempt < 5 && live(); attempt += 1) {
      try {
        const read = await api.history(id);
        if (!live()) return;
        setHistory(read.items);
        const newest = read.items[read.items.length - 1]?.version ?? 0;
        if (wanted === undefined || newest >= wanted) return;
      } catch (err) {
        // Until the history endpoint is deployed the gateway answers 404: no history yet.
        if (live()) setHistory([]);
        if (!(err instanceof ApiError && err.status === 404)) return;
        if (wanted === undefined) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };

  const live = useRef(true);
  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);
  const isLive = () => live.current;

  const reload = async () => {
    const b = await api.booking(id);
    if (!isLive()) return;
    setBooking(b);
    void readHistory(b.version, isLive);
  };

  useEffect(() => {
    setBooking(undefined);
    setHistory(undefined);
    setNote(undefined);
    setFailure(undefined);
    reload().catch((err) => {
      // Offline: the board's copy, so a check-in or check-out can be queued.
      const saved = err instanceof ApiError ? undefined : boardBooking(id);
      if (saved && isLive()) return setBooking(saved);
      if (isLive()) setFailure(t(lang, 'detail.failed', { detail: describe(err) }));
    });
  }, [id]);

  // The board heard of a newer version (another desk, a payment, the night jobs): read it again.
  useEffect(() => {
    if (booking && version !== undefined && version > booking.version) void reload().catch(() => {});
  }, [version]);

  useEffect(() => heading.current?.focus(), [booking?.id]);

  const act = async (action: Action) => {
    if (!booking) return;
    setBusy(true);
    setFailure(undefined);
    try {
      let next: Booking;
      if (action === 'checkIn') {
        const sent = await checkInOrOut(api, booking, 'checkIn', guestName(booking, t(lang, 'board.guest')));
        if (!sent) return setNote(t(lang, 'offline.queuedCheckIn'));
        next = sent;
        const room = next.unit?.number ?? '?';
        setNote(booking.time.kind === 'seating' ? t(lang, 'tables.detail.seated', { table: room }) : t(lang, 'detail.checkedIn', { room }));
      } else if (action === 'checkOut') {
        const sent = await checkInOrOut(api, booking, 'checkOut', guestName(booking, t(lang, 'board.guest')));
        if (!sent) return setNote(t(lang, 'offline.queuedCheckOut'));
        next = sent;
        const room = next.unit?.number ?? booking.unit?.number ?? '?';
        setNote(booking.time.kind === 'seating' ? t(lang, 'tables.detail.left', { table: room }) : t(lang, 'detail.checkedOut', { room }));
      } else {
        next = await api.setStatus(booking.id, 'CANCELLED', byGuest ? 'guest' : undefined);
        setNote(t(lang, 'detail.cancelled'));
      }
      setBooking({ ...booking, ...next });
      // The button pressed may be gone with the new status (Check out after a check-out).
      returnFocus(() => heading.current);
      void readHistory(next.version, isLive);
    } catch (err) {
      setFailure(t(lang, 'detail.failed', { detail: describe(err) }));
    } finally {
      setBusy(false);
    }
  };

  const moveGuest = async () => {
    if (!booking) return;
    const target = targetsFor(booking).find((m) => m.unit.id === moveChoice);
    setBusy(true);
    setFailure(undefined);
    try {
      const next = await api.assignUnit(booking.id, target ? { unit_id: target.unit.id } : { auto: true });
      setBooking({ ...booking, ...next });
      setNote(t(lang, 'move.done', { guest: guestName(booking, t(lang, 'board.guest')), room: next.unit?.number ?? '?' }));
      setMoveChoice('auto');
      void readHistory(next.version, isLive);
    } catch (err) {
      setFailure(moveFailure(lang, err, target?.unit.number ?? '?'));
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      if (confirming) closeConfirm();
      else if (paying) closePayment();
      else onClose();
      return;
    }
    trapTab(e, confirming ? dialog.current?.querySelector<HTMLElement>('[role="alertdialog"]') ?? null : dialog.current);
  };

  const closeConfirm = () => {
    setConfirming(false);
    returnFocus(() => cancelButton.current);
  };
  const closePayment = () => {
    setPaying(false);
    returnFocus(() => payButton.current);
  };

  const guest = booking ? guestName(booking, t(lang, 'board.guest')) : '';
  const stay = booking?.time.kind === 'stay' ? booking.time : undefined;
  const stayText = stay ? t(lang, 'board.cell.span', { from: formatDay(lang, stay.check_in), to: formatDay(lang, stay.check_out) }) : '';
  const money = (m: { amount_minor: number; currency: string }) => formatMoney(lang, m.amount_minor, m.currency);
  const status = booking?.status;
  const deskPaid = booking?.desk_payments ?? [];
  const targets = booking && movable(booking) ? targetsFor(booking) : [];
  const lines: HistoryLine[] = history ? historyLines(lang, history) : [];
  const currency = booking?.deposit_payment?.paid?.currency ?? booking?.quote?.total.currency ?? 'EUR';
  // What cancelling now does to a deposit paid online, by the booking's terms (the server decides).
  const split =
    booking && confirming
      ? cancelSplit(booking, byGuest ? 'guest' : 'vendor', new Date(), booking.time.kind === 'seating' ? 30 : 12 * 60)
      : undefined;

  return (
    <div class="dialog-backdrop">
      <section
        class="detail"
        role="dialog"
        aria-modal="true"
        aria-labelledby="detail-title"
        data-testid="booking-detail"
        ref={dialog}
        onKeyDown={onKeyDown}
      >
        <h2 id="detail-title" tabIndex={-1} ref={heading}>
          {booking ? t(lang, 'detail.title', { guest }) : t(lang, 'detail.loading')}
        </h2>
        {booking && (
          <dl class="review">
            <div>
              <dt>{t(lang, 'detail.guest')}</dt>
              <dd data-testid="detail-guest">
                {guest}, {t(lang, 'walkin.review.party', { n: booking.party_size })}
              </dd>
            </div>
            {(booking.desk_guest?.email || booking.desk_guest?.phone) && (
              <div>
                <dt>{t(lang, 'detail.contact')}</dt>
                <dd>{[booking.desk_guest?.email, booking.desk_guest?.phone].filter(Boolean).join(', ')}</dd>
              </div>
            )}
            {stay && (
              <div>
                <dt>{t(lang, 'detail.stay')}</dt>
                <dd>{stayText}</dd>
              </div>
            )}
            {booking.time.kind === 'seating' && (
              <div>
                <dt>{t(lang, 'tables.detail.when')}</dt>
                <dd data-testid="detail-seating">
                  {t(lang, 'tables.walkin.when', { date: formatDay(lang, booking.time.date), time: booking.time.time })}
                </dd>
              </div>
            )}
            {booking.quote && (
              <div>
                <dt>{t(lang, 'detail.price')}</dt>
                <dd data-testid="detail-price">{money(booking.quote.total)}</dd>
              </div>
            )}
            <div>
              <dt>{t(lang, 'detail.status')}</dt>
              <dd data-testid="detail-status" data-status={booking.status}>
                {statusText(lang, booking.status)}
              </dd>
            </div>
            <div>
              <dt>{t(lang, 'detail.channel')}</dt>
              <dd>{channelText(lang, booking.channel)}</dd>
            </div>
            <div>
              <dt>{t(lang, booking.time.kind === 'seating' ? 'tables.detail.table' : 'detail.room')}</dt>
              <dd data-testid="detail-room">{booking.unit?.number ?? t(lang, 'detail.noRoom')}</dd>
            </div>
            <div>
              <dt>{t(lang, 'detail.depositState')}</dt>
              <dd data-testid="detail-deposit">{depositState(lang, booking)}</dd>
            </div>
            <div>
              <dt>{t(lang, 'detail.payments')}</dt>
              <dd data-testid="detail-payments">
                {deskPaid.length ? (
                  <ul class="plain">
                    {deskPaid.map((p) => (
                      <li key={p.taken_at}>
                        {t(lang, 'detail.payment', {
                          amount: money(p.amount),
                          method: t(lang, `method.${p.method}` as Key),
                          at: formatInstant(lang, p.taken_at, zone),
                        })}
                      </li>
                    ))}
                  </ul>
                ) : (
                  t(lang, 'detail.noPayments')
                )}
              </dd>
            </div>
          </dl>
        )}
        <p class="note" role="status" data-testid="detail-note">
          {note}
        </p>
        {failure && (
          <p class="error" role="alert" data-testid="detail-error">
            {failure}
          </p>
        )}
        {booking && paying && (
          <PaymentForm
            api={api}
            lang={lang}
            booking={booking}
            onDone={(next, text) => {
              setBooking({ ...booking, ...next });
              setNote(text);
              void readHistory(next.version, isLive);
              closePayment();
            }}
            onClose={closePayment}
          />
        )}
        {booking && targets.length > 0 && !paying && (
          <div class="move-control">
            <label for="detail-move">{t(lang, 'detail.move.label')}</label>
            <select id="detail-move" value={moveChoice} onChange={(e) => setMoveChoice(e.currentTarget.value)}>
              <option value="auto">{t(lang, 'detail.move.any')}</option>
              {targets
                .filter((m) => m.free)
                .map((m) => (
                  <option key={m.unit.id} value={m.unit.id}>
                    {t(lang, 'detail.move.option', { room: m.unit.number, state: t(lang, 'move.free') })}
                  </option>
                ))}
            </select>
            <button type="button" disabled={busy} onClick={() => void moveGuest()}>
              {t(lang, 'detail.move.open')}
            </button>
          </div>
        )}
        {!paying && (
          <div class="walkin-actions">
            {status === 'CONFIRMED' && (
              <button type="button" disabled={busy} onClick={() => void act('checkIn')}>
                {t(lang, 'detail.checkIn')}
              </button>
            )}
            {status === 'CHECKED_IN' && (
              <button type="button" disabled={busy} onClick={() => void act('checkOut')}>
                {t(lang, 'detail.checkOut')}
              </button>
            )}
            {(status === 'HELD' || status === 'CONFIRMED' || status === 'CHECKED_IN' || status === 'COMPLETED') && (
              <button type="button" class="secondary" ref={payButton} disabled={busy} onClick={() => setPaying(true)}>
                {t(lang, 'detail.pay.open')}
              </button>
            )}
            {(status === 'HELD' || status === 'CONFIRMED') && (
              <button
                type="button"
                class="secondary"
                ref={cancelButton}
                disabled={busy}
                onClick={() => {
                  setByGuest(false);
                  setConfirming(true);
                }}
              >
                {t(lang, 'detail.cancel')}
              </button>
            )}
            <button type="button" class="secondary" onClick={onClose}>
              {t(lang, 'detail.close')}
            </button>
          </div>
        )}
        <h3 id="detail-history">{t(lang, 'detail.history')}</h3>
        <ol class="history" aria-label={t('en', 'detail.history')} data-testid="detail-history">
          {history && lines.length === 0 && <li class="empty">{t(lang, 'detail.noHistory')}</li>}
          {lines.map((line, i) => (
            <li key={i}>
              <time dateTime={line.at}>{formatInstant(lang, line.at, zone)}</time> {line.text}
            </li>
          ))}
        </ol>
        {booking && confirming && (
          <div
            class="confirm"
            role="alertdialog"
            aria-modal="true"
            aria-labelledby="cancel-title"
            aria-describedby="cancel-text"
            data-testid="cancel-confirm"
          >
            <h3 id="cancel-title">{t(lang, 'detail.cancel.title')}</h3>
            <div id="cancel-text">
              <p>{t(lang, 'detail.cancel.text', { guest, stay: stayText })}</p>
              {split && split.kept === 0 && (
                <p data-testid="cancel-fee">{t(lang, 'detail.cancel.refund', { amount: money({ amount_minor: split.refund, currency }) })}</p>
              )}
              {split && split.kept > 0 && (
                <p data-testid="cancel-fee">
                  {t(lang, 'detail.cancel.fee', {
                    kept: money({ amount_minor: split.kept, currency }),
                    refund: money({ amount_minor: split.refund, currency }),
                  })}
                </p>
              )}
              {deskPaid.length > 0 && (
                <p>
                  {t(lang, 'detail.cancel.desk', {
                    amount: money({
                      amount_minor: deskPaid.reduce((sum, p) => sum + p.amount.amount_minor, 0),
                      currency: deskPaid[0].amount.currency,
                    }),
                  })}
                </p>
              )}
            </div>
            {split && (
              <label class="offer">
                <input type="checkbox" checked={byGuest} onChange={(e) => setByGuest(e.currentTarget.checked)} />
                {t(lang, 'detail.cancel.byGuest')}
              </label>
            )}
            <div class="walkin-actions">
              <button
                type="button"
                ref={yesButton}
                onClick={() => {
                  setConfirming(false);
                  void act('cancel').then(() => heading.current?.focus());
                }}
              >
                {t(lang, 'detail.cancel.yes')}
              </button>
              <button type="button" class="secondary" onClick={closeConfirm}>
                {t(lang, 'detail.cancel.keep')}
              </button>
            </div>
          </div>
        )}
      </section>
    </div>
  );
}

/** "Record payment": an amount in the booking's currency, cash or card terminal, and for a desk
 * hold whether it also confirms it; one Idempotency-Key per amount, method and confirm chosen. */
function PaymentForm({
  api,
  lang,
  booking,
  onDone,
  onClose,
}: {
  api: Api;
  lang: Lang;
  booking: Booking;
  onDone: (next: Booking, note: string) => void;
  onClose: () => void;
}) {
  const currency = booking.quote?.total.currency ?? booking.payment?.deposit?.currency ?? 'EUR';
  const digits = currencyDigits(currency);
  const separator = lang === 'de' ? ',' : '.';
  const open = outstanding(booking.quote?.total.amount_minor ?? 0, (booking.desk_payments ?? []).map((p) => p.amount.amount_minor));
  const [amount, setAmount] = useState(open > 0 ? amountText(open, digits, separator) : '');
  const [method, setMethod] = useState<Method>('cash');
  const [confirm, setConfirm] = useState(booking.status === 'HELD');
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const key = useRef<{ body: string; key: string } | undefined>();
  const amountField = useRef<HTMLInputElement>(null);

  useEffect(() => amountField.current?.focus(), []);

  const save = async (e: Event) => {
    e.preventDefault();
    const minor = parseAmount(amount, digits);
    if (minor === undefined) {
      setProblem(t(lang, 'detail.pay.err.amount', { digits }));
      amountField.current?.focus();
      return;
    }
    const body = { amount_minor: minor, currency, method, confirm: booking.status === 'HELD' && confirm };
    const text = JSON.stringify(body);
    // The same payment sent again (after a network error) carries the same key: recorded once.
    if (key.current?.body !== text) key.current = { body: text, key: crypto.randomUUID() };
    setBusy(true);
    setProblem(undefined);
    try {
      const next = await api.recordPayment(booking.id, body, key.current.key);
      onDone(next, t(lang, 'detail.pay.done', { amount: formatMoney(lang, minor, currency) }));
    } catch (err) {
      const named = err instanceof ApiError ? err.problem.errors?.find((p) => p.pointer === '/amount_minor') : undefined;
      setProblem(named?.detail ?? t(lang, 'detail.failed', { detail: describe(err) }));
      amountField.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="payment" aria-labelledby="pay-title" onSubmit={save} noValidate data-testid="payment-form">
      <h3 id="pay-title">{t(lang, 'detail.pay.title')}</h3>
      <div class="fields">
        <div class="field">
          <label for="pay-amount">{t(lang, 'detail.pay.amount', { currency })}</label>
          <input
            id="pay-amount"
            ref={amountField}
            inputMode="decimal"
            autoComplete="off"
            value={amount}
            aria-invalid={problem ? 'true' : undefined}
            aria-describedby={problem ? 'pay-problem' : undefined}
            onInput={(e) => setAmount(e.currentTarget.value)}
          />
          {problem && (
            <p id="pay-problem" class="error">
              {problem}
            </p>
          )}
        </div>
        <fieldset class="field">
          <legend>{t(lang, 'detail.pay.method')}</legend>
          {(['cash', 'card_terminal'] as Method[]).map((m) => (
            <label key={m} class="offer">
              <input type="radio" name="pay-method" value={m} checked={method === m} onChange={() => setMethod(m)} />
              {t(lang, `method.${m}` as Key)}
            </label>
          ))}
        </fieldset>
        {booking.status === 'HELD' && (
          <label class="offer">
            <input type="checkbox" checked={confirm} onChange={(e) => setConfirm(e.currentTarget.checked)} />
            {t(lang, 'detail.pay.confirm')}
          </label>
        )}
      </div>
      <div class="walkin-actions">
        <button type="submit" disabled={busy}>
          {t(lang, 'detail.pay.save')}
        </button>
        <button type="button" class="secondary" onClick={onClose}>
          {t(lang, 'detail.pay.cancel')}
        </button>
      </div>
    </form>
  );
}
