// The reports call (`GET /vendor/{id}/reports`), as JSON for the page and as CSV for the download.
import { ApiError } from './api';
import { apiBase } from './config';
import { reportQuery, type Granularity, type Report } from './reports';
import type { LocalDate, Session } from './types';

async function get(session: Session, query: string, accept: string, fetcher: typeof fetch, signal?: AbortSignal): Promise<Response> {
  const res = await fetcher(`${apiBase()}/vendor/${session.vendorId}/reports?${query}`, {
    headers: { authorization: `Bearer ${session.token}`, accept },
    signal,
  });
  if (!res.ok) {
    const problem = await res.json().catch(() => ({ detail: `HTTP ${res.status}` }));
    throw new ApiError(res.status, problem);
  }
  return res;
}

export async function fetchReport(
  session: Session,
  range: { from: LocalDate; to: LocalDate; granularity: Granularity },
  signal?: AbortSignal,
  fetcher: typeof fetch = fetch.bind(globalThis),
): Promise<Report> {
  const res = await get(session, reportQuery(range.from, range.to, range.granularity), 'application/json', fetcher, signal);
  return (await res.json()) as Report;
}

/** The same report as CSV (one row per period), as the file to save. */
export async function fetchReportCsv(
  session: Session,
  range: { from: LocalDate; to: LocalDate; granularity: Granularity },
  fetcher: typeof fetch = fetch.bind(globalThis),
): Promise<Blob> {
  const res = await get(session, reportQuery(range.from, range.to, range.granularity), 'text/csv', fetcher);
  return new Blob([await res.text()], { type: 'text/csv;charset=utf-8' });
}
