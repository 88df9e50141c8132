// The demo page (PROTOCOL §6): connects with an api token from the URL and shows every
// event of the account live, resuming with `since` after a disconnect so nothing is lost.
// With `&id_operator=N` the token is an agent token (`vm token api --agent N`): the page
// inits as that operator and shows its events.
import { NOTIFICATION_TYPES } from '/protocol.js';

const params = new URLSearchParams(location.search);
const idClient = params.get('id_client');
const idSession = params.get('id_session');
const idOperator = params.get('id_operator');
const MAX_ROWS = 500;

const $ = (id) => document.getElementById(id);
const stateEl = $('state');
const rows = $('events');
const shown = new Set(NOTIFICATION_TYPES);
let paused = false;
let held = [];
let lastCpt;
let total = 0;

function setState(state, text) {
  stateEl.className = `state ${state}`;
  stateEl.dataset.state = state;
  stateEl.textContent = text ?? state;
}
function showError(msg) {
  $('error').hidden = !msg;
  $('error').textContent = msg ?? '';
}

for (const t of NOTIFICATION_TYPES) {
  const label = document.createElement('label');
  label.innerHTML = `<input type="checkbox" checked value="${t}"> ${t}`;
  label.querySelector('input').addEventListener('change', (e) => {
    if (e.target.checked) shown.add(t);
    else shown.delete(t);
    for (const tr of rows.children) tr.hidden = !shown.has(tr.dataset.type);
  });
  $('filters').append(label);
}
$('pause').addEventListener('click', () => {
  paused = !paused;
  $('pause').textContent = paused ? `Resume (${held.length})` : 'Pause';
  if (!paused) {
    held.forEach(render);
    held = [];
  }
});
$('clear').addEventListener('click', () => rows.replaceChildren());

function render(u) {
  const e = u.event;
  const tr = document.createElement('tr');
  tr.className = `t-${e.type_notification}`;
  tr.dataset.type = e.type_notification;
  tr.dataset.cpt = u.cpt;
  tr.hidden = !shown.has(e.type_notification);
  const time = new Date((u.ts - u.elapse) * 1000).toLocaleTimeString();
  const cells = [u.cpt, time, e.type_notification, e.event, JSON.stringify(e.msg)];
  for (const [i, text] of cells.entries()) {
    const td = document.createElement('td');
    td.textContent = String(text);
    if (i === 4) td.className = 'details';
    tr.append(td);
  }
  rows.prepend(tr);
  while (rows.children.length > MAX_ROWS) rows.lastElementChild.remove();
}

function onUpdate(u) {
  if (lastCpt !== undefined && u.cpt <= lastCpt) return;
  lastCpt = u.cpt;
  total++;
  $('counts').textContent = `${total} events · last cpt ${u.cpt}`;
  if (paused) {
    held.push(u);
    $('pause').textContent = `Resume (${held.length})`;
  } else render(u);
}

if (!idClient || !idSession) {
  setState('error', 'no token');
  showError('Open this page as /labo/index.htm?id_client=<id_client>&id_session=<id_session> (a token from POST /vm/token).');
} else {
  $('account').textContent = idOperator ? `account ${idClient} · operator ${idOperator}` : `account ${idClient}`;
  const socket = io({ transports: ['websocket', 'polling'] });
  // Set once the server refused the token: the disconnect that follows must not hide why.
  let refused = false;
  socket.on('update', onUpdate);
  socket.on('init_error', (err) => {
    refused = true;
    setState('error', 'refused');
    showError(`${err.error}: ${err.message}`);
  });
  socket.on('connect', () => {
    setState(lastCpt === undefined ? 'connecting' : 'resuming');
    const opts = { types: NOTIFICATION_TYPES };
    if (lastCpt !== undefined) opts.since = lastCpt;
    const [userType, target] = idOperator ? ['agent', Number(idOperator)] : ['api', Number(idClient)];
    socket.emit('init', userType, target, idSession, opts, (ack) => {
      if (ack.ok) {
        // Resume from here even if nothing arrives before the next disconnect.
        if (lastCpt === undefined) lastCpt = ack.cpt;
        showError();
        setState('live');
      }
    });
  });
  socket.on('disconnect', (reason) => {
    if (refused) return;
    setState('disconnected', 'disconnected · reconnecting…');
    // Socket.IO retries by itself after a network cut, but not when the server closed the
    // socket (restart, shutdown): retry here too.
    if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
  });
}
