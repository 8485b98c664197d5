// What is free, as radio buttons, in both walk-in forms' first step: sold-out types shown but off,
// and offline a notice that the counts come from the saved board.
import { t, type Key, type Lang } from '../../i18n';
import { boardState } from '../../store';
import type { Offer } from '../../types';
import type { FieldErrors } from '../../walkin';
import { FieldError } from './fields';

export function Offers({
  lang,
  legend,
  offline,
  stale,
  loading,
  none,
  offers,
  chosen,
  onChoose,
  describe,
  errorId,
  errors,
}: {
  lang: Lang;
  legend: string;
  offline: boolean;
  /** The offline notice when the saved board is there. */
  stale: Key;
  /** Asking for what is free (its text), or false. */
  loading: string | false;
  /** The text when nothing is offered. */
  none: string;
  offers: Offer[] | undefined;
  chosen: string;
  onChoose: (resourceId: string) => void;
  /** An offer with something free, in words. */
  describe: (offer: Offer) => string;
  errorId: string;
  errors: FieldErrors;
}) {
  return (
    <fieldset class="offers">
      <legend>{legend}</legend>
      {offline && (
        <p class="stale-notice" data-testid="offers-stale">
          {t(lang, boardState()?.loaded ? stale : 'offline.noBoard')}
        </p>
      )}
      {loading !== false && offers === undefined && <p role="status">{loading}</p>}
      {offers?.length === 0 && <p>{none}</p>}
      {offers?.map((o) => (
        <label key={o.resource_id} class="offer">
          <input
            type="radio"
            name="resource_id"
            value={o.resource_id}
            checked={chosen === o.resource_id}
            disabled={o.units_left < 1}
            onChange={() => onChoose(o.resource_id)}
          />{' '}
          {o.units_left < 1 ? t(lang, 'walkin.soldOut', { name: o.name }) : describe(o)}
        </label>
      ))}
      <FieldError id={errorId} lang={lang} errors={errors} field="resource_id" />
    </fieldset>
  );
}
