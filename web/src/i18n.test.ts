import { describe, expect, it } from 'vitest';
import { formatDay, formatMoney, initialLang, rememberLang, t } from './i18n';
import { addDays, todayIn } from './dates';

describe('i18n', () => {
  it('looks strings up per language and fills placeholders', () => {
    expect(t('en', 'board.title')).toBe('Board');
    expect(t('de', 'board.title')).toBe('Belegung');
    expect(t('en', 'board.cell.booking', { room: '214', date: '12 March', guest: 'Ada Lovelace', status: 'CHECKED_IN', channel: 'walk_in' })).toBe(
      'Room 214, 12 March: Ada Lovelace, CHECKED_IN, walk_in',
    );
  });

  it('chooses the plural form the language asks for', () => {
    expect(t('en', 'tables.party', { n: 1 })).toBe('1 guest');
    expect(t('en', 'tables.party', { n: 2 })).toBe('2 guests');
    expect(t('en', 'tables.party', { n: 0 })).toBe('0 guests');
    expect(t('de', 'walkin.review.party', { n: 1 })).toBe('1 Person');
    expect(t('de', 'walkin.review.party', { n: 3 })).toBe('3 Personen');
  });

  it('remembers the switch, and otherwise follows the browser when it can', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    expect(initialLang(storage, 'de-AT')).toBe('de');
    expect(initialLang(storage, 'fr-FR')).toBe('en');
    rememberLang(storage, 'de');
    expect(initialLang(storage, 'en-US')).toBe('de');
  });

  it('formats dates and money per locale', () => {
    expect(formatDay('en', '2026-03-12')).toBe('12 March');
    expect(formatDay('de', '2026-03-12')).toBe('12. März');
    expect(formatMoney('de', 12900, 'EUR')).toBe('129,00\u00a0€');
    expect(formatMoney('en', 500, 'JPY')).toBe('JP¥500');
  });
});

describe('dates', () => {
  it("takes today in the vendor's zone, not the browser's", () => {
    const late = new Date('2026-03-12T23:30:00Z');
    expect(todayIn('UTC', late)).toBe('2026-03-12');
    expect(todayIn('Europe/Berlin', late)).toBe('2026-03-13');
    expect(todayIn('America/New_York', late)).toBe('2026-03-12');
  });

  it('adds days across month ends', () => {
    expect(addDays('2026-02-27', 2)).toBe('2026-03-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});
