// A booking's detail, opened from its bar on the board: who, when, what it costs, its status,
// room and what was paid; and what the desk does with it (check in, check out, cancel). The
// record is read afresh on opening and after each action; the board follows through the feed.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api';
import { guestName } from '../board';
import { formatDay, formatInstant, formatMoney, t, type Key, type Lang } from '../i18n';
import type { Booking } from '../types';

type Action = 'checkIn' | 'checkOut' | 'cancel';

export function Detail({
  api,
  lang,
  id,
  zone,
  onClose,
}: {
  api: Api;
  lang: Lang;
  id: string;
  zone: string;
  onClose: () => void;
}) {
  const [booking, setBooking] = useState<Booking | undefined>();
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let live = true;
    setBooking(undefined);
    setNote(undefined);
    setFailure(undefined);
    api
      .booking(id)
      .then((b) => live && setBooking(b))
      .catch((err) => live && setFailure(t(lang, 'detail.failed', { detail: err instanceof Error ? err.message : String(err) })));
    return () => {
      live = false;
    };
  }, [id]);

  useEffect(() => heading.current?.focus(), [booking?.id]);

  const act = async (action: Action) => {
    if (!booking) return;
    setBusy(true);
    setFailure(undefined);
    try {
      let next: Booking;
      if (action === 'checkIn') {
        next = await api.checkIn(booking.id);
        setNote(t(lang, 'detail.checkedIn', { room: next.unit?.number ?? '?' }));
      } else if (action === 'checkOut') {
        next = await api.checkOut(booking.id);
        setNote(t(lang, 'detail.checkedOut', { room: next.unit?.number ?? booking.unit?.number ?? '?' }));
      } else {
        next = await api.setStatus(booking.id, 'CANCELLED');
        setNote(t(lang, 'detail.cancelled'));
      }
      setBooking({ ...booking, ...next });
    } catch (err) {
      setFailure(t(lang, 'detail.failed', { detail: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };

  const guest = booking ? guestName(booking, t(lang, 'board.guest')) : '';
  const stay = booking?.time.kind === 'stay' ? booking.time : undefined;
  const money = (m: { amount_minor: number; currency: string }) => formatMoney(lang, m.amount_minor, m.currency);
  const status = booking?.status;

  return (
    <section class="detail" aria-labelledby="detail-title" data-testid="booking-detail">
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
              <dd>
                {t(lang, 'board.cell.span', { from: formatDay(lang, stay.check_in), to: formatDay(lang, stay.check_out) })}
              </dd>
            </div>
          )}
          {booking.quote && (
            <div>
              <dt>{t(lang, 'detail.price')}</dt>
              <dd>{money(booking.quote.total)}</dd>
            </div>
          )}
          <div>
            <dt>{t(lang, 'detail.status')}</dt>
            <dd data-testid="detail-status">{booking.status}</dd>
          </div>
          <div>
            <dt>{t(lang, 'detail.channel')}</dt>
            <dd>{booking.channel}</dd>
          </div>
          <div>
            <dt>{t(lang, 'detail.room')}</dt>
            <dd data-testid="detail-room">{booking.unit?.number ?? t(lang, 'detail.noRoom')}</dd>
          </div>
          <div>
            <dt>{t(lang, 'detail.deposit')}</dt>
            <dd>{booking.payment?.deposit ? money(booking.payment.deposit) : t(lang, 'detail.noDeposit')}</dd>
          </div>
          <div>
            <dt>{t(lang, 'detail.payments')}</dt>
            <dd>
              {booking.desk_payments?.length
                ? booking.desk_payments
                    .map((p) =>
                      t(lang, 'detail.payment', {
                        amount: money(p.amount),
                        method: t(lang, `method.${p.method}` as Key),
                        at: formatInstant(lang, p.taken_at, zone),
                      }),
                    )
                    .join('; ')
                : t(lang, 'detail.noPayments')}
            </dd>
          </div>
        </dl>
      )}
      <p class="note" role="status" data-testid="detail-note">
        {note}
      </p>
      {failure && (
        <p class="error" role="alert">
          {failure}
        </p>
      )}
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
        {(status === 'HELD' || status === 'CONFIRMED') && (
          <button type="button" class="secondary" disabled={busy} onClick={() => void act('cancel')}>
            {t(lang, 'detail.cancel')}
          </button>
        )}
        <button type="button" class="secondary" onClick={onClose}>
          {t(lang, 'detail.close')}
        </button>
      </div>
    </section>
  );
}
