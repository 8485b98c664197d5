// The state and flow both walk-in forms share: the step, the field problems, what is free (from
// the API, or from the saved board offline) and the booking, made once per request body or queued.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Api } from '../../api';
import { t, type Lang } from '../../i18n';
import { useOnline } from '../../offline/ui';
import type { Booking, Offer } from '../../types';
import { fieldProblems, type FieldErrors } from '../../walkin';

export type Step = 1 | 2 | 3;

export const newKey = () =>
  typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;

/** What an error says, for the failure line. */
export const detailOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function useBooking(api: Api, lang: Lang, stepOf: (fields: string[]) => Step) {
  const [step, setStep] = useState<Step>(1);
  const online = useOnline();
  /** Offline (or the API cannot be reached): what is free from the saved board, and the booking queued. */
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

  useEffect(() => heading.current?.focus(), [step]);

  // Back online: ask the API again.
  useEffect(() => {
    if (online) setUnreachable(false);
  }, [online]);

  /** Shows a step's problems, or goes on to the next step when it has none. */
  const advance = (found: FieldErrors) => {
    setErrors(found);
    if (Object.keys(found).length === 0) setStep((s) => (s + 1) as Step);
  };

  /**
   * Books the request (or queues it offline, or when the network fails: with the same key, so a
   * request that did arrive is found again). Returns the held booking and its key; undefined once
   * queued, or when it failed: a field's problem sends the desk back to its step, else the failure
   * line says what went wrong.
   */
  const hold = async (
    request: Record<string, unknown>,
    queue: (idempotencyKey: string) => Promise<void>,
  ): Promise<{ booking: Booking; key: string } | undefined> => {
    setBusy(true);
    setFailure(undefined);
    const body = JSON.stringify(request);
    if (key.current?.body !== body) {
      key.current = { body, key: newKey() };
      held.current = undefined;
    }
    const idempotencyKey = key.current.key;
    let booking = held.current;
    try {
      if (!booking && offline) return void (await queue(idempotencyKey));
      booking ??= await api.createBooking(request, idempotencyKey);
      held.current = booking;
      return { booking, key: idempotencyKey };
    } catch (err) {
      if (!(err instanceof ApiError) && !held.current) {
        try {
          return void (await queue(idempotencyKey));
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
          return undefined;
        }
      }
      setFailure(t(lang, 'walkin.failed', { detail: detailOf(err) }));
      return undefined;
    }
  };

  /** The booking is held but its confirmation (or payment) failed: says so, with its id. */
  const heldOnly = (booking: Booking, err: unknown) => {
    setBusy(false);
    setFailure(t(lang, 'walkin.heldOnly', { id: booking.id, detail: detailOf(err) }));
  };

  return {
    step,
    setStep,
    online,
    offline,
    setUnreachable,
    errors,
    setErrors,
    offers,
    setOffers,
    busy,
    failure,
    heading,
    advance,
    hold,
    heldOnly,
  };
}

/**
 * What is free, re-read whenever `deps` change while the step's fields are `ok`: from `ask` (the API), or
 * offline from `saved`. The chosen type stays while it is free, else the first free one is chosen.
 */
export function useOffers<F extends { resourceId: string }>(
  booking: ReturnType<typeof useBooking>,
  setForm: (update: (f: F) => F) => void,
  ok: boolean,
  deps: unknown[],
  saved: () => Offer[],
  ask: (signal: AbortSignal) => Promise<Offer[]>,
) {
  const { offline, setOffers, setErrors, setUnreachable } = booking;
  useEffect(() => {
    if (!ok) return setOffers(undefined);
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
      choose(saved());
      return;
    }
    ask(abort.signal)
      .then(choose)
      .catch((err) => {
        if (abort.signal.aborted) return;
        if (!(err instanceof ApiError)) return setUnreachable(true);
        setOffers([]);
        setErrors(fieldProblems(err.problem.errors));
      });
    return () => abort.abort();
  }, [...deps, ok, offline]);
}
