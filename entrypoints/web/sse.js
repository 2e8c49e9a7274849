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
