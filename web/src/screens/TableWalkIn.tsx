// The restaurant walk-in or phone booking, in three steps: the party and its time (with what is
// free per table type at that slot), the guest, and the review that books (POST with an
// Idempotency-Key, then the desk hold confirmed) and, for a party arriving now, seats it at once
// (a desk check-in: the server gives the smallest clean table that seats the party). Offline, the
// free tables come from the saved board and the walk-in (and its seating) is queued instead.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, type Api } from '../api';
import { formatDay, t, type Key, type Lang } from '../i18n';
import { currentDesk, takeSeatingIntent } from '../offline/desk';
import type { SeatingBody } from '../offline/queue';
import { useOnline } from '../offline/ui';
import { boardState } from '../store';
import {
  checkSeating,
  defaultStart,
  seatingOffersFromBoard,
  seatingRequest,
  seatingStepOf,
  startTimes,
  type SeatingForm,
} from '../tables';
import type { Booking, LocalDate, Offer, Resource } from '../types';
import { fieldProblems, type FieldErrors } from '../walkin';

type Step = 1 | 2 | 3;

const newKey = () =>
  typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;

/** A field's message: an i18n key from the app's own checks, or the API's detail as sent. */
function message(lang: Lang, text: string): string {
  return /^(walkin|tables)\.err\./.test(text) ? t(lang, text as Key) : text;
}

function FieldError({ id, lang, errors, field }: { id: string; lang: Lang; errors: FieldErrors; field: string }) {
  const text = errors[field];
  return text ? (
    <p class="field-error" id={id}>
      {message(lang, text)}
    </p>
  ) : null;
}

const invalid = (errors: FieldErrors, field: string, id: string) =>
  errors[field] ? { 'aria-invalid': true as const, 'aria-describedby': id } : {};

/** What the saved board shows free at that slot; nothing for a day it does not hold. */
function savedOffers(party: number, date: LocalDate, time: string, zone: string): Offer[] {
  const board = boardState();
  if (!board?.loaded) return [];
  const offers = seatingOffersFromBoard(
    board.resources,
    [...board.data.units.values()],
    [...board.data.bookings.values()],
    party,
    date,
    time,
    zone,
  );
  return board.dates.includes(date) ? offers : offers.map((o) => ({ ...o, units_left: 0 }));
}

export function TableWalkIn({
  api,
  lang,
  today,
  day,
  zone,
  resources,
  onClose,
  onBooked,
}: {
  api: Api;
  lang: Lang;
  today: LocalDate;
  /** The day the board shows: the form starts there. */
  day: LocalDate;
  zone: string;
  resources: Resource[];
  onClose: () => void;
  onBooked: (booking: Booking, note: string) => void;
}) {
  const [step, setStep] = useState<Step>(1);
  // Opened by the conflicts list for a refused walk-in: the same guest, day, time and party.
  const [asked] = useState(takeSeatingIntent);
  const [form, setForm] = useState<SeatingForm>(() => {
    const date = asked?.form.date && asked.form.date >= today ? asked.form.date : day;
    return {
      time: defaultStart(startTimes(resources, date, zone), date === today),
      party: '2',
      resourceId: '',
      name: '',
      email: '',
      phone: '',
      channel: 'walk_in',
      ...asked?.form,
      date,
    };
  });
  const online = useOnline();
  /** Offline (or the API cannot be reached): free tables from the saved board, and the booking queued. */
  const [unreachable, setUnreachable] = useState(false);
  const offline = !online || unreachable;
  const [errors, setErrors] = useState<FieldErrors>({});
  const [offers, setOffers] = useState<Offer[] | undefined>();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | undefined>();
  // One key per request body: a retry of the same booking is recognised, a changed one is new.
  const key = useRef<{ body: string; key: string } | undefined>();
  const held = useRef<Booking | undefined>();
  const heading = useRef<HTMLHeadingElement>(null);

  const set = <K extends keyof SeatingForm>(field: K, value: SeatingForm[K]) => setForm((f) => ({ ...f, [field]: value }));

  useEffect(() => heading.current?.focus(), [step]);

  // Today's start times run out as slots begin: re-read them every 15 s.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);
  const times = useMemo(
    () => (/^\d{4}-\d{2}-\d{2}$/.test(form.date) ? startTimes(resources, form.date, zone, now) : []),
    [resources, form.date, zone, form.date === today ? now : 0],
  );
  // A new day keeps the time if it is still offered, else takes that day's default.
  useEffect(() => {
    if (!times.some((c) => c.time === form.time)) set('time', defaultStart(times, form.date === today));
  }, [times]);

  // What is free at that slot, re-read as the party or the time change.
  const seatingErrors = checkSeating(form, today);
  const seatingOk = Object.keys(seatingErrors).length === 0;
  useEffect(() => {
    if (!seatingOk) return setOffers(undefined);
    const abort = new AbortController();
    setOffers(undefined);
    const choose = (items: Offer[]) => {
      setOffers(items);
      setForm((f) => {
        const still = items.find((o) => o.resource_id === f.resourceId && o.units_left > 0);
        return still ? f : { ...f, resourceId: items.find((o) => o.units_left > 0)?.resource_id ?? '' };
      });
    };
    if (offline) {
      choose(savedOffers(Number(form.party), form.date, form.time, zone));
      return;
    }
    api
      .seatingAvailability(Number(form.party), form.date, form.time, abort.signal)
      .then((items) => {
        setErrors({});
        choose(items);
      })
      .catch((err) => {
        if (abort.signal.aborted) return;
        if (!(err instanceof ApiError)) return setUnreachable(true);
        setOffers([]);
        setErrors(fieldProblems(err.problem.errors));
      });
    return () => abort.abort();
  }, [form.date, form.time, form.party, seatingOk, offline]);

  // Back online: ask the API again.
  useEffect(() => {
    if (online) setUnreachable(false);
  }, [online]);

  /**
   * Puts the walk-in in the offline queue (confirmed when sent) and, for "Book and seat", the
   * party's check-in after it, both at once: the check-in waits on the booking the walk-in makes.
   */
  const queue = async (idempotencyKey: string, seat: boolean) => {
    const desk = currentDesk();
    if (!desk) throw new Error('no offline desk');
    const walkInId = newKey();
    const guest = form.name.trim();
    await desk.enqueueAll([
      {
        kind: 'walkIn',
        vendorId: desk.vendorId,
        body: seatingRequest(form) as unknown as SeatingBody,
        resourceName: offer?.name ?? '',
        id: walkInId,
        key: idempotencyKey,
      },
      ...(seat ? [{ kind: 'checkIn' as const, vendorId: desk.vendorId, dependsOn: walkInId, guest }] : []),
    ]);
    if (asked?.replaces) await desk.discard(asked.replaces);
    onClose();
  };

  const offer = offers?.find((o) => o.resource_id === form.resourceId);
  const arrivingNow = form.date === today && form.time === times[0]?.time;

  const next = (e: Event) => {
    e.preventDefault();
    const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
    if (step === 1) {
      const found = { ...seatingErrors };
      if (!offer || offer.units_left < 1) found.resource_id = 'tables.err.type';
      setErrors(found);
      if (Object.keys(found).length === 0) setStep(2);
    } else if (step === 2) {
      const found: FieldErrors = form.name.trim() ? {} : { 'guest.name': 'walkin.err.name' };
      setErrors(found);
      if (Object.keys(found).length === 0) setStep(3);
    } else {
      void book(submitter?.value === 'seat');
    }
  };

  /** Books (once per body), confirms the desk hold and, asked to, seats the party. */
  const book = async (seat: boolean) => {
    setBusy(true);
    setFailure(undefined);
    const request = seatingRequest(form);
    const body = JSON.stringify(request);
    if (key.current?.body !== body) {
      key.current = { body, key: newKey() };
      held.current = undefined;
    }
    let booking = held.current;
    try {
      if (!booking && offline) return await queue(key.current.key, seat);
      booking ??= await api.createBooking(request, key.current.key);
      held.current = booking;
    } catch (err) {
      // The network failed: queued with the same key, so a request that did arrive is found again.
      if (!(err instanceof ApiError) && !held.current) {
        try {
          return await queue(key.current.key, seat);
        } catch {
          // no offline queue here (no IndexedDB): say what failed, as before
        }
      }
      setBusy(false);
      if (err instanceof ApiError) {
        const fields = fieldProblems(err.problem.errors);
        if (Object.keys(fields).length > 0) {
          setErrors(fields);
          setStep(seatingStepOf(Object.keys(fields)));
          return;
        }
      }
      setFailure(t(lang, 'walkin.failed', { detail: err instanceof Error ? err.message : String(err) }));
      return;
    }
    const name = form.name.trim();
    let confirmed: Booking;
    try {
      confirmed = booking.status === 'HELD' ? { ...booking, ...(await api.setStatus(booking.id, 'CONFIRMED')) } : booking;
    } catch (err) {
      setBusy(false);
      setFailure(t(lang, 'walkin.heldOnly', { id: booking.id, detail: err instanceof Error ? err.message : String(err) }));
      return;
    }
    if (asked?.replaces) await currentDesk()?.discard(asked.replaces);
    const booked = t(lang, 'tables.walkin.booked', { name, date: formatDay(lang, form.date), time: form.time });
    if (!seat) return onBooked(confirmed, booked);
    try {
      const seated = await api.checkIn(confirmed.id);
      onBooked({ ...confirmed, ...seated }, t(lang, 'tables.walkin.seated', { name, table: seated.unit?.number ?? '?' }));
    } catch (err) {
      onBooked(confirmed, t(lang, 'tables.walkin.notSeated', { booked, detail: err instanceof Error ? err.message : String(err) }));
    }
  };

  const stepName = t(lang, `tables.walkin.step${step}` as Key);

  return (
    <section class="walkin" aria-labelledby="tw-title" data-testid="walk-in">
      <h2 id="tw-title" tabIndex={-1} ref={heading}>
        {t(lang, 'tables.walkin.title')} · {t(lang, 'walkin.step', { n: step, name: stepName })}
      </h2>
      <form onSubmit={next} noValidate>
        {step === 1 && (
          <>
            <div class="fields">
              <div class="field">
                <label for="tw-party">{t(lang, 'tables.walkin.party')}</label>
                <input
                  id="tw-party"
                  name="party_size"
                  type="number"
                  min={1}
                  inputMode="numeric"
                  value={form.party}
                  onInput={(e) => set('party', e.currentTarget.value)}
                  {...invalid(errors, 'party_size', 'tw-party-error')}
                />
                <FieldError id="tw-party-error" lang={lang} errors={errors} field="party_size" />
              </div>
              <div class="field">
                <label for="tw-date">{t(lang, 'tables.walkin.date')}</label>
                <input
                  id="tw-date"
                  name="date"
                  type="date"
                  min={today}
                  value={form.date}
                  onInput={(e) => set('date', e.currentTarget.value)}
                  {...invalid(errors, 'date', 'tw-date-error')}
                />
                <FieldError id="tw-date-error" lang={lang} errors={errors} field="date" />
              </div>
              <div class="field">
                <label for="tw-time">{t(lang, 'tables.walkin.time')}</label>
                <select
                  id="tw-time"
                  name="time"
                  value={form.time}
                  onChange={(e) => set('time', e.currentTarget.value)}
                  {...invalid(errors, 'time', 'tw-time-error')}
                >
                  {times.map((c) => (
                    <option key={c.time} value={c.time}>
                      {c.time}
                    </option>
                  ))}
                </select>
                <FieldError id="tw-time-error" lang={lang} errors={errors} field="time" />
              </div>
            </div>
            {times.length === 0 && <p>{t(lang, 'tables.walkin.noTimes')}</p>}
            <fieldset class="offers">
              <legend>{t(lang, 'tables.walkin.type')}</legend>
              {offline && (
                <p class="stale-notice" data-testid="offers-stale">
                  {t(lang, boardState()?.loaded ? 'offline.tablesStale' : 'offline.noBoard')}
                </p>
              )}
              {seatingOk && offers === undefined && <p role="status">{t(lang, 'tables.walkin.loading')}</p>}
              {offers?.length === 0 && <p>{t(lang, 'tables.walkin.noOffers')}</p>}
              {offers?.map((o) => (
                <label key={o.resource_id} class="offer">
                  <input
                    type="radio"
                    name="resource_id"
                    value={o.resource_id}
                    checked={form.resourceId === o.resource_id}
                    disabled={o.units_left < 1}
                    onChange={() => set('resourceId', o.resource_id)}
                  />{' '}
                  {o.units_left < 1
                    ? t(lang, 'walkin.soldOut', { name: o.name })
                    : t(lang, offline ? 'offline.tableOffer' : 'tables.walkin.offer', {
                        name: o.name,
                        capacity: o.capacity,
                        left: o.units_left,
                      })}
                </label>
              ))}
              <FieldError id="tw-type-error" lang={lang} errors={errors} field="resource_id" />
            </fieldset>
          </>
        )}
        {step === 2 && (
          <div class="fields">
            <div class="field">
              <label for="tw-name">{t(lang, 'walkin.name')}</label>
              <input
                id="tw-name"
                name="guest_name"
                autocomplete="off"
                required
                aria-required="true"
                value={form.name}
                onInput={(e) => set('name', e.currentTarget.value)}
                {...invalid(errors, 'guest.name', 'tw-name-error')}
              />
              <FieldError id="tw-name-error" lang={lang} errors={errors} field="guest.name" />
            </div>
            <div class="field">
              <label for="tw-email">{t(lang, 'walkin.email')}</label>
              <input
                id="tw-email"
                name="guest_email"
                type="email"
                autocomplete="off"
                value={form.email}
                onInput={(e) => set('email', e.currentTarget.value)}
                {...invalid(errors, 'guest.email', 'tw-email-error')}
              />
              <FieldError id="tw-email-error" lang={lang} errors={errors} field="guest.email" />
            </div>
            <div class="field">
              <label for="tw-phone">{t(lang, 'walkin.phone')}</label>
              <input
                id="tw-phone"
                name="guest_phone"
                type="tel"
                autocomplete="off"
                value={form.phone}
                onInput={(e) => set('phone', e.currentTarget.value)}
                {...invalid(errors, 'guest.phone', 'tw-phone-error')}
              />
              <FieldError id="tw-phone-error" lang={lang} errors={errors} field="guest.phone" />
            </div>
            <div class="field">
              <label for="tw-channel">{t(lang, 'walkin.channel')}</label>
              <select
                id="tw-channel"
                name="channel"
                value={form.channel}
                onChange={(e) => set('channel', e.currentTarget.value === 'phone' ? 'phone' : 'walk_in')}
              >
                <option value="walk_in">{t(lang, 'channel.walk_in')}</option>
                <option value="phone">{t(lang, 'channel.phone')}</option>
              </select>
            </div>
          </div>
        )}
        {step === 3 && (
          <dl class="review">
            <div>
              <dt>{t(lang, 'tables.walkin.step2')}</dt>
              <dd>
                {form.name.trim()} · {t(lang, `channel.${form.channel}`)}
              </dd>
            </div>
            <div>
              <dt>{t(lang, 'tables.walkin.step1')}</dt>
              <dd>
                {t(lang, 'tables.walkin.when', { date: formatDay(lang, form.date), time: form.time })},{' '}
                {t(lang, 'walkin.review.party', { n: form.party })}
              </dd>
            </div>
            <div>
              <dt>{t(lang, 'tables.walkin.type')}</dt>
              <dd>{offer?.name}</dd>
            </div>
          </dl>
        )}
        {step === 3 && offline && <p class="stale-notice">{t(lang, 'offline.tablesStale')}</p>}
        {failure && (
          <p class="error" role="alert">
            {failure}
          </p>
        )}
        <div class="walkin-actions">
          {step > 1 && (
            <button type="button" class="secondary" onClick={() => setStep((s) => (s - 1) as Step)} disabled={busy}>
              {t(lang, 'walkin.back')}
            </button>
          )}
          {step === 3 && arrivingNow && (
            <button type="submit" name="then" value="seat" disabled={busy}>
              {t(lang, offline ? 'offline.queueBookSeat' : 'tables.walkin.bookSeat')}
            </button>
          )}
          <button type="submit" name="then" value="book" class={step === 3 && arrivingNow ? 'secondary' : undefined} disabled={busy}>
            {step < 3
              ? t(lang, 'walkin.next')
              : busy
                ? t(lang, 'walkin.booking')
                : offline
                  ? t(lang, 'offline.queueBook')
                  : t(lang, 'walkin.book')}
          </button>
          <button type="button" class="secondary" onClick={onClose} disabled={busy}>
            {t(lang, 'walkin.cancel')}
          </button>
        </div>
      </form>
    </section>
  );
}
