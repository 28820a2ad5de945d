// The console's two pages, `/` (the fleet at a glance and the recent tasks) and `/tasks/:taskId` (one task and its
// live output), and the static files they load from /assets/. The pages are shells: the browser modules in
// assets/ fill them from the JSON API and keep them live over one EventSource. Only the principal's role and team
// and the session's CSRF token are rendered here, escaped; everything else reaches the DOM through textContent.
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { DashboardPrincipal } from '@rediacc/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { escapeHtml } from './pages.js';

/** packages/dashboard/assets, next to dist/ (and src/) in the package as built and as shipped. */
export const ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));

export async function registerConsole(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: ASSETS_DIR, prefix: '/assets/', index: false, wildcard: true });
  app.get('/', async (request, reply) => reply.type('text/html; charset=utf-8').send(consolePage(viewOf(request))));
  app.get<{ Params: { taskId: string } }>('/tasks/:taskId', async (request, reply) =>
    reply.type('text/html; charset=utf-8').send(taskPage(viewOf(request), request.params.taskId)),
  );
}

interface PageView {
  principal: DashboardPrincipal;
  csrf: string | undefined;
}

function viewOf(request: FastifyRequest): PageView {
  if (!request.principal) throw new Error('the auth hook let an unauthenticated request through');
  return { principal: request.principal, csrf: request.dashboardSession?.csrf };
}

/** A page: `name` is its script and stylesheet in assets/ (besides base.css), `main` its body. */
function shell(view: PageView, title: string, name: string, main: string): string {
  const { principal } = view;
  const scope = principal.team ? `team ${principal.team}` : 'all teams';
  const logout = view.csrf
    ? `<form method="post" action="/logout" class="logout"><input type="hidden" name="_csrf" value="${escapeHtml(view.csrf)}"><button type="submit" class="ghost">Log out</button></form>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="rdc-role" content="${escapeHtml(principal.role)}">
<meta name="rdc-team" content="${escapeHtml(principal.team ?? '')}">
<meta name="rdc-csrf" content="${escapeHtml(view.csrf ?? '')}">
<title>${escapeHtml(title)} · rediacc</title>
<link rel="stylesheet" href="/assets/base.css">
<link rel="stylesheet" href="/assets/${name}.css">
<script type="module" src="/assets/${name}.js"></script>
</head><body>
<header class="topbar">
<a class="brand" href="/"><span class="logo" aria-hidden="true"></span>rediacc<span class="dim">fleet</span></a>
<nav><a href="/">Console</a><a href="/queues/">Bull Board</a></nav>
<span class="spacer"></span>
<span id="live" data-state="connecting" title="live updates"><span class="pulse"></span><span class="label">connecting</span></span>
<span class="who">${escapeHtml(principal.role)} of ${escapeHtml(scope)}</span>
${logout}
</header>
${main}
</body></html>\n`;
}

export function consolePage(view: PageView): string {
  return shell(
    view,
    'Console',
    'console',
    `<main class="console">
<section id="teams" class="teams" aria-label="teams"><p class="empty">Loading…</p></section>
<section class="fleet">
<div class="panel"><h2>Bridges</h2><div id="bridges"></div></div>
<div class="panel"><h2>Machines</h2><div id="machines"></div></div>
</section>
<section class="panel alerts"><h2>Alerts</h2><div id="alerts"></div></section>
<section class="panel tasks">
<div class="panel-head"><h2>Recent tasks</h2>
<form id="filters" class="filters" role="search">
<input name="q" type="search" placeholder="Search id, command, machine" autocomplete="off" spellcheck="false">
<select name="team" aria-label="team"><option value="">All teams</option></select>
<select name="status" aria-label="status"><option value="">Any status</option></select>
<select name="priority" aria-label="priority"><option value="">Any priority</option></select>
<select name="machine" aria-label="machine"><option value="">All machines</option></select>
</form></div>
<table class="grid"><thead><tr><th>Status</th><th>Task</th><th>Team</th><th>Machine</th><th>P</th><th>Command</th><th>Created</th><th class="num">Duration</th></tr></thead>
<tbody id="task-rows"></tbody></table>
<p id="tasks-note" class="note"></p>
<button id="more" type="button" class="ghost" hidden>Older tasks</button>
</section>
</main>`,
  );
}

export function taskPage(view: PageView, taskId: string): string {
  return shell(
    view,
    `Task ${taskId}`,
    'task',
    `<main class="task" data-task-id="${escapeHtml(taskId)}">
<div class="crumbs"><a href="/">Console</a> / <span>task</span> <code>${escapeHtml(taskId)}</code></div>
<section class="task-head">
<span id="task-status" class="badge" data-status="">…</span>
<h1 id="task-command" class="command"></h1>
<span class="spacer"></span>
<button type="button" data-action="cancel" class="danger" hidden>Cancel</button>
<button type="button" data-action="retry" class="primary" hidden>Retry</button>
</section>
<p id="task-message" class="message" role="status" hidden></p>
<section class="task-grid">
<dl id="task-facts" class="panel facts"></dl>
<div class="panel timing"><h2>Timing</h2><div id="task-timing"></div></div>
</section>
<section class="panel output">
<div class="panel-head"><h2>Output</h2><span id="output-note" class="note"></span><span class="spacer"></span>
<label class="follow"><input id="follow" type="checkbox" checked> Follow</label>
<a id="download" class="button ghost" href="/api/tasks/${encodeURIComponent(taskId)}/output.txt" download>Download full output</a></div>
<pre id="task-output" class="log" tabindex="0"></pre>
</section>
</main>`,
  );
}
