// The restaurant walk-in or phone booking, in three steps: the party and its time (with what is
// free per table type at that slot), the guest, and the review that books (POST with an
// Idempotency-Key, then the desk hold confirmed) and, for a party arriving now, seats it at once
// (a desk check-in: the server gives the smallest clean table that seats the party). Offline, the
// free tables come from the saved board and the walk-in (and its seating) is queued instead.
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Api } from '../api';
import { formatDay, t, type Key, type Lang } from '../i18n';
import { currentDesk, takeSeatingIntent } from '../offline/desk';
import type { SeatingBody } from '../offline/queue';
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
import type { FieldErrors } from '../walkin';
import { FieldError, InputField, invalid } from './walkin/fields';
import { GuestFields } from './walkin/GuestFields';
import { Offers } from './walkin/Offers';
import { StepButtons, WalkInFrame } from './walkin/Frame';
import { Review } from './walkin/Review';
import { detailOf, newKey, useBooking, useOffers, type Step } from './walkin/useBooking';

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
  const booking = useBooking(api, lang, seatingStepOf);
  const { step, setStep, offline, errors, setErrors, offers, busy, failure, heading } = booking;

  const set = <K extends keyof SeatingForm>(field: K, value: SeatingForm[K]) => setForm((f) => ({ ...f, [field]: value }));

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
  useOffers(
    booking,
    setForm,
    seatingOk,
    [form.date, form.time, form.party],
    () => savedOffers(Number(form.party), form.date, form.time, zone),
    (signal) =>
      api.seatingAvailability(Number(form.party), form.date, form.time, signal).then((items) => {
        setErrors({});
        return items;
      }),
  );

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
      booking.advance(found);
    } else if (step === 2) {
      const found: FieldErrors = form.name.trim() ? {} : { 'guest.name': 'walkin.err.name' };
      booking.advance(found);
    } else {
      void book(submitter?.value === 'seat');
    }
  };

  /** Books (once per body), confirms the desk hold and, asked to, seats the party. */
  const book = async (seat: boolean) => {
    const made = await booking.hold(seatingRequest(form), (key) => queue(key, seat));
    if (!made) return;
    const name = form.name.trim();
    let confirmed: Booking;
    try {
      const held = made.booking;
      confirmed = held.status === 'HELD' ? { ...held, ...(await api.setStatus(held.id, 'CONFIRMED')) } : held;
    } catch (err) {
      return booking.heldOnly(made.booking, err);
    }
    if (asked?.replaces) await currentDesk()?.discard(asked.replaces);
    const booked = t(lang, 'tables.walkin.booked', { name, date: formatDay(lang, form.date), time: form.time });
    if (!seat) return onBooked(confirmed, booked);
    try {
      const seated = await api.checkIn(confirmed.id);
      onBooked({ ...confirmed, ...seated }, t(lang, 'tables.walkin.seated', { name, table: seated.unit?.number ?? '?' }));
    } catch (err) {
      onBooked(confirmed, t(lang, 'tables.walkin.notSeated', { booked, detail: detailOf(err) }));
    }
  };

  const stepName = t(lang, `tables.walkin.step${step}` as Key);

  return (
    <WalkInFrame
      id="tw-title"
      lang={lang}
      title={t(lang, 'tables.walkin.title')}
      step={step}
      stepName={stepName}
      heading={heading}
      onSubmit={next}
    >
      {step === 1 && (
        <>
          <div class="fields">
            <InputField
              id="tw-party"
              label={t(lang, 'tables.walkin.party')}
              lang={lang}
              errors={errors}
              field="party_size"
              name="party_size"
              type="number"
              min={1}
              inputMode="numeric"
              value={form.party}
              onInput={(e) => set('party', e.currentTarget.value)}
            />
            <InputField
              id="tw-date"
              label={t(lang, 'tables.walkin.date')}
              lang={lang}
              errors={errors}
              field="date"
              name="date"
              type="date"
              min={today}
              value={form.date}
              onInput={(e) => set('date', e.currentTarget.value)}
            />
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
          <Offers
            lang={lang}
            legend={t(lang, 'tables.walkin.type')}
            offline={offline}
            stale="offline.tablesStale"
            loading={seatingOk && t(lang, 'tables.walkin.loading')}
            none={t(lang, 'tables.walkin.noOffers')}
            offers={offers}
            chosen={form.resourceId}
            onChoose={(id) => set('resourceId', id)}
            describe={(o) =>
              t(lang, offline ? 'offline.tableOffer' : 'tables.walkin.offer', {
                name: o.name,
                capacity: o.capacity,
                left: o.units_left,
              })
            }
            errorId="tw-type-error"
            errors={errors}
          />
        </>
      )}
      {step === 2 && <GuestFields prefix="tw" lang={lang} guest={form} errors={errors} set={set} />}
      {step === 3 && (
        <Review
          prefix="tables.walkin"
          lang={lang}
          guest={form}
          when={t(lang, 'tables.walkin.when', { date: formatDay(lang, form.date), time: form.time })}
          party={form.party}
          type={offer?.name}
        />
      )}
      {step === 3 && offline && <p class="stale-notice">{t(lang, 'offline.tablesStale')}</p>}
      <StepButtons
        lang={lang}
        step={step}
        busy={busy}
        offline={offline}
        onBack={() => setStep((s) => (s - 1) as Step)}
        onClose={onClose}
        failure={failure}
        before={
          step === 3 &&
          arrivingNow && (
            <button type="submit" name="then" value="seat" disabled={busy}>
              {t(lang, offline ? 'offline.queueBookSeat' : 'tables.walkin.bookSeat')}
            </button>
          )
        }
        submit={{ name: 'then', value: 'book', class: step === 3 && arrivingNow ? 'secondary' : undefined }}
      />
    </WalkInFrame>
  );
}
