import { render } from 'preact';
import { App } from './App';
import { loadConfig, useConfig } from './config';
import './style.css';

// The API's address (config.json, written at deploy time) is read before the first call.
const root = document.getElementById('app');
if (root) {
  void loadConfig().then((config) => {
    useConfig(config);
    render(<App />, root);
  });
}
