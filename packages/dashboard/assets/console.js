// The console page: the overview (overview.js) and the recent tasks, newest first, filtered by team, status,
// machine, priority and a search (task id, command, machine), the filters kept in the URL so a view can be shared.
// One EventSource keeps it all live: overview events redraw the cards, task events update rows in place and
// refetch the first page (at most once a second).

import { ago, badge, duration, el, getJson, live, STATUSES, throttle } from './dom.js';
import { renderOverview } from './overview.js';

const FILTERS = ['team', 'status', 'machine', 'priority', 'q'];
const PAGE = 50;
const form = document.getElementById('filters');
const rows = document.getElementById('task-rows');
const note = document.getElementById('tasks-note');
const more = document.getElementById('more');
let overview = null;
let next = null;
/** Tasks read so far by a bounded text search, across its "Search further" windows. */
let searched = 0;
let generation = 0;

function filters() {
  const params = new URLSearchParams(location.search);
  const chosen = {};
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value) chosen[name] = value;
  }
  return chosen;
}

function fillSelect(name, values, labelOf = (v) => v) {
  const select = form.elements.namedItem(name);
  const current = filters()[name] ?? '';
  const options = [...new Set([...values, ...(current ? [current] : [])])];
  const first = select.options[0];
  select.replaceChildren(first, ...options.map((v) => el('option', { value: v }, labelOf(v))));
  select.value = current;
}

function syncForm() {
  const chosen = filters();
  fillSelect('status', STATUSES);
  fillSelect('priority', ['1', '2', '3', '4', '5'], (p) => `P${p}`);
  fillSelect(
    'team',
    (overview?.teams ?? []).map((t) => t.team),
  );
  const team = chosen.team;
  fillSelect(
    'machine',
    (overview?.machines ?? []).filter((m) => !team || m.team === team).map((m) => m.name),
  );
  const q = form.elements.namedItem('q');
  if (document.activeElement !== q) q.value = chosen.q ?? '';
}

function applyForm() {
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    const value = form.elements.namedItem(name).value.trim();
    if (value) params.set(name, value);
  }
  const query = params.toString();
  history.replaceState(null, '', query ? `/?${query}` : '/');
  generation++;
  syncForm();
  loadTasks();
}

function taskQuery(before, limit) {
  const params = new URLSearchParams(filters());
  params.set('limit', String(limit));
  if (before) params.set('before', before);
  return `/api/tasks?${params}`;
}

function elapsedOf(task) {
  if (!task.startedAt) return null;
  const end = task.completedAt ? Date.parse(task.completedAt) : Date.now();
  return end - Date.parse(task.startedAt);
}

function taskRow(task) {
  const href = `/tasks/${encodeURIComponent(task.taskId)}`;
  const row = el(
    'tr',
    { dataset: { taskId: task.taskId, status: task.status, href } },
    el('td', {}, badge(task.status)),
    el('td', { className: 'mono' }, el('a', { href }, task.taskId)),
    el('td', {}, task.team),
    el('td', {}, task.machine),
    el('td', {}, el('span', { className: `prio p${task.priority}` }, `P${task.priority}`)),
    el('td', { className: 'command', title: task.command }, el('code', {}, task.command)),
    el('td', { className: 'dim', title: task.createdAt ?? '' }, ago(task.createdAt)),
    el('td', { className: 'num elapsed' }, duration(elapsedOf(task))),
  );
  if (task.startedAt && !task.completedAt) row.dataset.startedAt = task.startedAt;
  return row;
}

function showTasks(tasks, append) {
  const made = tasks.map(taskRow);
  if (append) rows.append(...made);
  else rows.replaceChildren(...made);
  if (rows.childElementCount === 0) {
    const any = Object.keys(filters()).length > 0;
    rows.replaceChildren(
      el(
        'tr',
        { className: 'empty-row' },
        el('td', { colspan: 8 }, any ? 'No task matches these filters.' : 'No tasks yet: rediacc create task …'),
      ),
    );
  }
}

/** Loads the first page (or, with `append`, the next one); an answer for filters since changed is dropped. */
async function loadTasks(append = false) {
  const mine = generation;
  const shown = rows.querySelectorAll('tr[data-task-id]').length;
  const limit = append ? PAGE : Math.min(200, Math.max(PAGE, shown));
  try {
    const page = await getJson(taskQuery(append ? next : null, limit));
    if (mine !== generation) return;
    showTasks(page.tasks ?? [], append);
    next = page.next ?? null;
    more.hidden = next === null;
    searched = (append ? searched : 0) + (page.scanned ?? 0);
    // A text search reads a bounded window of tasks: say so in words, and let the next window be asked for.
    more.textContent = page.searchLimited ? 'Search further' : 'Older tasks';
    note.textContent = page.searchLimited
      ? `Searched the newest ${searched.toLocaleString()} tasks for this text; older tasks were not searched yet. Use “Search further” to search the next ${page.window.toLocaleString()}.`
      : '';
  } catch (error) {
    if (mine !== generation) return;
    note.textContent = `Tasks unavailable: ${error.message}`;
  }
}

function onTask(event) {
  const row = rows.querySelector(`tr[data-task-id="${CSS.escape(event.taskId)}"]`);
  if (row && event.status) {
    row.dataset.status = event.status;
    row.cells[0].replaceChildren(badge(event.status));
  }
  refreshTasks();
}

// Live refreshes run one at a time: a slow answer is never dropped for a newer request that may be slow too.
let inFlight = null;
let again = false;
function refreshNow() {
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = loadTasks().finally(() => {
    inFlight = null;
    if (again) {
      again = false;
      refreshTasks();
    }
  });
}
const refreshTasks = throttle(refreshNow, 1000);

async function loadOverview() {
  try {
    onOverview(await getJson('/api/overview'));
  } catch (error) {
    document
      .getElementById('teams')
      .replaceChildren(el('p', { className: 'empty warn' }, `Overview unavailable: ${error.message}`));
  }
}

function onOverview(body) {
  overview = body;
  renderOverview(body);
  syncForm();
}

function tick() {
  for (const row of rows.querySelectorAll('tr[data-started-at]')) {
    const cell = row.querySelector('.elapsed');
    if (cell) cell.textContent = duration(Date.now() - Date.parse(row.dataset.startedAt));
  }
}

let typing = null;
form.addEventListener('input', (event) => {
  clearTimeout(typing);
  typing = setTimeout(applyForm, event.target.name === 'q' ? 300 : 0);
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  applyForm();
});
rows.addEventListener('click', (event) => {
  const row = event.target.closest('tr[data-href]');
  if (row && !event.target.closest('a') && !getSelection()?.toString()) location.assign(row.dataset.href);
});
more.addEventListener('click', () => loadTasks(true));
addEventListener('popstate', () => {
  generation++;
  syncForm();
  loadTasks();
});

syncForm();
loadOverview();
loadTasks();
live('/api/events', { overview: onOverview, task: onTask }, () => {
  loadOverview();
  refreshTasks();
});
setInterval(tick, 1000);
