// The results webview: a typed message client of the panel host. All run data arrives by
// message, is validated, and is rendered as text.
import './elements';
import { parseHostMessage } from '../src/shared/protocol';
import { App } from './app';
import { createHost } from './host';

const host = createHost();
const root = document.getElementById('app')!;
const app = new App(root, host);
window.addEventListener('message', (e: MessageEvent) => {
  const m = parseHostMessage(e.data);
  if (m) app.onMessage(m);
});
host.post({ type: 'ready' });
