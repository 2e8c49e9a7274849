// Server-Sent Events read with fetch (SPEC §10): EventSource cannot send an Authorization
// header, so the page reads the response body itself. docs/approvals-page.md.

// The SSE line format: lines end in \r\n, \n or \r (also when a chunk ends between \r and
// \n), `data:` lines are joined, `id:` is kept across messages, comments (`: ping`) ignored.
export class SseParser {
  constructor(dispatch) {
    this.buffer = "";
    this.data = [];
    this.event = "";
    this.id = null;
    this.dispatch = dispatch;
  }

  push(text) {
    this.buffer += text;
    const lineEnd = /\r\n|\r|\n/g;
    let start = 0;
    let found;
    while ((found = lineEnd.exec(this.buffer)) !== null) {
      if (found[0] === "\r" && found.index === this.buffer.length - 1) break; // half of \r\n?
      this.line(this.buffer.slice(start, found.index));
      start = lineEnd.lastIndex;
    }
    this.buffer = this.buffer.slice(start);
  }

  line(text) {
    if (text === "") {
      if (this.data.length) {
        this.dispatch({ id: this.id, event: this.event || "message", data: this.data.join("\n") });
      }
      this.data = [];
      this.event = "";
      return;
    }
    if (text.startsWith(":")) return; // a comment: `: ping`
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
  }
}

// Reads `body` until it ends, `wanted()` turns false, or nothing at all (not even a ping)
// came for `stallMs`: then `controller` is aborted, which ends the read with an error.
export async function readEvents(body, dispatch, { controller, stallMs, wanted }) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser(dispatch);
  let stall = setTimeout(() => controller.abort(), stallMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || !wanted()) return;
      clearTimeout(stall);
      stall = setTimeout(() => controller.abort(), stallMs);
      parser.push(value);
    }
  } finally {
    clearTimeout(stall);
  }
}

// Keeps the stream open while `current()` holds: first from the newest event (`fromNewest`
// as Last-Event-ID), then, after any end, cut or stall, again from the last id received
// (0.5 s, doubling up to 10 s, between attempts). `onOpen(fresh)` runs on every opening,
// `fresh` when no id had been received; `onState(name, text)` tells the connection's state;
// `onRefused()` ends it on 401; `setAbort(controller)` lets the caller stop the read.
export async function followStream({
  api, current, fromNewest, stallMs, onMessage, onOpen, onState, onRefused, setAbort,
}) {
  let lastEventId = null;
  const dispatch = (message) => {
    if (message.id !== null && message.id !== "") lastEventId = message.id;
    onMessage(message);
  };
  let delay = 500;
  while (current()) {
    const controller = new AbortController();
    setAbort(controller);
    const fresh = lastEventId === null;
    let response = null;
    try {
      response = await api("/api/v1/stream", {
        headers: { Accept: "text/event-stream", "Last-Event-ID": fresh ? fromNewest : lastEventId },
        signal: controller.signal,
      });
    } catch {
      response = null;
    }
    if (!current()) return;
    if (response && response.ok && response.body) {
      onState("live", "Live");
      delay = 500;
      onOpen(fresh);
      try {
        await readEvents(response.body, dispatch, { controller, stallMs, wanted: current });
      } catch {
        // cut off, aborted or the network dropped: reconnect with Last-Event-ID
      }
      if (!current()) return;
      onState("reconnecting", "Reconnecting\u2026");
    } else if (response && response.status === 401) {
      onRefused();
      return;
    } else {
      const why = response && response.status === 429
        ? "too many live views are open for this user"
        : response ? `the server answered ${response.status}` : "the server cannot be reached";
      onState("reconnecting", `Live updates paused: ${why}; retrying\u2026`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10000);
  }
}
