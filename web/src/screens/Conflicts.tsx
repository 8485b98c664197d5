// The actions the server refused after the desk was offline: each with what it was, why it was
// refused and the ways out (retry, discard, another type or room). They stay until resolved.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { t, type Lang } from '../i18n';
import { request, type Intent } from '../offline/desk';
import { isSeating, type Conflict, type SeatingBody, type StayBody } from '../offline/queue';
import type { Desk } from '../offline/sync';
import { describeAction, REASON_KEY, useDeskState } from '../offline/ui';
import { addDays } from '../dates';
import { focusLost, useReturnFocus } from './focus';

/** The walk-in form's fields from a refused walk-in: the same guest, dates and party. */
function walkInForm(b: StayBody) {
  let nights = 1;
  while (nights < 30 && addDays(b.check_in, nights) < b.check_out) nights += 1;
  return {
    checkIn: b.check_in,
    nights: String(nights),
    party: String(b.party_size),
    name: b.guest.name,
    email: b.guest.email ?? '',
    phone: b.guest.phone ?? '',
    channel: b.channel === 'phone' ? ('phone' as const) : ('walk_in' as const),
  };
}

/** The restaurant walk-in form's fields from a refused seating: the same guest, day, time and party. */
function seatingForm(b: SeatingBody) {
  return {
    date: b.date,
    time: b.time,
    party: String(b.party_size),
    name: b.guest.name,
    email: b.guest.email ?? '',
    phone: b.guest.phone ?? '',
    channel: b.channel === 'phone' ? ('phone' as const) : ('walk_in' as const),
  };
}

/** "Choose another type": the form the walk-in came from (a hotel's or a restaurant's), prefilled. */
export function anotherType(conflict: Conflict): Intent | undefined {
  const { action } = conflict;
  if (action.kind !== 'walkIn') return undefined;
  return isSeating(action.body)
    ? { kind: 'seating', form: seatingForm(action.body), replaces: conflict.id }
    : { kind: 'walkIn', form: walkInForm(action.body), replaces: conflict.id };
}

function Item({
  lang,
  desk,
  conflict,
  onClose,
  onResolved,
}: {
  lang: Lang;
  desk: Desk;
  conflict: Conflict;
  onClose: () => void;
  /** The item is gone (retried or discarded): focus goes back to the list. */
  onResolved: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const keep = useRef<HTMLButtonElement>(null);
  const discardButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useReturnFocus();
  const { action } = conflict;
  const detail = conflict.refusal.detail ?? conflict.refusal.title;

  // Before paint, like the list's heading: a key pressed as soon as the question shows lands on Keep.
  useLayoutEffect(() => {
    if (confirming) keep.current?.focus();
  }, [confirming]);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    try {
      await work();
      onResolved();
    } finally {
      setBusy(false);
    }
  };

  return (
    <li class="conflict" data-testid={`conflict-${conflict.id}`}>
      <p class="conflict-action">{describeAction(lang, action)}</p>
      <p class="conflict-reason">
        <strong>{t(lang, REASON_KEY[conflict.reason])}</strong>
      </p>
      {detail && conflict.reason !== 'dependency' && <p class="conflict-detail">{t(lang, 'conflict.server', { detail })}</p>}
      {confirming ? (
        <div
          class="conflict-confirm"
          role="alertdialog"
          aria-labelledby={`confirm-${conflict.id}`}
          onKeyDown={(e) => {
            // Escape here keeps the conflict (as "Keep"), not the whole list open or closed.
            if (e.key !== 'Escape') return;
            e.stopPropagation();
            setConfirming(false);
            returnFocus(() => discardButton.current);
          }}
        >
          <p id={`confirm-${conflict.id}`}>{t(lang, 'conflict.confirmDiscard')}</p>
          <button type="button" disabled={busy} onClick={() => void run(() => desk.discard(conflict.id))}>
            {t(lang, 'conflict.yesDiscard')}
          </button>
          <button
            type="button"
            class="secondary"
            ref={keep}
            onClick={() => {
              setConfirming(false);
              returnFocus(() => discardButton.current);
            }}
          >
            {t(lang, 'conflict.keep')}
          </button>
        </div>
      ) : (
        <div class="conflict-actions">
          {/* A check-in whose walk-in failed has no booking to check in: retrying can only fail. */}
          {conflict.reason !== 'dependency' && (
            <button type="button" disabled={busy} onClick={() => void run(() => desk.retry(conflict.id))}>
              {t(lang, 'conflict.retry')}
            </button>
          )}
          {action.kind === 'walkIn' && (
            <button
              type="button"
              class="secondary"
              onClick={() => {
                const intent = anotherType(conflict);
                if (intent) request(intent);
                onClose();
              }}
            >
              {t(lang, 'conflict.otherType')}
            </button>
          )}
          {action.kind === 'checkIn' && action.bookingId && (
            <button
              type="button"
              class="secondary"
              onClick={() => {
                request({ kind: 'detail', bookingId: action.bookingId ?? '' });
                onClose();
              }}
            >
              {t(lang, 'conflict.otherRoom')}
            </button>
          )}
          <button type="button" class="secondary" ref={discardButton} onClick={() => setConfirming(true)}>
            {t(lang, 'conflict.discard')}
          </button>
        </div>
      )}
    </li>
  );
}

/** The conflicts list, opened from the top bar's "Conflicts (<n>)". */
export function Conflicts({ lang, desk, onClose }: { lang: Lang; desk: Desk; onClose: () => void }) {
  const { conflicts } = useDeskState(desk);
  const heading = useRef<HTMLHeadingElement>(null);
  // Before paint: a keyboard user's next key already lands in the list.
  useLayoutEffect(() => heading.current?.focus(), []);
  /** Closed: focus back on the top bar's button (or the page's heading when no conflict is left). */
  const close = () => {
    onClose();
    // The list is gone with this component, so no layout effect of its own is left to run.
    setTimeout(() => {
      if (!focusLost()) return; // the desk went on meanwhile: focus stays there
      const to = document.querySelector<HTMLElement>('[data-testid="conflicts-button"], main h1');
      // A heading takes focus only with a tabindex (-1: from script, not in the Tab order).
      if (to?.tagName === 'H1' && !to.hasAttribute('tabindex')) to.tabIndex = -1;
      to?.focus();
    }, 0);
  };
  return (
    // The name stays "Conflicts" in every language, so it is found by it (like the room board).
    <section
      class="conflicts"
      aria-label="Conflicts"
      data-testid="conflicts"
      onKeyDown={(e) => {
        if (e.key === 'Escape') close();
      }}
    >
      <h2 tabIndex={-1} ref={heading}>
        {t(lang, 'conflict.title')}
      </h2>
      {conflicts.length === 0 && <p>{t(lang, 'conflict.empty')}</p>}
      <ul>
        {conflicts.map((c) => (
          <Item key={c.id} lang={lang} desk={desk} conflict={c} onClose={onClose} onResolved={() => heading.current?.focus()} />
        ))}
      </ul>
      <button type="button" class="secondary" onClick={close}>
        {t(lang, 'conflict.close')}
      </button>
    </section>
  );
}
