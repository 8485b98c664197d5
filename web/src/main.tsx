import { render } from 'preact';
import { App } from './App';
import { loadConfig, useConfig } from './config';
import './style.css';

// The service worker keeps this build's app shell, so a reload with no network still starts the
// desk (its board and queue are in IndexedDB). Only built apps have one (`vite build` writes it).
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL }).catch(() => {});
}

// The API's address (config.json, written at deploy time) is read before the first call.
const root = document.getElementById('app');
if (root) {
  void loadConfig().then((config) => {
    useConfig(config);
    render(<App />, root);
  });
}
