// The task page: what ran where, its timings against the command's usual duration, and its output following the
// running command. Only the tail lives in the DOM (at most 64 KiB; the full output is a download), so a 1 MB
// output never slows the page. One EventSource (`?task=ID`) brings the task's state changes and output chunks;
// after a drop it refetches the task and the tail, so the output never stops following.
import { ApiError, bytes, canOperate, clock, duration, el, getJson, live, postJson, throttle } from './dom.js';

const MAX_DOM_CHARS = 64 * 1024;
const taskId = document.querySelector('main[data-task-id]').dataset.taskId;
const path = `/api/tasks/${encodeURIComponent(taskId)}`;
const statusEl = document.getElementById('task-status');
const output = document.getElementById('task-output');
const outputNote = document.getElementById('output-note');
const follow = document.getElementById('follow');
const message = document.getElementById('task-message');
const cancelButton = document.querySelector('button[data-action="cancel"]');
const retryButton = document.querySelector('button[data-action="retry"]');
const ACTIVE = new Set(['PENDING', 'ASSIGNED', 'PROCESSING']);
const NOT_RETRYABLE = new Set(['RDC_CANCELLED', 'RDC_RUN_LOST']);

let task = null;
/** The tail shown: its text and the byte offsets of the whole output it covers. */
let tail = { text: '', start: 0, end: 0 };
let drawPending = false;
const encoder = new TextEncoder();

function say(text, kind = 'info') {
  message.hidden = !text;
  message.className = `message ${kind}`;
  message.textContent = text;
}

function fact(label, value, className = '') {
  return [el('dt', {}, label), el('dd', { className }, value === null || value === undefined ? '—' : value)];
}

function renderTask() {
  statusEl.textContent = task.status;
  statusEl.dataset.status = task.status;
  document.getElementById('task-command').replaceChildren(el('code', {}, task.command));
  document.title = `${task.status} · ${task.command.slice(0, 60)} · rediacc`;
  const exit = task.exitCode !== null ? String(task.exitCode) : task.signal ? `signal ${task.signal}` : null;
  document
    .getElementById('task-facts')
    .replaceChildren(
      ...fact('Team', task.team),
      ...fact('Machine', el('a', { href: `/?machine=${encodeURIComponent(task.machine)}` }, task.machine)),
      ...fact('Priority', el('span', { className: `prio p${task.priority}` }, `P${task.priority}`)),
      ...fact('Attempts', task.maxRetries ? `${task.attempts} of ${task.maxRetries + 1}` : String(task.attempts)),
      ...fact('Exit code', exit, task.exitCode ? 'bad' : ''),
      ...fact('Bridge', task.bridge),
      ...fact('Secrets', task.secrets?.length ? task.secrets.join(', ') : null),
      ...(task.error ? fact('Error', `${task.errorCode ? `${task.errorCode}: ` : ''}${task.error}`, 'bad') : []),
      ...(task.nextAttemptAt ? fact('Next attempt', clock(task.nextAttemptAt)) : []),
    );
  renderTiming();
  const operator = canOperate();
  cancelButton.hidden = !(operator && ACTIVE.has(task.status));
  retryButton.hidden = !(operator && task.status === 'FAILED' && !NOT_RETRYABLE.has(task.errorCode));
}

function renderTiming() {
  if (!task) return;
  const created = task.createdAt ? Date.parse(task.createdAt) : null;
  const started = task.startedAt ? Date.parse(task.startedAt) : null;
  const ended = task.completedAt ? Date.parse(task.completedAt) : null;
  const now = Date.now();
  const waited = created !== null ? (started ?? ended ?? now) - created : null;
  const elapsed = started !== null ? (ended ?? now) - started : null;
  const usual = task.usualDurationMs ?? null;
  const rows = [
    ...fact('Created', clock(task.createdAt)),
    ...fact('Started', clock(task.startedAt)),
    ...fact('Finished', clock(task.completedAt)),
    ...fact('Queued for', duration(waited)),
    ...fact('Ran for', duration(elapsed), elapsed !== null && !ended ? 'running' : ''),
    ...fact('Usually', usual === null ? 'no history yet' : duration(usual)),
  ];
  const box = document.getElementById('task-timing');
  const list = el('dl', { className: 'facts' }, rows);
  if (usual !== null && elapsed !== null) {
    const ratio = elapsed / Math.max(usual, 1);
    const bar = el('span', { className: `meter ${ratio > 1.5 ? 'high' : ratio > 1 ? 'mid' : 'low'}` });
    const fill = el('span', { className: 'fill' });
    fill.style.width = `${Math.min(100, Math.round((ratio / 2) * 100))}%`;
    bar.append(fill, el('span', { className: 'mark' }));
    const words = ratio >= 1 ? `${ratio.toFixed(1)}× its usual time` : `${Math.round(ratio * 100)}% of its usual time`;
    box.replaceChildren(list, el('div', { className: 'usual' }, bar, el('span', { className: 'dim' }, words)));
  } else box.replaceChildren(list);
}

function draw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    const stick = follow.checked;
    output.textContent = tail.text;
    const total = tail.end;
    outputNote.textContent =
      tail.start > 0
        ? `last ${bytes(total - tail.start)} of ${bytes(total)}`
        : total > 0
          ? bytes(total)
          : task && ACTIVE.has(task.status)
            ? 'waiting for output…'
            : 'no output';
    if (stick) output.scrollTop = output.scrollHeight;
  });
}

/** Keeps the tail within MAX_DOM_CHARS, cutting at a line start when one is near. */
function trim() {
  if (tail.text.length <= MAX_DOM_CHARS) return;
  let cut = tail.text.length - MAX_DOM_CHARS;
  const newline = tail.text.indexOf('\n', cut);
  if (newline !== -1 && newline - cut < 1024) cut = newline + 1;
  tail.start += encoder.encode(tail.text.slice(0, cut)).length;
  tail.text = tail.text.slice(cut);
}

async function loadTail() {
  try {
    const body = await getJson(`${path}/output?tail=65536`);
    tail = { text: body.text ?? '', start: body.offset ?? 0, end: body.end ?? 0 };
    trim();
    draw();
  } catch (error) {
    outputNote.textContent = `output unavailable: ${error.message}`;
  }
}

function onOutput(chunk) {
  if (chunk.taskId !== taskId || typeof chunk.text !== 'string') return;
  const size = encoder.encode(chunk.text).length;
  if (chunk.offset + size <= tail.end) return; // already shown (a resend after a reconnect)
  if (chunk.offset > tail.end) {
    // A gap (missed chunks): the stored tail is the truth.
    loadTail();
    return;
  }
  const skip = tail.end - chunk.offset;
  const text = skip > 0 ? new TextDecoder().decode(encoder.encode(chunk.text).slice(skip)) : chunk.text;
  tail.text += text;
  tail.end = chunk.offset + size;
  trim();
  draw();
}

async function loadTask() {
  try {
    task = await getJson(path);
    renderTask();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404)
      say(`No task ${taskId}: it never existed or has expired.`, 'bad');
    else say(`Task unavailable: ${error.message}`, 'bad');
  }
}

const refreshTask = throttle(loadTask, 500);

async function act(button, action) {
  button.disabled = true;
  try {
    const result = await postJson(`${path}/${action}`);
    say(action === 'cancel' ? `Cancel: ${result.outcome ?? 'sent'}` : `Retried: ${result.status ?? 'queued'}`);
    await loadTask();
    if (action === 'retry') await loadTail();
  } catch (error) {
    say(`${action} refused: ${error.message}${error.fix ? ` (${error.fix})` : ''}`, 'bad');
  } finally {
    button.disabled = false;
  }
}

cancelButton.addEventListener('click', () => act(cancelButton, 'cancel'));
retryButton.addEventListener('click', () => act(retryButton, 'retry'));
follow.addEventListener('change', draw);
output.addEventListener('scroll', () => {
  const atBottom = output.scrollHeight - output.scrollTop - output.clientHeight < 8;
  if (follow.checked !== atBottom && document.activeElement === output) follow.checked = atBottom;
});

await loadTask();
await loadTail();
live(
  `/api/events?task=${encodeURIComponent(taskId)}`,
  {
    task: (event) => event.taskId === taskId && refreshTask(),
    output: onOutput,
    end: async (event) => {
      if (event.taskId !== taskId) return;
      await loadTask();
      await loadTail();
    },
  },
  async () => {
    await loadTask();
    await loadTail();
  },
);
setInterval(() => task && !task.completedAt && renderTiming(), 1000);
