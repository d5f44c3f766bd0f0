// Small pieces every view uses: a state badge (icon + word + colour), a table cell that labels
// itself on a phone, the confirmation dialog of bulk and destructive actions, and toasts that say
// what an action changed.
import type { TaskState } from './api-types.js';
import { fill, h, on, type Child } from './dom.js';
import { STATES } from './format.js';

export function badge(state: TaskState): HTMLElement {
  const info = STATES[state];
  return h('span', { class: `badge state-${state}` }, h('span', { class: 'icon', 'aria-hidden': 'true' }, info.icon), info.label);
}

/** A cell with its column's name, shown beside the value when the table becomes cards on a phone. */
export function cell(label: string, cls: string | null, ...children: Child[]): HTMLTableCellElement {
  return h('td', { 'data-label': label, class: cls }, ...children);
}

export function table(cls: string, headers: Array<[string, string?]>, rows: Node[]): HTMLTableElement {
  return h('table', { class: cls },
    h('thead', null, h('tr', null, headers.map(([label, c]) => h('th', { scope: 'col', class: c }, label)))),
    h('tbody', null, rows));
}

export function toast(message: string, bad = false): void {
  const box = document.getElementById('toasts');
  if (!box) return;
  const item = h('div', { class: `toast${bad ? ' bad' : ''}` }, message);
  box.appendChild(item);
  setTimeout(() => item.remove(), bad ? 12_000 : 7000);
}

export interface ConfirmOptions {
  title: string;
  message: Child;
  confirm: string;
  danger?: boolean;
}

/** A modal question; resolves true when the person confirms. */
export function confirmDialog(options: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-title' });
    const done = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    const cancel = on(h('button', { type: 'button' }, 'Cancel'), 'click', () => done(false));
    const ok = on(h('button', { type: 'button', class: options.danger ? 'danger' : 'primary', 'data-confirm': '' }, options.confirm), 'click', () => done(true));
    fill(dialog, h('h2', { id: 'confirm-title' }, options.title), h('p', null, options.message), h('div', { class: 'actions' }, ok, cancel));
    dialog.addEventListener('cancel', () => done(false));
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

export function empty(text: string): HTMLElement {
  return h('div', { class: 'empty panel' }, text);
}
