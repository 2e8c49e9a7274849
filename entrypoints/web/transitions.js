// Acting on a signal (SPEC §9): one POST per button, each with If-Match on the revision shown,
// and what the row says afterwards. app.js hands over the page's state and helpers.
import { VERB, describe, renderRow } from "./rows.js";

function capital(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

// `page`: { state, view, api, detail, upsert, showMessage, refused, onClosed }.
export function makeTransition(page) {
  const { state, view, api, detail } = page;

  function note(id, text, kind) {
    state.notes.set(id, { text, kind });
    const tr = state.rows.get(id);
    if (tr) renderRow(tr, state.signals.get(id), view);
  }

  async function fetchSignal(id) {
    try {
      const response = await api(`/api/v1/signals/${encodeURIComponent(id)}`);
      return response.ok ? await response.json() : null;
    } catch {
      return null;
    }
  }

  return async function transition(id, action, input) {
    const s = state.signals.get(id);
    if (!s || state.busy.has(id)) return;
    const gen = state.gen;
    const body = { to: action.to };
    if (action.price) {
      const text = input.value.trim();
      const price = Number(text);
      if (!text || !Number.isFinite(price) || price <= 0) {
        note(id, `Enter the ${action.price.toLowerCase()} (a number above 0) to ${VERB[action.to]}.`, "error");
        input.focus();
        return;
      }
      body.price = price;
    }
    state.busy.add(id);
    state.notes.delete(id);
    renderRow(state.rows.get(id), s, view);
    let response;
    try {
      response = await api(`/api/v1/signals/${encodeURIComponent(id)}/transitions`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "If-Match": `"${s.revision}"` },
        body: JSON.stringify(body),
      });
    } catch {
      response = null;
    }
    if (gen !== state.gen) return;
    state.busy.delete(id);
    if (response === null) {
      note(id, `Not ${action.to}: the server could not be reached. Try again.`, "error");
    } else if (response.ok) {
      const updated = await response.json();
      state.notes.set(id, { text: `${capital(action.to)}.`, kind: "ok" });
      if (!page.upsert(updated)) renderRow(state.rows.get(id), state.signals.get(id), view);
      page.showMessage("");
      if (updated.status === "closed") page.onClosed();
    } else if (response.status === 409 || response.status === 412) {
      const problem = await detail(response);
      const current = await fetchSignal(id);
      if (gen !== state.gen) return;
      const now = current ? current.status : problem.status;
      const text = `Not ${action.to}: this signal was changed elsewhere before your ` +
        `${VERB[action.to]} arrived` + (now ? ` \u2014 it is now ${now}.` : ".") +
        " Nothing was overwritten; check it and act again if needed.";
      note(id, text, "conflict");
      page.showMessage(`${describe(s)}: ${text}`, "conflict");
      if (current) page.upsert(current);
    } else if (response.status === 401) {
      page.refused();
      return;
    } else {
      const problem = await detail(response);
      note(id, `Not ${action.to} (${response.status}): ${problem.detail || response.statusText}`, "error");
    }
    renderRow(state.rows.get(id), state.signals.get(id), view);
  };
}
