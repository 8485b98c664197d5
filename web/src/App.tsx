import { useEffect, useState } from 'preact/hooks';
import { initialLang, rememberLang, isLang, LANGS, t, type Lang } from './i18n';
import { Board } from './screens/Board';
import { Housekeeping } from './screens/Housekeeping';
import { SignIn } from './screens/SignIn';
import type { Session } from './types';

const SESSION_KEY = 'desk.session';

function savedSession(): Session | undefined {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    return s && s.expiresAt > Date.now() ? s : undefined;
  } catch {
    return undefined;
  }
}

export function App() {
  const [lang, setLang] = useState<Lang>(() => initialLang(localStorage, navigator.language));
  const [session, setSession] = useState<Session | undefined>(savedSession);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t(lang, 'app.title');
  }, [lang]);

  const chooseLang = (value: string) => {
    if (!isLang(value)) return;
    rememberLang(localStorage, value);
    setLang(value);
  };
  const signedIn = (s: Session) => {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
    setSession(s);
  };
  const signOut = () => {
    sessionStorage.removeItem(SESSION_KEY);
    setSession(undefined);
  };

  return (
    <>
      <header class="topbar">
        <span class="brand">{t(lang, 'app.title')}</span>
        {/* The accessible name stays "Language" in every language, so it is found by it. */}
        <select class="lang" aria-label="Language" value={lang} onChange={(e) => chooseLang(e.currentTarget.value)}>
          {LANGS.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
        {session && (
          <button type="button" class="secondary" onClick={signOut}>
            {t(lang, 'signout')}
          </button>
        )}
      </header>
      {!session && <SignIn lang={lang} onSignedIn={signedIn} />}
      {session && session.role === 'housekeeping' && <Housekeeping lang={lang} session={session} onSignedOut={signOut} />}
      {session && session.role !== 'housekeeping' && <Board lang={lang} session={session} onSignedOut={signOut} />}
    </>
  );
}
