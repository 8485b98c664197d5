import { describe, expect, it } from 'vitest';
import source from './sw.js?raw';

const SCOPE = 'https://desk.test/desk/';
type Handler = (event: { waitUntil(p: Promise<unknown>): void; respondWith(p: Promise<Response> | Response): void; request?: Request }) => void;

/** Runs the worker's script in a fake worker scope: its caches, its network, its events. */
function worker(precache: { version: string; files: string[] }, caches: Map<string, Map<string, Response>>, network: (url: string) => Promise<Response>) {
  const handlers: Record<string, Handler> = {};
  const self = {
    __DESK_PRECACHE__: precache,
    registration: { scope: SCOPE },
    addEventListener: (type: string, handler: Handler) => (handlers[type] = handler),
    skipWaiting: async () => {},
    clients: { claim: async () => {} },
  };
  const cacheStorage = {
    open: async (name: string) => {
      if (!caches.has(name)) caches.set(name, new Map());
      const cache = caches.get(name)!;
      return { addAll: async (urls: string[]) => urls.forEach((u) => cache.set(u, new Response(`cached ${u}`))) };
    },
    keys: async () => [...caches.keys()],
    delete: async (name: string) => caches.delete(name),
    match: async (request: Request | string, options: { cacheName: string }) => {
      const url = typeof request === 'string' ? request : request.url;
      return caches.get(options.cacheName)?.get(url)?.clone();
    },
  };
  const fetcher = (request: Request | string) => network(typeof request === 'string' ? request : request.url);
  new Function('self', 'caches', 'fetch', 'Response', source)(self, cacheStorage, fetcher, Response);

  const lifecycle = async (type: 'install' | 'activate') => {
    let work: Promise<unknown> = Promise.resolve();
    handlers[type]({ waitUntil: (p) => (work = p), respondWith: () => {} });
    await work;
  };
  /** What the worker answers for a GET, or undefined when it leaves the request to the network. */
  const get = async (url: string, mode: RequestMode | 'navigate' = 'cors') => {
    let answer: Promise<Response> | Response | undefined;
    const request = { url, method: 'GET', mode } as unknown as Request;
    handlers.fetch({ request, waitUntil: () => {}, respondWith: (p) => (answer = p) });
    return answer === undefined ? undefined : (await answer).text();
  };
  return { lifecycle, get };
}

const files = ['assets/index-abc.js', 'assets/index-abc.css', 'favicon.svg', 'index.html'];
const down = async (): Promise<Response> => {
  throw new TypeError('Failed to fetch');
};

describe('the service worker', () => {
  it('caches this build\'s app shell when it installs, and drops older builds\' caches when it activates', async () => {
    const caches = new Map<string, Map<string, Response>>([['desk-shell-old', new Map()], ['someone-else', new Map()]]);
    const sw = worker({ version: 'v2', files }, caches, down);

    await sw.lifecycle('install');
    expect([...(caches.get('desk-shell-v2')?.keys() ?? [])].sort()).toEqual(files.map((f) => `${SCOPE}${f}`).sort());
    await sw.lifecycle('activate');

    expect([...caches.keys()].sort()).toEqual(['desk-shell-v2', 'someone-else']);
  });

  it('offline, a page load gets the cached index.html and the assets come from the cache', async () => {
    const sw = worker({ version: 'v2', files }, new Map(), down);
    await sw.lifecycle('install');

    expect(await sw.get(`${SCOPE}board`, 'navigate')).toBe(`cached ${SCOPE}index.html`);
    expect(await sw.get(`${SCOPE}assets/index-abc.js`)).toBe(`cached ${SCOPE}assets/index-abc.js`);
  });

  it('online, a page load comes from the network (a new build shows at once)', async () => {
    const sw = worker({ version: 'v2', files }, new Map(), async (url) => new Response(`network ${url}`));
    await sw.lifecycle('install');
    expect(await sw.get(`${SCOPE}`, 'navigate')).toBe(`network ${SCOPE}`);
  });

  it('never answers API calls, config.json or itself: those go to the network', async () => {
    const sw = worker({ version: 'v2', files }, new Map(), down);
    await sw.lifecycle('install');
    expect(await sw.get('https://desk.test/vendor/v1/changes?wait=20')).toBeUndefined();
    expect(await sw.get('https://api.example/booking/b1')).toBeUndefined();
    expect(await sw.get(`${SCOPE}config.json`)).toBeUndefined();
    expect(await sw.get(`${SCOPE}sw.js`)).toBeUndefined();
  });
});
