import { useEffect, useMemo, useState } from 'preact/hooks';
import { initialLang, rememberLang, isLang, LANGS, t, type Lang } from './i18n';
import { deskFor, endDesk } from './offline/desk';
import { OfflineBar, PendingList } from './offline/ui';
import { Conflicts } from './screens/Conflicts';
import { Board } from './screens/Board';
import { Housekeeping } from './screens/Housekeeping';
import { SignIn } from './screens/SignIn';
import { PageNav, ReportsPage, usePage } from './reports-lazy';
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
  const page = usePage();

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
    endDesk();
    setSession(undefined);
  };
  // The offline desk: its queue and conflicts stay in IndexedDB whatever happens to the session.
  const [conflictsOpen, setConflictsOpen] = useState(false);
  const desk = useMemo(() => (session ? deskFor(session, signOut) : undefined), [session]);
  /** Signing out with actions not sent asks first; they stay queued for the next sign-in. */
  const signOutAsked = () => {
    const n = desk?.current.queue.length ?? 0;
    if (n > 0 && !window.confirm(n === 1 ? t(lang, 'offline.signOutQueueOne') : t(lang, 'offline.signOutQueue', { n }))) return;
    signOut();
  };

  return (
    <>
      <header class="topbar">
        <span class="brand">{t(lang, 'app.title')}</span>
        {session && <PageNav lang={lang} session={session} page={page} />}
        {/* The accessible name stays "Language" in every language, so it is found by it. */}
        <select class="lang" aria-label="Language" value={lang} onChange={(e) => chooseLang(e.currentTarget.value)}>
          {LANGS.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
        {desk && (
          <OfflineBar lang={lang} desk={desk} open={conflictsOpen} onConflicts={() => setConflictsOpen((o) => !o)} />
        )}
        {session && (
          <button type="button" class="secondary" onClick={signOutAsked}>
            {t(lang, 'signout')}
          </button>
        )}
      </header>
      {desk && <PendingList lang={lang} desk={desk} />}
      {desk && conflictsOpen && <Conflicts lang={lang} desk={desk} onClose={() => setConflictsOpen(false)} />}
      {!session && <SignIn lang={lang} onSignedIn={signedIn} />}
      {session && page === 'reports' && <ReportsPage lang={lang} session={session} />}
      {session && page === 'board' && session.role === 'housekeeping' && <Housekeeping lang={lang} session={session} onSignedOut={signOut} />}
      {session && page === 'board' && session.role !== 'housekeeping' && <Board lang={lang} session={session} onSignedOut={signOut} />}
    </>
  );
}
