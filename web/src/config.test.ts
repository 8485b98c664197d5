import { afterEach, describe, expect, it } from 'vitest';
import { Api, signIn } from './api';
import { apiBase, loadConfig, useConfig } from './config';

const memory = () => {
  const items = new Map<string, string>();
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
};
const answering = (status: number, body: string) => (async () => new Response(body, { status })) as unknown as typeof fetch;

describe('the API address at start', () => {
  it('is the same origin when the deployment wrote no config.json', async () => {
    expect(await loadConfig(answering(404, 'Not Found'), '/desk/config.json', memory())).toEqual({ apiBase: '' });
  });

  it('is the api_base the deployment wrote, without a trailing slash', async () => {
    const requested: string[] = [];
    const fetcher = (async (input: RequestInfo | URL) => {
      requested.push(String(input));
      return new Response(JSON.stringify({ api_base: 'https://abc123.execute-api.eu-central-1.amazonaws.com/' }));
    }) as typeof fetch;
    expect(await loadConfig(fetcher, '/desk/config.json', memory())).toEqual({
      apiBase: 'https://abc123.execute-api.eu-central-1.amazonaws.com',
    });
    expect(requested).toEqual(['/desk/config.json']);
  });

  it('is the same origin when config.json is unreadable or names no http(s) address', async () => {
    for (const body of ['<!doctype html>', '{}', '{"api_base": 42}', '{"api_base": "javascript:alert(1)"}', '{"api_base": "not a url"}']) {
      expect(await loadConfig(answering(200, body), '/desk/config.json', memory()), body).toEqual({ apiBase: '' });
    }
  });

  it('is the last address read when the network is down', async () => {
    const storage = memory();
    await loadConfig(answering(200, '{"api_base":"https://api.example.com"}'), '/desk/config.json', storage);
    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    expect(await loadConfig(offline, '/desk/config.json', storage)).toEqual({ apiBase: 'https://api.example.com' });
    expect(await loadConfig(offline, '/desk/config.json', memory())).toEqual({ apiBase: '' });
  });
});

describe('the API client with a configured address', () => {
  afterEach(() => useConfig({ apiBase: '' }));

  const recorder = () => {
    const urls: string[] = [];
    const fetcher = (async (input: RequestInfo | URL) => {
      urls.push(String(input));
      return new Response(JSON.stringify({ id: 'v1', access_token: 'x', expires_in: 900 }));
    }) as typeof fetch;
    return { urls, fetcher };
  };

  it('prefixes every path with it', async () => {
    useConfig({ apiBase: 'https://api.example.com' });
    expect(apiBase()).toBe('https://api.example.com');
    const { urls, fetcher } = recorder();
    await new Api({ token: 't', vendorId: 'v1', role: 'desk', expiresAt: Infinity }, fetcher).vendor();
    await signIn('desk@example.com', 'pw', fetcher).catch(() => undefined);
    expect(urls).toEqual(['https://api.example.com/vendor/v1', 'https://api.example.com/vendor/login']);
  });

  it('keeps paths relative without one', async () => {
    const { urls, fetcher } = recorder();
    await new Api({ token: 't', vendorId: 'v1', role: 'desk', expiresAt: Infinity }, fetcher).vendor();
    expect(urls).toEqual(['/vendor/v1']);
  });
});
