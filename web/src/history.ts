// A booking's facts in words, and the API's status, channel and deposit codes in the user's
// language. Pure (strings come from i18n), so it is unit-tested.
import { formatDay, formatMoney, t, type Key, type Lang } from './i18n';
import type { Booking, BookingStatus, Channel, DepositStatus, HistoryItem } from './types';

const STATUSES: BookingStatus[] = ['HELD', 'CONFIRMED', 'CHECKED_IN', 'COMPLETED', 'CANCELLED', 'EXPIRED', 'NO_SHOW'];
const CHANNELS: Channel[] = ['online', 'walk_in', 'phone', 'front_desk'];
const DEPOSITS: DepositStatus[] = [
  'AWAITING_PAYMENT', 'PAID', 'REFUND_DUE', 'REFUND_PENDING', 'REFUNDED', 'REFUND_FAILED', 'KEPT', 'VOIDED',
];

/** A booking status in words ("Checked in"); a code this app does not know is shown as sent. */
export function statusText(lang: Lang, status: string): string {
  return (STATUSES as string[]).includes(status) ? t(lang, `detail.st.${status}` as Key) : status;
}

export function channelText(lang: Lang, channel: string): string {
  return (CHANNELS as string[]).includes(channel) ? t(lang, `detail.ch.${channel}` as Key) : channel;
}

export function depositStatusText(lang: Lang, status: string): string {
  return (DEPOSITS as string[]).includes(status) ? t(lang, `detail.dep.${status}` as Key) : status;
}

/**
 * The deposit's state as the desk reads it: nothing asked, due (at the desk, or online and not
 * paid yet), paid online, given back, or kept.
 */
export function depositState(lang: Lang, booking: Booking): string {
  const money = (m: { amount_minor: number; currency: string }) => formatMoney(lang, m.amount_minor, m.currency);
  const due = booking.payment?.deposit;
  const paid = booking.deposit_payment;
  if (!paid) return due ? t(lang, 'detail.depositDueDesk', { amount: money(due) }) : t(lang, 'detail.noDeposit');
  const kept = paid.settlement?.kept;
  const refund = paid.refund?.amount ?? paid.settlement?.refund;
  switch (paid.status) {
    case 'AWAITING_PAYMENT':
      return t(lang, 'detail.depositAwaiting', { amount: due ? money(due) : '' });
    case 'PAID':
      return t(lang, 'detail.depositPaid', { amount: paid.paid ? money(paid.paid) : due ? money(due) : '' });
    case 'KEPT':
      return t(lang, 'detail.depositKept', { amount: kept ? money(kept) : paid.paid ? money(paid.paid) : '' });
    case 'REFUNDED':
    case 'REFUND_DUE':
    case 'REFUND_PENDING': {
      const text = t(lang, 'detail.depositRefunded', {
        state: depositStatusText(lang, paid.status),
        amount: refund ? money(refund) : '',
      });
      return kept && kept.amount_minor > 0 ? `${text}; ${t(lang, 'detail.depositFee', { amount: money(kept) })}` : text;
    }
    default:
      return depositStatusText(lang, paid.status);
  }
}

export interface HistoryLine {
  at: string;
  text: string;
}

/** Each fact in words, comparing it with the one before (room moves, dates, payments). */
export function historyLines(lang: Lang, items: HistoryItem[]): HistoryLine[] {
  return items.map((item, i) => {
    const before = items[i - 1];
    const parts: string[] = [];
    const room = item.unit?.number;
    const wasRoom = before?.unit?.number;
    if (!before) {
      parts.push(
        t(lang, 'detail.h.booked', {
          status: statusText(lang, item.status),
          channel: item.channel ? channelText(lang, item.channel) : '',
        }),
      );
      if (room) parts.push(t(lang, 'detail.h.putIn', { room }));
    } else {
      const statusChanged = item.status !== before.status;
      if (statusChanged && item.status === 'CHECKED_IN') {
        parts.push(room ? t(lang, 'detail.h.checkedInTo', { room }) : t(lang, 'detail.h.checkedIn'));
      } else if (statusChanged && item.status === 'COMPLETED') {
        parts.push(t(lang, 'detail.h.checkedOut'));
      } else if (statusChanged) {
        parts.push(t(lang, 'detail.h.status', { status: statusText(lang, item.status) }));
      }
      const roomChanged = room !== wasRoom && !(statusChanged && item.status === 'CHECKED_IN' && !wasRoom);
      if (roomChanged && room && wasRoom) parts.push(t(lang, 'detail.h.moved', { from: wasRoom, to: room }));
      else if (roomChanged && room) parts.push(t(lang, 'detail.h.putIn', { room }));
      else if (roomChanged && wasRoom && item.status !== 'COMPLETED') parts.push(t(lang, 'detail.h.takenOut', { room: wasRoom }));
      if (item.time && before.time && JSON.stringify(item.time) !== JSON.stringify(before.time)) {
        parts.push(
          item.time.kind === 'stay'
            ? t(lang, 'detail.h.datesTo', { from: formatDay(lang, item.time.check_in), to: formatDay(lang, item.time.check_out) })
            : t(lang, 'detail.h.dates'),
        );
      }
      const paidNow = item.desk_payments ?? [];
      for (const p of paidNow.slice((before.desk_payments ?? []).length)) {
        parts.push(
          t(lang, 'detail.h.payment', {
            amount: formatMoney(lang, p.amount.amount_minor, p.amount.currency),
            method: t(lang, `method.${p.method}` as Key),
          }),
        );
      }
      if (item.deposit_status && item.deposit_status !== before.deposit_status) {
        parts.push(t(lang, 'detail.h.deposit', { state: depositStatusText(lang, item.deposit_status) }));
      }
      if (parts.length === 0) parts.push(t(lang, 'detail.h.updated'));
    }
    return { at: item.occurred_at, text: parts.join('; ') };
  });
}
