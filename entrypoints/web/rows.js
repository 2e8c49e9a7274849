// One table row per signal: its cells, the §9 transitions its status allows, the outcome of
// the last action. Built with createElement/textContent only, never innerHTML.

export const ACTIONS = {
  new: [
    { to: "approved", label: "Approve" },
    { to: "rejected", label: "Reject" },
    { to: "cancelled", label: "Cancel" },
  ],
  approved: [
    { to: "executed", label: "Execute", price: "Fill price" },
    { to: "cancelled", label: "Cancel" },
  ],
  executed: [{ to: "closed", label: "Close", price: "Exit price" }],
};
export const VERB = {
  approved: "approve", rejected: "reject", cancelled: "cancel",
  executed: "execute", closed: "close",
};

// ---------- formatting ----------

function utc(text) {
  const when = new Date(text);
  return Number.isNaN(when.getTime()) ? text : when.toISOString().slice(0, 19).replace("T", " ");
}

function number(value) {
  return value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 8 });
}

function signed(value, fewest, most) {
  const text = Math.abs(value).toLocaleString("en-US", {
    minimumFractionDigits: fewest, maximumFractionDigits: most,
  });
  return (value > 0 ? "+" : value < 0 ? "\u2212" : "") + text;
}

export function describe(s) {
  return `${s.instrument} ${s.side} ${number(s.price)}`;
}

function node(tag, attrs = {}, ...children) {
  const made = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "className") made.className = value;
    else if (key === "text") made.textContent = value;
    else made.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) made.append(child);
  }
  return made;
}

// ---------- order and focus ----------

// The order of SPEC §4's list: newest first by created_at, then id.
export function newerFirst(a, b) {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function focusKey() {
  const active = document.activeElement;
  const tr = active && active.closest ? active.closest("tr[data-id]") : null;
  return tr ? { id: tr.dataset.id, key: active.dataset.key || null } : null;
}

// A re-rendered row gives the focus back to the same control, or to its first one when
// that control is gone (after Approve: the fill price).
function restoreFocus(tr, remembered) {
  if (!remembered || remembered.id !== tr.dataset.id) return;
  const same = remembered.key && tr.querySelector(`[data-key="${remembered.key}"]`);
  const target = same || tr.querySelector("button, input") || tr.querySelector(".status");
  if (target) target.focus();
}

export function flash(tr) {
  tr.classList.remove("changed");
  void tr.offsetWidth; // restart the animation
  tr.classList.add("changed");
}

// ---------- a row ----------

// view: { busy: Set of ids in flight, notes: Map id -> {text, kind}, act(id, action, input) }
export function renderRow(tr, s, view) {
  const remembered = focusKey();
  const typed = new Map();
  for (const input of tr.querySelectorAll("input[data-key]")) typed.set(input.dataset.key, input.value);

  const fillExit = [s.executed_price, s.closed_price]
    .filter((v) => v !== null && v !== undefined)
    .map(number)
    .join(" \u2192 ");
  let pnl = null;
  if (s.pnl !== null && s.pnl !== undefined) {
    const ratio = s["return"];
    pnl = node(
      "span",
      { className: s.pnl > 0 ? "gain" : s.pnl < 0 ? "loss" : "flat" },
      signed(s.pnl, 2, 8),
      ratio === null || ratio === undefined ? null : node("small", { text: ` (${signed(ratio * 100, 2, 2)} %)` }),
    );
  }
  const cells = [
    node("td", {}, node("time", { datetime: s.time, text: utc(s.time) })),
    node("td", { className: "instrument", text: s.instrument }),
    node("td", {}, node("span", { className: `side side-${s.side}`, text: s.side })),
    node("td", { className: "num", text: number(s.price) }),
    node("td", {}, node("span", {
      className: `status status-${s.status}`, tabindex: "-1", text: s.status,
    })),
    node("td", { className: "num", text: fillExit || "\u2014" }),
    node("td", { className: "num" }, pnl || "\u2014"),
    node("td", { className: "actions" }, actionsFor(s, typed, view)),
  ];
  tr.replaceChildren(...cells);
  tr.dataset.status = s.status;
  tr.setAttribute("aria-busy", view.busy.has(s.id) ? "true" : "false");
  restoreFocus(tr, remembered);
}

function actionsFor(s, typed, view) {
  const box = node("div", { className: "action-box" });
  const choices = ACTIONS[s.status] || [];
  if (!choices.length) box.append(node("span", { className: "final", text: "final" }));
  for (const action of choices) {
    const group = node("div", { className: "action" });
    let input = null;
    if (action.price) {
      const inputId = `price-${s.id}-${action.to}`;
      const key = `price-${action.to}`;
      const prefill = action.to === "executed" ? String(s.price) : "";
      input = node("input", {
        id: inputId, type: "number", step: "any", min: "0", inputmode: "decimal",
        required: true, "data-key": key, className: "price",
        placeholder: action.to === "closed" && s.executed_price ? String(s.executed_price) : null,
      });
      input.value = typed.has(key) ? typed.get(key) : prefill;
      group.append(
        node("label", { for: inputId },
          action.price, node("span", { className: "visually-hidden", text: ` for ${describe(s)}` })),
        input,
      );
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          view.act(s.id, action, input);
        }
      });
    }
    const button = node("button", {
      type: "button", "data-key": `do-${action.to}`, "data-to": action.to,
      className: action.to === "approved" || action.to === "executed" || action.to === "closed" ? "primary" : "secondary",
      "aria-label": `${action.label} ${describe(s)}`, text: action.label,
      // not `disabled`: that would drop the keyboard focus while the request runs
      "aria-disabled": view.busy.has(s.id) ? "true" : null,
    });
    button.addEventListener("click", () => view.act(s.id, action, input));
    group.append(button);
    box.append(group);
  }
  const note = view.notes.get(s.id);
  if (note) box.append(node("p", { className: `row-note row-note-${note.kind}`, text: note.text }));
  return box;
}
