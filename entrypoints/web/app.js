// The approvals page (SPEC §14): an ES module, no build step, no third-party code.
// Decisions (token handling, the CSP, how the stream is read): docs/approvals-page.md.
import { flash, newerFirst, renderRow } from "./rows.js";
import { EquityReport } from "./report.js";
import { followStream } from "./sse.js";
import { makeTransition } from "./transitions.js";

const TOKEN_KEY = "signalhub.token";
const PAGE_SIZE = 100;
// A Last-Event-ID past the user's newest event means "from the newest" (docs/stream.md).
const FROM_NEWEST = "9223372036854775807";
const STALL_MS = 50000; // no byte (not even the 15 s `: ping`) for this long: reconnect
const $ = (id) => document.getElementById(id);
const el = {
  form: $("login"), token: $("token"), disconnect: $("disconnect"),
  connection: $("connection"), message: $("message"),
  panel: $("signals-panel"), rows: $("rows"), count: $("count"), empty: $("empty"),
  more: $("more"),
};

const state = {
  gen: 0, // bumped on every (re)connect and sign-out: older loops and answers stop
  token: null,
  signals: new Map(), // id -> the newest signal object seen (highest revision)
  rows: new Map(), // id -> <tr>
  notes: new Map(), // id -> {text, kind}: the outcome of the last action on that row
  busy: new Set(), // ids with a transition in flight
  total: 0,
  pages: 0,
  abort: null,
};

// What a row needs to draw itself and act (rows.js).
const view = {
  busy: state.busy,
  notes: state.notes,
  act: (id, action, input) => transition(id, action, input),
};

const report = new EquityReport({
  api: (path) => api(path),
  detail: (response) => detail(response),
  panel: $("report-panel"),
  image: $("report"),
  note: $("report-note"),
});

// Acting on a row (transitions.js): If-Match on every POST, the outcome noted on the row.
const transition = makeTransition({
  state,
  view,
  api: (path, init) => api(path, init),
  detail: (response) => detail(response),
  upsert: (s) => upsert(s),
  showMessage: (text, kind) => showMessage(text, kind),
  refused: () => refused(),
  onClosed: () => report.schedule(current(state.gen)),
});

// A check that the page still shows what `gen` started (no sign-out or new token since).
function current(gen) {
  return () => gen === state.gen;
}

// ---------- HTTP: the token only ever goes into the Authorization header ----------

function api(path, init = {}) {
  const headers = new Headers(init.headers || {});
  headers.set("Authorization", `Bearer ${state.token}`);
  return fetch(path, {
    ...init,
    headers,
    cache: "no-store",
    credentials: "omit",
    referrerPolicy: "no-referrer",
  });
}

async function detail(response) {
  try {
    const body = await response.json();
    return body && typeof body === "object" ? body : {};
  } catch {
    return {};
  }
}

// ---------- messages ----------

function showMessage(text, kind = "error") {
  el.message.textContent = text;
  el.message.dataset.kind = kind;
  el.message.hidden = !text;
}

function setConnection(stateName, text) {
  el.connection.dataset.state = stateName;
  el.connection.textContent = text;
}

// ---------- rows ----------

function place(tr, s) {
  for (const other of el.rows.children) {
    const shown = state.signals.get(other.dataset.id);
    if (other !== tr && shown && newerFirst(s, shown) < 0) {
      el.rows.insertBefore(tr, other);
      return true;
    }
  }
  if (state.pages * PAGE_SIZE >= state.total || !el.rows.lastChild) {
    el.rows.append(tr);
    return true;
  }
  return false; // older than every loaded row while older pages exist: "Load older" has it
}

function upsert(s) {
  const known = state.signals.get(s.id);
  if (known && known.revision >= s.revision) return false;
  state.signals.set(s.id, s);
  let tr = state.rows.get(s.id);
  if (!tr) {
    tr = document.createElement("tr");
    tr.dataset.id = s.id;
    if (!place(tr, s)) {
      state.signals.delete(s.id);
      return false;
    }
    state.rows.set(s.id, tr);
  }
  renderRow(tr, s, view);
  if (known) flash(tr);
  return true;
}

function refreshCounts() {
  const shown = state.rows.size;
  el.count.textContent = shown === state.total
    ? `${state.total} signal${state.total === 1 ? "" : "s"}`
    : `${shown} of ${state.total} signals`;
  el.empty.hidden = shown > 0;
  el.more.hidden = state.pages * PAGE_SIZE >= state.total;
}

// ---------- the list (SPEC §4) ----------

async function loadPage(page, gen) {
  let response;
  try {
    response = await api(`/api/v1/signals?page=${page}&page_size=${PAGE_SIZE}`);
  } catch {
    if (gen === state.gen) showMessage("The server could not be reached.");
    return false;
  }
  if (gen !== state.gen) return false;
  if (response.status === 401) {
    refused();
    return false;
  }
  if (!response.ok) {
    const problem = await detail(response);
    showMessage(`Could not load the signals (${response.status}): ${problem.detail || ""}`);
    return false;
  }
  const body = await response.json();
  if (gen !== state.gen) return false;
  state.total = Math.max(body.total, state.total);
  state.pages = Math.max(state.pages, page);
  for (const s of body.items) upsert(s);
  refreshCounts();
  return true;
}

// ---------- the live stream (SPEC §10) read with fetch: EventSource cannot send headers ----------

function onStreamMessage(message) {
  if (message.event !== "signal.created" && message.event !== "signal.transitioned") return;
  let data;
  try {
    data = JSON.parse(message.data);
  } catch {
    return;
  }
  const s = data.signal;
  if (!s || typeof s.id !== "string") return;
  const isNew = !state.signals.has(s.id);
  if (upsert(s)) {
    if (isNew) state.total += 1;
    refreshCounts();
    if (s.status === "closed") report.schedule(current(state.gen));
  }
}

// ---------- connecting and forgetting the token ----------

function reset() {
  state.gen += 1;
  if (state.abort) state.abort.abort();
  state.abort = null;
  state.signals.clear();
  state.rows.clear();
  state.notes.clear();
  state.busy.clear();
  state.total = 0;
  state.pages = 0;
  el.rows.replaceChildren();
  el.panel.hidden = true;
  report.clear();
  setConnection("off", "Not connected");
}

function refused() {
  sessionStorage.removeItem(TOKEN_KEY);
  reset();
  state.token = null;
  el.disconnect.hidden = true;
  showMessage("That token was refused (401): it is unknown or revoked. Enter another one.");
  el.token.focus();
}

async function connect(token) {
  reset();
  showMessage("");
  state.token = token;
  const gen = state.gen;
  setConnection("connecting", "Connecting\u2026");
  if (!(await loadPage(1, gen))) {
    if (gen === state.gen && state.token !== null) setConnection("off", "Not connected");
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  el.token.value = "";
  el.token.placeholder = "Connected \u2014 enter another token to switch";
  el.disconnect.hidden = false;
  el.panel.hidden = false;
  refreshCounts();
  followStream({
    api,
    current: current(gen),
    fromNewest: FROM_NEWEST,
    stallMs: STALL_MS,
    onMessage: onStreamMessage,
    // Opened from the newest: whatever happened between the first list and now is in a
    // fresh read of the first page (rows only ever move to a higher revision).
    onOpen: (fresh) => fresh && loadPage(1, gen),
    onState: setConnection,
    onRefused: refused,
    setAbort: (controller) => { state.abort = controller; },
  });
  report.refresh(current(gen));
}

el.form.addEventListener("submit", (event) => {
  event.preventDefault(); // never submitted: the token must not travel in a URL or a form
  const token = el.token.value.trim();
  if (!token) {
    showMessage("Enter an API token.");
    el.token.focus();
    return;
  }
  connect(token);
});

el.disconnect.addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  reset();
  state.token = null;
  el.disconnect.hidden = true;
  el.token.placeholder = "";
  showMessage("The token is forgotten.", "info");
  el.token.focus();
});

el.more.addEventListener("click", () => loadPage(state.pages + 1, state.gen));

const kept = sessionStorage.getItem(TOKEN_KEY);
if (kept) connect(kept);
