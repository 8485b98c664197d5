// The guest step both walk-in forms share: name (required), email, phone and how they came.
import { t, type Lang } from '../../i18n';
import type { FieldErrors, WalkInChannel } from '../../walkin';
import { InputField } from './fields';

export interface Guest {
  name: string;
  email: string;
  phone: string;
  channel: WalkInChannel;
}

/** `prefix` keeps each form's element ids (`wi-name`, `tw-name`) its own. */
export function GuestFields({
  prefix,
  lang,
  guest,
  errors,
  set,
}: {
  prefix: string;
  lang: Lang;
  guest: Guest;
  errors: FieldErrors;
  set: (field: keyof Guest, value: Guest[keyof Guest]) => void;
}) {
  return (
    <div class="fields">
      <InputField
        id={`${prefix}-name`}
        label={t(lang, 'walkin.name')}
        lang={lang}
        errors={errors}
        field="guest.name"
        name="guest_name"
        autocomplete="off"
        required
        aria-required="true"
        value={guest.name}
        onInput={(e) => set('name', e.currentTarget.value)}
      />
      <InputField
        id={`${prefix}-email`}
        label={t(lang, 'walkin.email')}
        lang={lang}
        errors={errors}
        field="guest.email"
        name="guest_email"
        type="email"
        autocomplete="off"
        value={guest.email}
        onInput={(e) => set('email', e.currentTarget.value)}
      />
      <InputField
        id={`${prefix}-phone`}
        label={t(lang, 'walkin.phone')}
        lang={lang}
        errors={errors}
        field="guest.phone"
        name="guest_phone"
        type="tel"
        autocomplete="off"
        value={guest.phone}
        onInput={(e) => set('phone', e.currentTarget.value)}
      />
      <div class="field">
        <label for={`${prefix}-channel`}>{t(lang, 'walkin.channel')}</label>
        <select
          id={`${prefix}-channel`}
          name="channel"
          value={guest.channel}
          onChange={(e) => set('channel', e.currentTarget.value === 'phone' ? 'phone' : 'walk_in')}
        >
          <option value="walk_in">{t(lang, 'channel.walk_in')}</option>
          <option value="phone">{t(lang, 'channel.phone')}</option>
        </select>
      </div>
    </div>
  );
}
