// The fleet at a glance, drawn from one /api/overview body: a card per team (PENDING / ASSIGNED / PROCESSING per
// priority, oldest pending age, completed and failed over the last 15 minutes as a small SVG chart), the live
// bridges with their slots, and the machines with their running tasks, load, memory and last SSH error.
import { ago, bytes, duration, el, svg } from './dom.js';

const PRIORITIES = ['1', '2', '3', '4', '5'];

export function renderOverview(overview) {
  renderTeams(overview.teams ?? []);
  renderBridges(overview.bridges ?? []);
  renderMachines(overview.machines ?? []);
  renderAlerts(overview.alerts ?? [], overview.webhooks ?? []);
}

function renderTeams(teams) {
  const section = document.getElementById('teams');
  if (teams.length === 0) {
    section.replaceChildren(el('p', { className: 'empty' }, 'No teams yet: rediacc team create NAME'));
    return;
  }
  section.replaceChildren(...teams.map(teamCard));
}

function oldestOf(team) {
  const ages = Object.values(team.oldestPendingAgeSeconds ?? {}).filter((a) => typeof a === 'number');
  return ages.length ? Math.max(...ages) : null;
}

function teamCard(team) {
  const t = team.totals ?? {};
  const oldest = oldestOf(team);
  const done15 = (team.throughput ?? []).reduce((sum, b) => sum + (b.completed ?? 0), 0);
  const failed15 = (team.throughput ?? []).reduce((sum, b) => sum + (b.failed ?? 0), 0);
  return el(
    'article',
    { className: 'panel team', dataset: { team: team.team } },
    el(
      'header',
      { className: 'team-head' },
      el('h2', {}, el('a', { href: `/?team=${encodeURIComponent(team.team)}` }, team.team)),
      el(
        'span',
        { className: `oldest${oldest !== null && oldest > 300 ? ' warn' : ''}` },
        oldest === null ? 'queue clear' : `oldest pending ${duration(oldest * 1000)}`,
      ),
    ),
    el(
      'div',
      { className: 'stats' },
      stat('Pending', t.pending, 'pending'),
      stat('Assigned', t.assigned, 'assigned'),
      stat('Running', t.processing, 'processing'),
      stat('Failed', t.failed, 'failed'),
    ),
    el(
      'div',
      { className: 'chart-box' },
      el(
        'div',
        { className: 'chart-legend' },
        el('span', {}, 'Last 15 min'),
        el('span', { className: 'spacer' }),
        el('span', { className: 'key completed' }, `${done15} done`),
        el('span', { className: `key failed${failed15 ? ' hot' : ''}` }, `${failed15} failed`),
      ),
      throughputChart(team.throughput ?? []),
    ),
    priorityTable(team),
  );
}

function stat(label, value, kind) {
  return el(
    'div',
    { className: `stat ${kind}${value ? ' nonzero' : ''}` },
    el('span', { className: 'value' }, (value ?? 0).toLocaleString()),
    el('span', { className: 'label' }, label),
  );
}

/** Completed (up) and failed (stacked on top, red) per minute, oldest on the left. */
function throughputChart(buckets) {
  const W = 300;
  const H = 56;
  const n = 15;
  const slot = W / n;
  const max = Math.max(1, ...buckets.map((b) => (b.completed ?? 0) + (b.failed ?? 0)));
  const chart = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart',
    role: 'img',
    preserveAspectRatio: 'none',
  });
  chart.append(svg('line', { x1: 0, x2: W, y1: H - 0.5, y2: H - 0.5, class: 'axis' }));
  const padded = [...Array(Math.max(0, n - buckets.length)).fill(null), ...buckets.slice(-n)];
  padded.forEach((bucket, i) => {
    const x = i * slot + 2;
    const w = slot - 4;
    if (!bucket) return;
    const ok = ((bucket.completed ?? 0) / max) * (H - 4);
    const bad = ((bucket.failed ?? 0) / max) * (H - 4);
    const title = svg('title');
    title.textContent = `${new Date(bucket.minuteStart).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false })}: ${bucket.completed ?? 0} completed, ${bucket.failed ?? 0} failed`;
    const group = svg('g', {}, title);
    group.append(svg('rect', { x, y: 0, width: w, height: H, class: 'hit' }));
    if (ok > 0) group.append(svg('rect', { x, y: H - 1 - ok, width: w, height: ok, rx: 1.5, class: 'ok' }));
    if (bad > 0) group.append(svg('rect', { x, y: H - 1 - ok - bad, width: w, height: bad, rx: 1.5, class: 'bad' }));
    chart.append(group);
  });
  return chart;
}

function priorityTable(team) {
  const rows = PRIORITIES.map((p) => {
    const c = team.byPriority?.[p] ?? {};
    const age = team.oldestPendingAgeSeconds?.[p];
    const idle = !c.pending && !c.assigned && !c.processing;
    return el(
      'tr',
      { className: idle ? 'idle' : '' },
      el('th', { scope: 'row' }, el('span', { className: `prio p${p}` }, `P${p}`)),
      el('td', { className: 'num' }, (c.pending ?? 0).toLocaleString()),
      el('td', { className: 'num' }, (c.assigned ?? 0).toLocaleString()),
      el('td', { className: 'num' }, (c.processing ?? 0).toLocaleString()),
      el('td', { className: 'num dim' }, typeof age === 'number' ? duration(age * 1000) : '—'),
    );
  });
  return el(
    'table',
    { className: 'prio-table' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', {}, ''),
        el('th', { className: 'num' }, 'pending'),
        el('th', { className: 'num' }, 'assigned'),
        el('th', { className: 'num' }, 'running'),
        el('th', { className: 'num' }, 'oldest'),
      ),
    ),
    el('tbody', {}, rows),
  );
}

function meter(used, total, label) {
  const ratio = total > 0 ? Math.min(1, used / total) : 0;
  const level = ratio >= 0.9 ? 'high' : ratio >= 0.7 ? 'mid' : 'low';
  const bar = el('span', { className: `meter ${level}` }, el('span', { className: 'fill' }));
  bar.firstChild.style.width = `${Math.round(ratio * 100)}%`;
  return el('span', { className: 'metered' }, bar, el('span', { className: 'dim' }, label));
}

function sumSlots(bridge, lane) {
  let busy = 0;
  let free = 0;
  for (const slots of Object.values(bridge.slots ?? {})) {
    busy += slots[lane]?.busy ?? 0;
    free += slots[lane]?.free ?? 0;
  }
  return { busy, free };
}

/** A compact grid table: headers (a label, or [label, class]) over the given rows. */
function gridTable(headers, rows) {
  const head = headers.map((h) => (Array.isArray(h) ? el('th', { className: h[1] }, h[0]) : el('th', {}, h)));
  return el('table', { className: 'grid compact' }, el('thead', {}, el('tr', {}, ...head)), el('tbody', {}, rows));
}

function renderBridges(bridges) {
  const box = document.getElementById('bridges');
  if (bridges.length === 0) {
    box.replaceChildren(el('p', { className: 'empty warn' }, 'No live bridge: nothing runs. rediacc bridge start'));
    return;
  }
  const rows = bridges.map((b) => {
    const normal = sumSlots(b, 'normal');
    const critical = sumSlots(b, 'critical');
    return el(
      'tr',
      { dataset: { bridge: b.id } },
      el(
        'td',
        {},
        el('span', { className: 'dot ok' }),
        el('strong', {}, b.id),
        b.version ? el('span', { className: 'dim version' }, ` v${b.version}`) : null,
      ),
      el('td', { className: 'dim' }, `${b.host} · pid ${b.pid}`),
      el('td', {}, (b.teams ?? []).join(', ')),
      el('td', {}, meter(normal.busy, normal.busy + normal.free, `${normal.busy}/${normal.busy + normal.free}`)),
      el(
        'td',
        {},
        meter(critical.busy, critical.busy + critical.free, `${critical.busy}/${critical.busy + critical.free}`),
      ),
      el('td', { className: 'dim num' }, `up ${duration(Date.now() - Date.parse(b.startedAt))}`),
    );
  });
  box.replaceChildren(
    gridTable(['Bridge', 'Host', 'Teams', 'Normal slots', 'Critical slots', ['Uptime', 'num']], rows),
  );
}

function renderAlerts(alerts, webhooks) {
  const box = document.getElementById('alerts');
  if (!box) return;
  // Webhook URLs arrive redacted (scheme://host/…/last 4 characters): some carry a credential.
  const targets = el(
    'p',
    { className: 'dim' },
    webhooks.length === 0
      ? 'No webhooks: rediacc alert webhook add URL --team T'
      : `Sent to ${webhooks.map((w) => `${w.url} (${w.team ?? 'every team'}${w.signed ? ', signed' : ''})`).join(' · ')}`,
  );
  if (alerts.length === 0) {
    box.replaceChildren(el('p', { className: 'empty' }, 'No alerts. Add rules with rediacc alert rule add …'), targets);
    return;
  }
  const rows = alerts.map((a) =>
    el(
      'tr',
      { dataset: { alert: a.id, state: a.state } },
      el('td', {}, el('span', { className: `dot ${a.state === 'firing' ? 'bad' : 'ok'}` }), a.state),
      el('td', { className: 'dim' }, a.team),
      el('td', { className: 'dim' }, a.kind),
      el('td', {}, a.summary),
      el('td', { className: 'num dim' }, ago(a.at)),
    ),
  );
  box.replaceChildren(gridTable(['State', 'Team', 'Kind', 'Summary', ['When', 'num']], rows), targets);
}

function renderMachines(machines) {
  const box = document.getElementById('machines');
  if (machines.length === 0) {
    box.replaceChildren(el('p', { className: 'empty' }, 'No machines yet: rediacc machine add NAME --team T …'));
    return;
  }
  const rows = machines.map((m) => {
    const s = m.sample;
    const error = m.lastError;
    // lastError is kept after the machine answers again; only unreachableSince means it is down now.
    const down = m.unreachableSince !== null && m.unreachableSince !== undefined;
    const num = (v, show) => (v === null || v === undefined ? '—' : show(v));
    return el(
      'tr',
      { dataset: { machine: m.name } },
      el(
        'td',
        {},
        el('span', { className: `dot ${down ? 'bad' : 'ok'}` }),
        el('a', { href: `/?machine=${encodeURIComponent(m.name)}` }, m.name),
      ),
      el('td', { className: 'dim' }, m.team),
      el('td', { className: 'dim mono' }, m.host),
      el('td', { className: 'num' }, String(m.running ?? 0)),
      el('td', { className: 'num' }, s ? num(s.load1, (v) => v.toFixed(2)) : '—'),
      el(
        'td',
        {},
        s && s.memUsedBytes !== null && s.memTotalBytes !== null
          ? meter(s.memUsedBytes, s.memTotalBytes, `${bytes(s.memUsedBytes)} / ${bytes(s.memTotalBytes)}`)
          : '—',
      ),
      el('td', { className: 'num dim' }, s ? num(s.diskFreeBytes, bytes) : '—'),
      el(
        'td',
        { className: down ? 'error-cell' : 'dim' },
        down && error
          ? el('span', { title: error.message }, `unreachable since ${ago(m.unreachableSince)}: ${error.message}`)
          : error
            ? el('span', { title: error.message }, `ok (last error ${ago(error.at)})`)
            : 'ok',
      ),
    );
  });
  box.replaceChildren(
    gridTable(
      [
        'Machine',
        'Team',
        'Host',
        ['Running', 'num'],
        ['Load', 'num'],
        'Memory',
        ['Disk free', 'num'],
        'Last SSH error',
      ],
      rows,
    ),
  );
}
