// Where the API is, read once at start. In AWS the CDK stack writes `/desk/config.json`
// (`{"api_base": "https://<api id>.execute-api.<region>.amazonaws.com"}`); locally there is none
// and the API is on the app's own origin.

export interface DeskConfig {
  /** Prefixed to every API path: an origin without a trailing slash, or "" for the app's own. */
  readonly apiBase: string;
}

const SAME_ORIGIN: DeskConfig = { apiBase: '' };
const REMEMBERED = 'desk.config';

let current: DeskConfig = SAME_ORIGIN;

/** The API's origin for the client ("" = same origin). */
export function apiBase(): string {
  return current.apiBase;
}

export function useConfig(config: DeskConfig): void {
  current = config;
}

/** An `http(s)` origin from the file's `api_base`, else undefined (the file is unreadable). */
function originOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return undefined;
  }
}

/**
 * GET `config.json` beside the app. Absent (404) or unreadable means the same origin. When the
 * network is down (the offline desk starting from its cache) the last address read is used, so a
 * queue sent later still goes to the API and not to the app's host.
 */
export async function loadConfig(
  fetcher: typeof fetch = fetch.bind(globalThis),
  path = `${import.meta.env.BASE_URL}config.json`,
  storage: Pick<Storage, 'getItem' | 'setItem'> | undefined = globalThis.localStorage,
): Promise<DeskConfig> {
  let res: Response;
  try {
    res = await fetcher(path, { cache: 'no-cache', headers: { accept: 'application/json' } });
  } catch {
    return { apiBase: originOf(storage?.getItem(REMEMBERED)) ?? '' };
  }
  if (!res.ok) return SAME_ORIGIN;
  const json: unknown = await res.json().catch(() => undefined);
  const base = json && typeof json === 'object' ? originOf((json as Record<string, unknown>).api_base) : undefined;
  if (!base) return SAME_ORIGIN;
  try {
    storage?.setItem(REMEMBERED, base);
  } catch {
    // Storage full or disabled: the address is still used for this session.
  }
  return { apiBase: base };
}
