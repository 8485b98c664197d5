import { describe, expect, it } from 'vitest';
import { channelText, depositState, historyLines, statusText } from './history';
import type { Booking, HistoryItem } from './types';

const item = (version: number, extra: Partial<HistoryItem> = {}): HistoryItem => ({
  version,
  detail_type: 'BookingUpdated',
  occurred_at: `2026-03-12T1${version}:00:00Z`,
  status: 'CONFIRMED',
  time: { kind: 'stay', check_in: '2026-03-12', check_out: '2026-03-14' },
  unit: null,
  channel: 'walk_in',
  ...extra,
});
const eur = (amount_minor: number) => ({ amount_minor, currency: 'EUR' });

describe('statuses and channels in words', () => {
  it('names every status and channel in English and German, and shows an unknown code as sent', () => {
    expect(statusText('en', 'CHECKED_IN')).toBe('Checked in');
    expect(statusText('de', 'CHECKED_IN')).toBe('Eingecheckt');
    expect(statusText('de', 'NO_SHOW')).toBe('Nicht erschienen');
    expect(statusText('en', 'SOMETHING_NEW')).toBe('SOMETHING_NEW');
    expect(channelText('en', 'walk_in')).toBe('Walk-in');
    expect(channelText('de', 'phone')).toBe('Telefon');
    expect(channelText('en', 'kiosk')).toBe('kiosk');
  });
});

describe('a booking history in words', () => {
  it('tells the booking, the check-in to a room, a move, a payment and the check-out', () => {
    const items = [
      item(1, { detail_type: 'BookingHeld', status: 'HELD' }),
      item(2, { desk_payments: [{ amount: eur(12900), method: 'cash', taken_at: '2026-03-12T11:00:00Z' }] }),
      item(3, { status: 'CHECKED_IN', unit: { id: 'u102', number: '102' }, desk_payments: [{ amount: eur(12900), method: 'cash', taken_at: '' }] }),
      item(4, { status: 'CHECKED_IN', unit: { id: 'u104', number: '104' } }),
      item(5, { status: 'COMPLETED', unit: { id: 'u104', number: '104' } }),
    ];
    expect(historyLines('en', items).map((l) => l.text)).toEqual([
      'Booked: Held, Walk-in',
      'Now Confirmed; Payment recorded: €129.00, cash',
      'Checked in to room 102',
      'Moved from 102 to 104',
      'Checked out',
    ]);
    expect(historyLines('en', items)[0].at).toBe('2026-03-12T11:00:00Z');
  });

  it('tells changed dates, a room given before arrival, and a cancellation, in German', () => {
    const items = [
      item(1),
      item(2, { unit: { id: 'u101', number: '101' } }),
      item(3, { unit: { id: 'u101', number: '101' }, time: { kind: 'stay', check_in: '2026-03-13', check_out: '2026-03-15' } }),
      item(4, { status: 'CANCELLED', unit: null, time: { kind: 'stay', check_in: '2026-03-13', check_out: '2026-03-15' } }),
    ];
    expect(historyLines('de', items).map((l) => l.text)).toEqual([
      'Gebucht: Bestätigt, Laufkundschaft',
      'Zimmer 101 zugewiesen',
      'Daten geändert: 13. März bis 15. März',
      'Jetzt Storniert; Aus Zimmer 101 genommen',
    ]);
  });

  it('says Updated for a fact that changed nothing it shows, and is empty for no facts', () => {
    expect(historyLines('en', [item(1), item(2)])[1].text).toBe('Updated');
    expect(historyLines('en', [])).toEqual([]);
  });
});

describe('the deposit state', () => {
  const booking = (extra: Partial<Booking>): Booking => ({
    id: 'b',
    resource_id: 'dbl',
    channel: 'online',
    party_size: 2,
    units: 1,
    time: { kind: 'stay', check_in: '2026-03-12', check_out: '2026-03-14' },
    status: 'CONFIRMED',
    version: 1,
    ...extra,
  });

  it('reads none, due at the desk, due online, paid online, refunded with a fee kept, and kept', () => {
    expect(depositState('en', booking({ payment: { deposit: null } }))).toBe('none');
    expect(depositState('en', booking({ payment: { deposit: eur(2580) } }))).toBe('€25.80 due at the desk');
    expect(depositState('en', booking({ payment: { deposit: eur(2580) }, deposit_payment: { status: 'AWAITING_PAYMENT' } }))).toBe(
      '€25.80 due online, not paid yet',
    );
    expect(depositState('de', booking({ deposit_payment: { status: 'PAID', paid: eur(2580) } }))).toBe('25,80\u00a0€ online bezahlt');
    expect(
      depositState('en', booking({ deposit_payment: { status: 'REFUNDED', paid: eur(2580), settlement: { refund: eur(1580), kept: eur(1000) } } })),
    ).toBe('refunded: €15.80; €10.00 kept as a fee');
    expect(depositState('en', booking({ deposit_payment: { status: 'KEPT', paid: eur(2580), settlement: { refund: eur(0), kept: eur(2580) } } }))).toBe(
      '€25.80 kept as a fee',
    );
  });
});
