import { useState } from 'preact/hooks';
import { ApiError, signIn } from '../api';
import { t, type Lang } from '../i18n';
import type { Session } from '../types';

export function SignIn({ lang, onSignedIn }: { lang: Lang; onSignedIn: (s: Session) => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(String(form.get('email') ?? ''), String(form.get('password') ?? '')));
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 422)) setError(t(lang, 'signin.failed'));
      else if (err instanceof ApiError && err.status === 429) setError(t(lang, 'signin.limited'));
      else setError(t(lang, 'signin.error', { detail: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin">
      <h1>{t(lang, 'signin.title')}</h1>
      <form onSubmit={submit}>
        <label for="email">{t(lang, 'signin.email')}</label>
        <input id="email" name="email" type="email" autocomplete="username" required />
        <label for="password">{t(lang, 'signin.password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t(lang, 'signin.submit')}
        </button>
      </form>
    </main>
  );
}
