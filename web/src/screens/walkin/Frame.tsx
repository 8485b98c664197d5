// What frames each walk-in form's steps: the titled section with its form, and under the steps
// the failure line and the buttons.
import type { ComponentChildren, RefObject } from 'preact';
import { t, type Lang } from '../../i18n';
import type { Step } from './useBooking';

/** The form's section, headed by its title and step (focused as the step changes). */
export function WalkInFrame({
  id,
  lang,
  title,
  step,
  stepName,
  heading,
  onSubmit,
  children,
}: {
  id: string;
  lang: Lang;
  title: string;
  step: Step;
  stepName: string;
  heading: RefObject<HTMLHeadingElement>;
  onSubmit: (e: Event) => void;
  children: ComponentChildren;
}) {
  return (
    <section class="walkin" aria-labelledby={id} data-testid="walk-in">
      <h2 id={id} tabIndex={-1} ref={heading}>
        {title} · {t(lang, 'walkin.step', { n: step, name: stepName })}
      </h2>
      <form onSubmit={onSubmit} noValidate>
        {children}
      </form>
    </section>
  );
}

/**
 * Back (after the first step), Next or Book (Queue booking offline) and Cancel, all off while
 * booking; `before` goes ahead of the submit button (the restaurant's "Book and seat").
 */
export function StepButtons({
  lang,
  step,
  busy,
  offline,
  onBack,
  onClose,
  before,
  submit,
  failure,
}: {
  lang: Lang;
  step: Step;
  busy: boolean;
  offline: boolean;
  onBack: () => void;
  onClose: () => void;
  before?: ComponentChildren;
  /** The submit button's own attributes (its name and value, read by the form). */
  submit?: { name?: string; value?: string; class?: string };
  /** What went wrong, shown above the buttons. */
  failure: string | undefined;
}) {
  return (
    <>
      {failure && (
        <p class="error" role="alert">
          {failure}
        </p>
      )}
      <div class="walkin-actions">
        {step > 1 && (
          <button type="button" class="secondary" onClick={onBack} disabled={busy}>
            {t(lang, 'walkin.back')}
          </button>
        )}
        {before}
        <button {...submit} type="submit" disabled={busy}>
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
    </>
  );
}
