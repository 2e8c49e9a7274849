// The §12 equity report of the user's closed signals. An <img src> cannot send the
// Authorization header, so the PNG is fetched with it and shown through a blob URL (the CSP
// allows img-src blob:). docs/approvals-page.md.

const QUERY = "?start=10000&width=1200&height=520";

export class EquityReport {
  // api(path) -> fetch Response with the token; detail(response) -> the error body or {}
  constructor({ api, detail, panel, image, note }) {
    Object.assign(this, { api, detail, panel, image, note });
    this.url = null;
    this.timer = null;
  }

  // Shortly after a close (several closes in a row make one refresh).
  schedule(current) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(current), 300);
  }

  // current() turns false when the page signed out or switched tokens meanwhile.
  async refresh(current) {
    let closed = 0;
    try {
      const response = await this.api("/api/v1/signals?status=closed&page_size=1");
      if (!response.ok) return;
      closed = (await response.json()).total;
    } catch {
      return;
    }
    if (!current()) return;
    this.panel.hidden = closed === 0;
    if (closed === 0) return;
    let response;
    try {
      response = await this.api(`/api/v1/reports/equity.png${QUERY}`);
    } catch {
      response = null;
    }
    if (!current()) return;
    if (response && response.ok) {
      const blob = await response.blob();
      if (!current()) return;
      const previous = this.url;
      this.url = URL.createObjectURL(blob);
      this.image.src = this.url;
      this.image.alt = `Equity curve of your ${closed} closed signals, each return compounded from 10,000, with the drawdown below`;
      this.image.hidden = false;
      this.note.textContent = `${closed} closed signals, compounded from a start of 10,000.`;
      if (previous) URL.revokeObjectURL(previous);
      return;
    }
    this.image.hidden = true;
    const problem = response ? await this.detail(response) : {};
    this.note.textContent = response && response.status === 422
      ? `The equity report needs at least two closed signals; there ${closed === 1 ? "is one" : `are ${closed}`} so far.`
      : `The equity report is not available${response ? ` (${response.status}${problem.detail ? `: ${problem.detail}` : ""})` : ""}.`;
  }

  clear() {
    clearTimeout(this.timer);
    this.panel.hidden = true;
    this.image.hidden = true;
    this.image.removeAttribute("src");
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
  }
}
