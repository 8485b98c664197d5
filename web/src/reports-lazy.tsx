// The way to the reports page: the topbar's links (managers only) and the page itself, loaded on
// first use so the board's first load does not carry the charts.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t, type Lang } from './i18n';
import type { Session } from './types';
import './reports-nav.css';

export type Page = 'board' | 'reports';

const pageOf = (hash: string): Page => (hash === '#reports' ? 'reports' : 'board');

/** The page the address names (`#reports`), following it as it changes. */
export function usePage(): Page {
  const [page, setPage] = useState<Page>(() => pageOf(location.hash));
  useEffect(() => {
    const follow = () => setPage(pageOf(location.hash));
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  return page;
}

/** "Board" and "Reports" for managers; nobody else gets a way to the reports. */
export function PageNav({ lang, session, page }: { lang: Lang; session: Session; page: Page }) {
  if (session.role !== 'manager') return null;
  return (
    <nav class="page-nav" aria-label={t(lang, 'reports.nav.label')}>
      <a href="#board" aria-current={page === 'board' ? 'page' : undefined}>
        {t(lang, 'reports.navBoard')}
      </a>
      <a href="#reports" aria-current={page === 'reports' ? 'page' : undefined}>
        {t(lang, 'reports.nav')}
      </a>
    </nav>
  );
}

type ReportsProps = { lang: Lang; session: Session };

/** The reports page, its code loaded only for a manager who opens it. */
export function ReportsPage({ lang, session }: ReportsProps) {
  const [Screen, setScreen] = useState<ComponentType<ReportsProps> | undefined>();
  const [failed, setFailed] = useState<string | undefined>();
  const manager = session.role === 'manager';
  useEffect(() => {
    if (!manager) return;
    import('./screens/Reports')
      .then((m) => setScreen(() => m.Reports))
      .catch((err: unknown) => setFailed(err instanceof Error ? err.message : String(err)));
  }, [manager]);
  if (!manager) {
    return (
      <main class="reports">
        <h1>{t(lang, 'reports.title')}</h1>
        <p class="error" role="alert" data-testid="reports-refused">
          {t(lang, 'reports.managersOnly')}
        </p>
      </main>
    );
  }
  if (Screen) return <Screen lang={lang} session={session} />;
  return (
    <main class="reports">
      <h1>{t(lang, 'reports.title')}</h1>
      <p role="status">{failed ? t(lang, 'error.load', { detail: failed }) : t(lang, 'reports.loading')}</p>
    </main>
  );
}
