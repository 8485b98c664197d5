// The review step, the same in both walk-in forms: who, when and what.
import type { ComponentChildren } from 'preact';
import { t, type Key, type Lang } from '../../i18n';
import type { Guest } from './GuestFields';

/**
 * Who, when and what, under the form's own step names (`prefix` is `walkin` or `tables.walkin`);
 * `children` adds rows (the hotel's price).
 */
export function Review({
  prefix,
  lang,
  guest,
  when,
  party,
  type,
  children,
}: {
  prefix: 'walkin' | 'tables.walkin';
  lang: Lang;
  guest: Guest;
  when: string;
  party: string;
  type: string | undefined;
  children?: ComponentChildren;
}) {
  return (
    <dl class="review">
      <div>
        <dt>{t(lang, `${prefix}.step2` as Key)}</dt>
        <dd>
          {guest.name.trim()} · {t(lang, `channel.${guest.channel}`)}
        </dd>
      </div>
      <div>
        <dt>{t(lang, `${prefix}.step1` as Key)}</dt>
        <dd>
          {when},{' '}
          {t(lang, 'walkin.review.party', { n: party })}
        </dd>
      </div>
      <div>
        <dt>{t(lang, `${prefix}.type` as Key)}</dt>
        <dd>{type}</dd>
      </div>
      {children}
    </dl>
  );
}
