// The walk-in booking, in three steps: the stay (with what is free per type), the guest, and the
// review that books (POST with an Idempotency-Key), then confirms the desk hold or records the
// payment that confirms it. Each step is a form: Enter submits it, every control is labelled,
// and a problem from the API is shown next to the field it names. Offline, the free rooms come
// from the saved board and "Queue booking" puts the walk-in in the offline queue instead.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Api } from '../api';
import { formatDay, formatMoney, t, type Key, type Lang } from '../i18n';
import { currentDesk, takeWalkInIntent } from '../offline/desk';
import type { WalkInBody } from '../offline/queue';
import { boardState } from '../store';
import type { Booking, LocalDate, Offer } from '../types';
import {
  bookingRequest,
  checkGuest,
  checkOut,
  checkStay,
  fieldProblems,
  newForm,
  offersFromBoard,
  stepOf,
  type FieldErrors,
  type Settle,
  type WalkInForm,
} from '../walkin';

type Step = 1 | 2 | 3;

const newKey = () =>
  typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;

/** A field's message: an i18n key from the app's own checks, or the API's detail as sent. */
function message(lang: Lang, text: string): string {
  return text.startsWith('walkin.err.') ? t(lang, text as Key) : text;
}

function FieldError({ id, lang, errors, field }: { id: string; lang: Lang; errors: FieldErrors; field: string }) {
  const text = errors[field];
  return text ? (
    <p class="field-error" id={id}>
      {message(lang, text)}
    </p>
  ) : null;
}

/** The browser's online state, as it changes. */
function useOnline(): boolean {
  const [online, setOnline] = useState(() => typeof navigator === 'undefined' || navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  return online;
}

/** Props for an input whose problem (if any) is described by its error line. */
const invalid = (errors: FieldErrors, field: string, id: string) =>
  errors[field] ? { 'aria-invalid': true as const, 'aria-describedby': id } : {};

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
  const [step, setStep] = useState<Step>(1);
  // Opened by the conflicts list for a refused walk-in: the same guest, dates and party.
  const [asked] = useState(takeWalkInIntent);
  const [form, setForm] = useState<WalkInForm>(() => ({ ...newForm(today), ...asked?.form }));
  const online = useOnline();
  /** Offline (or the API cannot be reached): free rooms from the saved board, and the booking queued. */
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

  const set = <K extends keyof WalkInForm>(field: K, value: WalkInForm[K]) => setForm((f) => ({ ...f, [field]: value }));

  useEffect(() => heading.current?.focus(), [step]);

  // What is free for those nights, re-read as the stay changes.
  const stayErrors = checkStay(form, today);
  const stayOk = Object.keys(stayErrors).length === 0;
  const out = checkOut(form);
  useEffect(() => {
    if (!stayOk) return setOffers(undefined);
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
      choose(offersFromBoard(boardState(), form.checkIn, out));
      return;
    }
    api
      .availability(Number(form.party), form.checkIn, out, abort.signal)
      .then((items) => {
        setOffers(items);
        setForm((f) => {
          const still = items.find((o) => o.resource_id === f.resourceId && o.units_left > 0);
          return still ? f : { ...f, resourceId: items.find((o) => o.units_left > 0)?.resource_id ?? '' };
        });
      })
      .catch((err) => {
        if (abort.signal.aborted) return;
        if (!(err instanceof ApiError)) return setUnreachable(true);
        setOffers([]);
        setErrors(fieldProblems(err.problem.errors));
      });
    return () => abort.abort();
  }, [form.checkIn, form.nights, form.party, stayOk, offline]);

  // Back online: ask the API again.
  useEffect(() => {
    if (online) setUnreachable(false);
  }, [online]);

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
      setErrors(found);
      if (Object.keys(found).length === 0) setStep(2);
    } else if (step === 2) {
      const found = checkGuest(form);
      setErrors(found);
      if (Object.keys(found).length === 0) setStep(3);
    } else {
      void book();
    }
  };

  const book = async () => {
    setBusy(true);
    setFailure(undefined);
    const request = bookingRequest(form);
    const body = JSON.stringify(request);
    if (key.current?.body !== body) {
      key.current = { body, key: newKey() };
      held.current = undefined;
    }
    let booking = held.current;
    try {
      if (!booking && offline) return await queue(key.current.key);
      booking ??= await api.createBooking(request, key.current.key);
      held.current = booking;
    } catch (err) {
      // The network failed: queued with the same key, so a request that did arrive is found again.
      if (!(err instanceof ApiError) && !held.current) {
        try {
          return await queue(key.current.key);
        } catch {
          // no offline queue here (no IndexedDB): say what failed, as before
        }
      }
      setBusy(false);
      if (err instanceof ApiError) {
        const fields = fieldProblems(err.problem.errors);
        if (Object.keys(fields).length > 0) {
          setErrors(fields);
          setStep(stepOf(Object.keys(fields)));
          return;
        }
      }
      setFailure(t(lang, 'walkin.failed', { detail: err instanceof Error ? err.message : String(err) }));
      return;
    }
    try {
      const confirmed =
        form.settle === 'confirm' || !offer
          ? await api.setStatus(booking.id, 'CONFIRMED')
          : await api.recordPayment(
              booking.id,
              { ...offer.quote.total, method: form.settle, confirm: true },
              `${key.current.key}-payment`,
            );
      if (asked?.replaces) await currentDesk()?.discard(asked.replaces);
      onBooked(
        { ...booking, ...confirmed },
        t(lang, 'walkin.booked', { name: form.name.trim(), from: formatDay(lang, form.checkIn), to: formatDay(lang, out) }),
      );
    } catch (err) {
      setBusy(false);
      setFailure(t(lang, 'walkin.heldOnly', { id: booking.id, detail: err instanceof Error ? err.message : String(err) }));
    }
  };

  const stepName = t(lang, `walkin.step${step}` as Key);
  const nights = Number(form.nights);

  return (
    <section class="walkin" aria-labelledby="walkin-title" data-testid="walk-in">
      <h2 id="walkin-title" tabIndex={-1} ref={heading}>
        {t(lang, 'walkin.title')} · {t(lang, 'walkin.step', { n: step, name: stepName })}
      </h2>
      <form onSubmit={next} noValidate>
        {step === 1 && (
          <>
            <div class="fields">
              <div class="field">
                <label for="wi-check-in">{t(lang, 'walkin.checkIn')}</label>
                <input
                  id="wi-check-in"
                  name="check_in"
                  type="date"
                  min={today}
                  value={form.checkIn}
                  onInput={(e) => set('checkIn', e.currentTarget.value)}
                  {...invalid(errors, 'check_in', 'wi-check-in-error')}
                />
                <FieldError id="wi-check-in-error" lang={lang} errors={errors} field="check_in" />
              </div>
              <div class="field">
                <label for="wi-nights">{t(lang, 'walkin.nights')}</label>
                <input
                  id="wi-nights"
                  name="nights"
                  type="number"
                  min={1}
                  max={30}
                  inputMode="numeric"
                  value={form.nights}
                  onInput={(e) => set('nights', e.currentTarget.value)}
                  {...invalid({ ...errors, nights: errors.nights ?? errors.check_out }, 'nights', 'wi-nights-error')}
                />
                <FieldError id="wi-nights-error" lang={lang} errors={{ ...errors, nights: errors.nights ?? errors.check_out }} field="nights" />
              </div>
              <div class="field">
                <label for="wi-party">{t(lang, 'walkin.party')}</label>
                <input
                  id="wi-party"
                  name="party_size"
                  type="number"
                  min={1}
                  inputMode="numeric"
                  value={form.party}
                  onInput={(e) => set('party', e.currentTarget.value)}
                  {...invalid(errors, 'party_size', 'wi-party-error')}
                />
                <FieldError id="wi-party-error" lang={lang} errors={errors} field="party_size" />
              </div>
            </div>
            <fieldset class="offers">
              <legend>{t(lang, 'walkin.type')}</legend>
              {offline && (
                <p class="stale-notice" data-testid="offers-stale">
                  {t(lang, boardState()?.loaded ? 'offline.offersStale' : 'offline.noBoard')}
                </p>
              )}
              {stayOk && offers === undefined && <p role="status">{t(lang, 'walkin.loadingOffers')}</p>}
              {offers?.length === 0 && <p>{t(lang, 'walkin.noOffers')}</p>}
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
                    : offline
                      ? t(lang, 'offline.offer', { name: o.name, left: o.units_left })
                      : t(lang, 'walkin.offer', {
                        name: o.name,
                        left: o.units_left,
                        total: formatMoney(lang, o.quote.total.amount_minor, o.quote.total.currency),
                      })}
                </label>
              ))}
              <FieldError id="wi-type-error" lang={lang} errors={errors} field="resource_id" />
            </fieldset>
          </>
        )}
        {step === 2 && (
          <div class="fields">
            <div class="field">
              <label for="wi-name">{t(lang, 'walkin.name')}</label>
              <input
                id="wi-name"
                name="guest_name"
                autocomplete="off"
                required
                aria-required="true"
                value={form.name}
                onInput={(e) => set('name', e.currentTarget.value)}
                {...invalid(errors, 'guest.name', 'wi-name-error')}
              />
              <FieldError id="wi-name-error" lang={lang} errors={errors} field="guest.name" />
            </div>
            <div class="field">
              <label for="wi-email">{t(lang, 'walkin.email')}</label>
              <input
                id="wi-email"
                name="guest_email"
                type="email"
                autocomplete="off"
                value={form.email}
                onInput={(e) => set('email', e.currentTarget.value)}
                {...invalid(errors, 'guest.email', 'wi-email-error')}
              />
              <FieldError id="wi-email-error" lang={lang} errors={errors} field="guest.email" />
            </div>
            <div class="field">
              <label for="wi-phone">{t(lang, 'walkin.phone')}</label>
              <input
                id="wi-phone"
                name="guest_phone"
                type="tel"
                autocomplete="off"
                value={form.phone}
                onInput={(e) => set('phone', e.currentTarget.value)}
                {...invalid(errors, 'guest.phone', 'wi-phone-error')}
              />
              <FieldError id="wi-phone-error" lang={lang} errors={errors} field="guest.phone" />
            </div>
            <div class="field">
              <label for="wi-channel">{t(lang, 'walkin.channel')}</label>
              <select
                id="wi-channel"
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
          <>
            <dl class="review">
              <div>
                <dt>{t(lang, 'walkin.step2')}</dt>
                <dd>
                  {form.name.trim()} · {t(lang, `channel.${form.channel}`)}
                </dd>
              </div>
              <div>
                <dt>{t(lang, 'walkin.step1')}</dt>
                <dd>
                  {t(lang, 'walkin.review.stay', { from: formatDay(lang, form.checkIn), to: formatDay(lang, out), nights })},{' '}
                  {t(lang, 'walkin.review.party', { n: form.party })}
                </dd>
              </div>
              <div>
                <dt>{t(lang, 'walkin.type')}</dt>
                <dd>{offer?.name}</dd>
              </div>
              {!offline && (
                <div>
                  <dt>{t(lang, 'walkin.review.price')}</dt>
                  <dd>{total}</dd>
                </div>
              )}
            </dl>
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
          <button type="submit" disabled={busy}>
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
