// The walk-in booking, in three steps: the stay (with what is free per type), the guest, and the
// review that books (POST with an Idempotency-Key), then confirms the desk hold or records the
// payment that confirms it. Each step is a form: Enter submits it, every control is labelled,
// and a problem from the API is shown next to the field it names. Offline, the free rooms come
// from the saved board and "Queue booking" puts the walk-in in the offline queue instead.
import { useState } from 'preact/hooks';
import type { Api } from '../api';
import { formatDay, formatMoney, t, type Key, type Lang } from '../i18n';
import { currentDesk, takeWalkInIntent } from '../offline/desk';
import type { WalkInBody } from '../offline/queue';
import { boardState } from '../store';
import type { Booking, LocalDate } from '../types';
import {
  bookingRequest,
  checkGuest,
  checkOut,
  checkStay,
  newForm,
  offersFromBoard,
  stepOf,
  type Settle,
  type WalkInForm,
} from '../walkin';
import { InputField } from './walkin/fields';
import { GuestFields } from './walkin/GuestFields';
import { Offers } from './walkin/Offers';
import { StepButtons, WalkInFrame } from './walkin/Frame';
import { Review } from './walkin/Review';
import { useBooking, useOffers, type Step } from './walkin/useBooking';

export function WalkIn({
  api,
  lang,
  today,
  onClose,
  onBooked,
}: {
  api: Api;
  lang: Lang;
  today: LocalDate;
  onClose: () => void;
  onBooked: (booking: Booking, note: string) => void;
}) {
  // Opened by the conflicts list for a refused walk-in: the same guest, dates and party.
  const [asked] = useState(takeWalkInIntent);
  const [form, setForm] = useState<WalkInForm>(() => ({ ...newForm(today), ...asked?.form }));
  const booking = useBooking(api, lang, stepOf);
  const { step, setStep, offline, errors, offers, busy, failure, heading } = booking;

  const set = <K extends keyof WalkInForm>(field: K, value: WalkInForm[K]) => setForm((f) => ({ ...f, [field]: value }));

  // What is free for those nights, re-read as the stay changes.
  const stayErrors = checkStay(form, today);
  const stayOk = Object.keys(stayErrors).length === 0;
  const out = checkOut(form);
  useOffers(
    booking,
    setForm,
    stayOk,
    [form.checkIn, form.nights, form.party],
    () => offersFromBoard(boardState(), form.checkIn, out),
    (signal) => api.availability(Number(form.party), form.checkIn, out, signal),
  );

  /** Puts the walk-in in the offline queue (confirmed when sent; paid at the desk later). */
  const queue = async (idempotencyKey: string) => {
    const desk = currentDesk();
    if (!desk) throw new Error('no offline desk');
    await desk.enqueue(
      {
        kind: 'walkIn',
        vendorId: desk.vendorId,
        body: bookingRequest(form) as unknown as WalkInBody,
        resourceName: offer?.name ?? '',
      },
      { key: idempotencyKey },
    );
    if (asked?.replaces) await desk.discard(asked.replaces);
    onClose();
  };

  const offer = offers?.find((o) => o.resource_id === form.resourceId);
  const total = offer ? formatMoney(lang, offer.quote.total.amount_minor, offer.quote.total.currency) : '';

  const next = (e: Event) => {
    e.preventDefault();
    if (step === 1) {
      const found = { ...stayErrors };
      if (!offer || offer.units_left < 1) found.resource_id = 'walkin.err.type';
      booking.advance(found);
    } else if (step === 2) {
      booking.advance(checkGuest(form));
    } else {
      void book();
    }
  };

  /** Books (once per body), then confirms the desk hold or records the payment that confirms it. */
  const book = async () => {
    const made = await booking.hold(bookingRequest(form), queue);
    if (!made) return;
    try {
      const confirmed =
        form.settle === 'confirm' || !offer
          ? await api.setStatus(made.booking.id, 'CONFIRMED')
          : await api.recordPayment(
              made.booking.id,
              { ...offer.quote.total, method: form.settle, confirm: true },
              `${made.key}-payment`,
            );
      if (asked?.replaces) await currentDesk()?.discard(asked.replaces);
      onBooked(
        { ...made.booking, ...confirmed },
        t(lang, 'walkin.booked', { name: form.name.trim(), from: formatDay(lang, form.checkIn), to: formatDay(lang, out) }),
      );
    } catch (err) {
      booking.heldOnly(made.booking, err);
    }
  };

  const stepName = t(lang, `walkin.step${step}` as Key);
  const nights = Number(form.nights);

  return (
    <WalkInFrame
      id="walkin-title"
      lang={lang}
      title={t(lang, 'walkin.title')}
      step={step}
      stepName={stepName}
      heading={heading}
      onSubmit={next}
    >
      {step === 1 && (
        <>
          <div class="fields">
            <InputField
              id="wi-check-in"
              label={t(lang, 'walkin.checkIn')}
              lang={lang}
              errors={errors}
              field="check_in"
              name="check_in"
              type="date"
              min={today}
              value={form.checkIn}
              onInput={(e) => set('checkIn', e.currentTarget.value)}
            />
            <InputField
              id="wi-nights"
              label={t(lang, 'walkin.nights')}
              lang={lang}
              errors={{ ...errors, nights: errors.nights ?? errors.check_out }}
              field="nights"
              name="nights"
              type="number"
              min={1}
              max={30}
              inputMode="numeric"
              value={form.nights}
              onInput={(e) => set('nights', e.currentTarget.value)}
            />
            <InputField
              id="wi-party"
              label={t(lang, 'walkin.party')}
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
          </div>
          <Offers
            lang={lang}
            legend={t(lang, 'walkin.type')}
            offline={offline}
            stale="offline.offersStale"
            loading={stayOk && t(lang, 'walkin.loadingOffers')}
            none={t(lang, 'walkin.noOffers')}
            offers={offers}
            chosen={form.resourceId}
            onChoose={(id) => set('resourceId', id)}
            describe={(o) =>
              offline
                ? t(lang, 'offline.offer', { name: o.name, left: o.units_left })
                : t(lang, 'walkin.offer', {
                    name: o.name,
                    left: o.units_left,
                    total: formatMoney(lang, o.quote.total.amount_minor, o.quote.total.currency),
                  })
            }
            errorId="wi-type-error"
            errors={errors}
          />
        </>
      )}
      {step === 2 && <GuestFields prefix="wi" lang={lang} guest={form} errors={errors} set={set} />}
      {step === 3 && (
        <>
          <Review
            prefix="walkin"
            lang={lang}
            guest={form}
            when={t(lang, 'walkin.review.stay', { from: formatDay(lang, form.checkIn), to: formatDay(lang, out), nights })}
            party={form.party}
            type={offer?.name}
          >
            {!offline && (
              <div>
                <dt>{t(lang, 'walkin.review.price')}</dt>
                <dd>{total}</dd>
              </div>
            )}
          </Review>
          {offline && <p class="stale-notice">{t(lang, 'offline.offersStale')}</p>}
          <div class={offline ? 'hidden' : 'field'}>
            <label for="wi-settle">{t(lang, 'walkin.settle')}</label>
            <select
              id="wi-settle"
              name="settle"
              value={form.settle}
              onChange={(e) => set('settle', e.currentTarget.value as Settle)}
            >
              <option value="confirm">{t(lang, 'walkin.settle.confirm')}</option>
              <option value="cash">{t(lang, 'walkin.settle.cash', { total })}</option>
              <option value="card_terminal">{t(lang, 'walkin.settle.card_terminal', { total })}</option>
            </select>
          </div>
        </>
      )}
      <StepButtons
        lang={lang}
        step={step}
        busy={busy}
        offline={offline}
        onBack={() => setStep((s) => (s - 1) as Step)}
        onClose={onClose}
        failure={failure}
      />
    </WalkInFrame>
  );
}
