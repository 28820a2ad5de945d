// The console's few server-rendered pages. Every value that reaches HTML goes through `html`'s escaping; no page
// carries a token, and the CSRF token is rendered only into forms of the session it belongs to.
import type { DashboardPrincipal } from '@rediacc/core';
import type { QueueCounts } from '@rediacc/producer';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · rediacc</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem}
input,button{font:inherit;padding:.3rem .6rem}input[type=password]{width:100%}.error{color:#b00020}
table{border-collapse:collapse}td,th{padding:.2rem .8rem;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head><body>${body}</body></html>\n`;
}

export function loginPage(error?: string): string {
  const message = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '';
  return layout(
    'Log in',
    `<h1>rediacc console</h1>${message}
<form method="post" action="/login">
<p><label for="token">Dashboard token (from <code>rediacc dashboard token create</code>)</label><br>
<input id="token" name="token" type="password" autocomplete="off" required></p>
<p><button type="submit">Log in</button></p>
</form>`,
  );
}

export interface HomeView {
  principal: DashboardPrincipal;
  /** The session's CSRF token, when the page was asked for with a session cookie (then it offers logout). */
  csrf: string | undefined;
  counts: readonly QueueCounts[];
}

const COLUMNS = ['pending', 'active', 'completed', 'failed', 'cancelled'] as const;

function countsTable(counts: readonly QueueCounts[]): string {
  if (counts.length === 0) return '<p>No teams yet.</p>';
  const head = `<tr><th>team</th>${COLUMNS.map((c) => `<th>${c}</th>`).join('')}</tr>`;
  const rows = counts.map(
    (team) => `<tr><td>${escapeHtml(team.team)}</td>${COLUMNS.map((c) => `<td>${team[c]}</td>`).join('')}</tr>`,
  );
  return `<table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

export function homePage(view: HomeView): string {
  const { principal } = view;
  const scope = principal.team ? `team ${escapeHtml(principal.team)}` : 'every team';
  const logout = view.csrf
    ? `<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${escapeHtml(view.csrf)}">
<button type="submit">Log out</button></form>`
    : '';
  return layout(
    'Console',
    `<h1>rediacc console</h1>
<p>Signed in with token <code>${escapeHtml(principal.id)}</code>: ${escapeHtml(principal.role)} of ${scope}.</p>
<h2>Tasks per team</h2>
${countsTable(view.counts)}
<p>The live console is coming. Meanwhile, every job is on <a href="/queues/">Bull Board</a>.</p>
${logout}`,
  );
}
