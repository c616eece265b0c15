// The console's two pages: the test call and Operations, chosen by the URL's hash (#operations),
// so a link or a reload keeps the page.

import { showOperations } from './operations.js';
import { $ } from './shared.js';

/** The page the hash names: `operations` or the test call. */
export const currentView = () => (location.hash === '#operations' ? 'operations' : 'call');

/** Shows the page the hash names (once connected: both need an API key). */
export function showView() {
  const view = currentView();
  $('views').hidden = false;
  $('main').hidden = view !== 'call';
  $('ops').hidden = view !== 'operations';
  for (const link of document.querySelectorAll('#views a')) {
    if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  showOperations(view === 'operations');
}
