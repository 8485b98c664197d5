// A walk-in field: its label, its input and its problem's error line, tied together for a screen reader.
import type { JSX } from 'preact';
import { t, type Key, type Lang } from '../../i18n';
import type { FieldErrors } from '../../walkin';

/** A field's message: an i18n key from the app's own checks, or the API's detail as sent. */
function message(lang: Lang, text: string): string {
  return /^(walkin|tables)\.err\./.test(text) ? t(lang, text as Key) : text;
}

export function FieldError({ id, lang, errors, field }: { id: string; lang: Lang; errors: FieldErrors; field: string }) {
  const text = errors[field];
  return text ? (
    <p class="field-error" id={id}>
      {message(lang, text)}
    </p>
  ) : null;
}

/** Props for an input whose problem (if any) is described by its error line. */
export const invalid = (errors: FieldErrors, field: string, id: string) =>
  errors[field] ? { 'aria-invalid': true as const, 'aria-describedby': id } : {};

/**
 * A labelled input (`rest` are its attributes) with the error line for `field`, the name the API
 * gives its problem; the error line's id is the input's with `-error`.
 */
export function InputField({
  id,
  label,
  lang,
  errors,
  field,
  ...rest
}: { id: string; label: string; lang: Lang; errors: FieldErrors; field: string } & JSX.InputHTMLAttributes<HTMLInputElement>) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} {...rest} {...invalid(errors, field, `${id}-error`)} />
      <FieldError id={`${id}-error`} lang={lang} errors={errors} field={field} />
    </div>
  );
}
