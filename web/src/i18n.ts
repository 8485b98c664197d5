// String tables and locale-aware formatting. Dates are formatted in the vendor's time zone.
export type Lang = 'en' | 'de';
export const LANGS: Lang[] = ['en', 'de'];

const en = {
  'app.title': 'Front desk',
  'lang.label': 'Language',
  'signin.title': 'Sign in',
  'signin.email': 'Email',
  'signin.password': 'Password',
  'signin.submit': 'Sign in',
  'signin.failed': 'Email or password is wrong.',
  'signin.limited': 'Too many attempts. Try again later.',
  'signin.error': 'Signing in did not work: {detail}',
  'signout': 'Sign out',
  'board.title': 'Board',
  'board.grid': 'Room board',
  'board.room': 'Room',
  'board.unassigned': 'Unassigned',
  'board.free': 'Free',
  'board.freeRow': 'Free {type}',
  'board.cell.free': 'Room {room}, {date}: free',
  'board.cell.booking': 'Room {room}, {date}: {guest}, {status}, {channel}',
  'board.cell.span': '{from} to {to}',
  'board.guest': 'Guest',
  'board.outOfOrder': 'out of order',
  'board.loading': 'Loading the board…',
  'board.noTypes': 'No room types yet.',
  'board.today': 'Today',
  'counts.arrivals': 'Arrivals',
  'counts.inHouse': 'In house',
  'counts.departures': 'Departures',
  'live.live': 'Live',
  'live.offline': 'Offline',
  'hk.title': 'Housekeeping',
  'hk.clean': 'Clean',
  'hk.inspected': 'Inspected',
  'hk.dirty': 'Dirty',
  'hk.room': 'Room {room}',
  'hk.empty': 'No rooms to show.',
  'hk.failed': 'Room {room} could not be updated: {detail}',
  'status.clean': 'clean',
  'status.inspected': 'inspected',
  'status.dirty': 'dirty',
  'status.out_of_order': 'out of order',
  'error.load': 'Loading failed: {detail}',
  'restaurant.later': 'The restaurant board comes in a later version.',
  'walkin.open': 'New booking',
  'walkin.title': 'New booking',
  'walkin.step': 'Step {n} of 3: {name}',
  'walkin.step1': 'Stay',
  'walkin.step2': 'Guest',
  'walkin.step3': 'Review and book',
  'walkin.checkIn': 'Check-in',
  'walkin.nights': 'Nights',
  'walkin.party': 'Guests',
  'walkin.type': 'Room type',
  'walkin.offer': '{name}: {left} free, {total}',
  'walkin.soldOut': '{name}: sold out',
  'walkin.loadingOffers': 'Looking for free rooms…',
  'walkin.noOffers': 'Nothing is free for those nights.',
  'walkin.name': 'Guest name',
  'walkin.email': 'Email (optional)',
  'walkin.phone': 'Phone (optional)',
  'walkin.channel': 'Channel',
  'channel.walk_in': 'Walk-in',
  'channel.phone': 'Phone',
  'walkin.settle': 'Payment',
  'walkin.settle.confirm': 'Confirm now, pay later',
  'walkin.settle.cash': 'Paid {total} in cash',
  'walkin.settle.card_terminal': 'Paid {total} by card terminal',
  'walkin.review.stay': '{from} to {to}, {nights} nights',
  'walkin.review.party': '{n} guests',
  'walkin.review.price': 'Price',
  'walkin.next': 'Next',
  'walkin.back': 'Back',
  'walkin.cancel': 'Close',
  'walkin.book': 'Book',
  'walkin.booking': 'Booking…',
  'walkin.booked': 'Booked: {name}, {from} to {to}.',
  'walkin.heldOnly': 'The booking {id} is held but not confirmed: {detail}',
  'walkin.failed': 'Booking did not work: {detail}',
  'walkin.err.date': 'Enter a date.',
  'walkin.err.past': 'Check-in cannot be in the past.',
  'walkin.err.nights': '1 to 30 nights.',
  'walkin.err.party': 'At least 1 guest.',
  'walkin.err.type': 'Choose a room type with a free room.',
  'walkin.err.name': 'The guest name is required.',
  'detail.title': 'Booking: {guest}',
  'detail.guest': 'Guest',
  'detail.contact': 'Contact',
  'detail.stay': 'Stay',
  'detail.price': 'Price',
  'detail.status': 'Status',
  'detail.channel': 'Channel',
  'detail.room': 'Room',
  'detail.noRoom': 'not assigned yet',
  'detail.deposit': 'Deposit due',
  'detail.noDeposit': 'none',
  'detail.payments': 'Paid at the desk',
  'detail.noPayments': 'nothing yet',
  'detail.payment': '{amount}, {method}, {at}',
  'method.cash': 'cash',
  'method.card_terminal': 'card terminal',
  'detail.checkIn': 'Check in',
  'detail.checkOut': 'Check out',
  'detail.cancel': 'Cancel booking',
  'detail.close': 'Close',
  'detail.loading': 'Loading the booking…',
  'detail.checkedIn': 'Checked in: room {room}.',
  'detail.checkedOut': 'Checked out: room {room} is now dirty.',
  'detail.cancelled': 'Cancelled.',
  'detail.failed': 'That did not work: {detail}',
};

export type Key = keyof typeof en;

const de: Record<Key, string> = {
  'app.title': 'Rezeption',
  'lang.label': 'Sprache',
  'signin.title': 'Anmelden',
  'signin.email': 'E-Mail',
  'signin.password': 'Passwort',
  'signin.submit': 'Anmelden',
  'signin.failed': 'E-Mail oder Passwort ist falsch.',
  'signin.limited': 'Zu viele Versuche. Bitte später erneut versuchen.',
  'signin.error': 'Die Anmeldung hat nicht funktioniert: {detail}',
  'signout': 'Abmelden',
  'board.title': 'Belegung',
  'board.grid': 'Zimmerbelegung',
  'board.room': 'Zimmer',
  'board.unassigned': 'Nicht zugewiesen',
  'board.free': 'Frei',
  'board.freeRow': 'Frei {type}',
  'board.cell.free': 'Zimmer {room}, {date}: frei',
  'board.cell.booking': 'Zimmer {room}, {date}: {guest}, {status}, {channel}',
  'board.cell.span': '{from} bis {to}',
  'board.guest': 'Gast',
  'board.outOfOrder': 'außer Betrieb',
  'board.loading': 'Belegung wird geladen…',
  'board.noTypes': 'Noch keine Zimmerkategorien.',
  'board.today': 'Heute',
  'counts.arrivals': 'Anreisen',
  'counts.inHouse': 'Im Haus',
  'counts.departures': 'Abreisen',
  'live.live': 'Live',
  'live.offline': 'Offline',
  'hk.title': 'Housekeeping',
  'hk.clean': 'Sauber',
  'hk.inspected': 'Geprüft',
  'hk.dirty': 'Schmutzig',
  'hk.room': 'Zimmer {room}',
  'hk.empty': 'Keine Zimmer.',
  'hk.failed': 'Zimmer {room} konnte nicht geändert werden: {detail}',
  'status.clean': 'sauber',
  'status.inspected': 'geprüft',
  'status.dirty': 'schmutzig',
  'status.out_of_order': 'außer Betrieb',
  'error.load': 'Laden fehlgeschlagen: {detail}',
  'restaurant.later': 'Die Tischbelegung kommt in einer späteren Version.',
  'walkin.open': 'Neue Buchung',
  'walkin.title': 'Neue Buchung',
  'walkin.step': 'Schritt {n} von 3: {name}',
  'walkin.step1': 'Aufenthalt',
  'walkin.step2': 'Gast',
  'walkin.step3': 'Prüfen und buchen',
  'walkin.checkIn': 'Anreise',
  'walkin.nights': 'Nächte',
  'walkin.party': 'Personen',
  'walkin.type': 'Zimmerkategorie',
  'walkin.offer': '{name}: {left} frei, {total}',
  'walkin.soldOut': '{name}: ausgebucht',
  'walkin.loadingOffers': 'Freie Zimmer werden gesucht…',
  'walkin.noOffers': 'Für diese Nächte ist nichts frei.',
  'walkin.name': 'Name des Gastes',
  'walkin.email': 'E-Mail (optional)',
  'walkin.phone': 'Telefon (optional)',
  'walkin.channel': 'Kanal',
  'channel.walk_in': 'Laufkundschaft',
  'channel.phone': 'Telefon',
  'walkin.settle': 'Zahlung',
  'walkin.settle.confirm': 'Jetzt bestätigen, später zahlen',
  'walkin.settle.cash': '{total} bar bezahlt',
  'walkin.settle.card_terminal': '{total} am Kartenterminal bezahlt',
  'walkin.review.stay': '{from} bis {to}, {nights} Nächte',
  'walkin.review.party': '{n} Personen',
  'walkin.review.price': 'Preis',
  'walkin.next': 'Weiter',
  'walkin.back': 'Zurück',
  'walkin.cancel': 'Schließen',
  'walkin.book': 'Buchen',
  'walkin.booking': 'Wird gebucht…',
  'walkin.booked': 'Gebucht: {name}, {from} bis {to}.',
  'walkin.heldOnly': 'Die Buchung {id} ist vorgemerkt, aber nicht bestätigt: {detail}',
  'walkin.failed': 'Die Buchung hat nicht funktioniert: {detail}',
  'walkin.err.date': 'Bitte ein Datum angeben.',
  'walkin.err.past': 'Die Anreise darf nicht in der Vergangenheit liegen.',
  'walkin.err.nights': '1 bis 30 Nächte.',
  'walkin.err.party': 'Mindestens 1 Person.',
  'walkin.err.type': 'Bitte eine Kategorie mit freiem Zimmer wählen.',
  'walkin.err.name': 'Der Name des Gastes fehlt.',
  'detail.title': 'Buchung: {guest}',
  'detail.guest': 'Gast',
  'detail.contact': 'Kontakt',
  'detail.stay': 'Aufenthalt',
  'detail.price': 'Preis',
  'detail.status': 'Status',
  'detail.channel': 'Kanal',
  'detail.room': 'Zimmer',
  'detail.noRoom': 'noch nicht zugewiesen',
  'detail.deposit': 'Anzahlung fällig',
  'detail.noDeposit': 'keine',
  'detail.payments': 'An der Rezeption bezahlt',
  'detail.noPayments': 'noch nichts',
  'detail.payment': '{amount}, {method}, {at}',
  'method.cash': 'bar',
  'method.card_terminal': 'Kartenterminal',
  'detail.checkIn': 'Einchecken',
  'detail.checkOut': 'Auschecken',
  'detail.cancel': 'Buchung stornieren',
  'detail.close': 'Schließen',
  'detail.loading': 'Buchung wird geladen…',
  'detail.checkedIn': 'Eingecheckt: Zimmer {room}.',
  'detail.checkedOut': 'Ausgecheckt: Zimmer {room} ist jetzt schmutzig.',
  'detail.cancelled': 'Storniert.',
  'detail.failed': 'Das hat nicht funktioniert: {detail}',
};

const tables: Record<Lang, Record<Key, string>> = { en, de };

/** The string for `key` in `lang`, with `{name}` placeholders filled from `params`. */
export function t(lang: Lang, key: Key, params: Record<string, string | number> = {}): string {
  const template = tables[lang][key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function isLang(v: unknown): v is Lang {
  return v === 'en' || v === 'de';
}

const LANG_KEY = 'desk.lang';

/** The language remembered in localStorage, else the browser's if it is one we have, else English. */
export function initialLang(storage: Pick<Storage, 'getItem'> | undefined, browser?: string): Lang {
  const saved = storage?.getItem(LANG_KEY);
  if (isLang(saved)) return saved;
  const base = browser?.slice(0, 2);
  return isLang(base) ? base : 'en';
}

export function rememberLang(storage: Pick<Storage, 'setItem'> | undefined, lang: Lang): void {
  storage?.setItem(LANG_KEY, lang);
}

const locales: Record<Lang, string> = { en: 'en-GB', de: 'de-DE' };

/** A local date (YYYY-MM-DD) as "12 March" / "12. März". Read at noon UTC so no zone shifts the day. */
export function formatDay(lang: Lang, date: string, options: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'long' }): string {
  return new Intl.DateTimeFormat(locales[lang], { ...options, timeZone: 'UTC' }).format(new Date(`${date}T12:00:00Z`));
}

/** A column header: weekday and day, e.g. "Thu 12". */
export function formatColumn(lang: Lang, date: string): string {
  return formatDay(lang, date, { weekday: 'short', day: 'numeric', month: 'numeric' });
}

/** An instant in the vendor's zone. */
export function formatInstant(lang: Lang, instant: string | Date, zone: string): string {
  return new Intl.DateTimeFormat(locales[lang], { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(
    typeof instant === 'string' ? new Date(instant) : instant,
  );
}

/** Money in minor units, in the vendor's currency. */
export function formatMoney(lang: Lang, amountMinor: number, currency: string): string {
  const fmt = new Intl.NumberFormat(locales[lang], { style: 'currency', currency });
  const digits = fmt.resolvedOptions().maximumFractionDigits ?? 2;
  return fmt.format(amountMinor / 10 ** digits);
}

export function formatNumber(lang: Lang, n: number): string {
  return new Intl.NumberFormat(locales[lang]).format(n);
}
