/*
 * GEM-BOOKS agent console: live updates over the WebSocket at /console/ws.
 * The queue reloads when it changes (and after a reconnection: changes may have been
 * missed); a conversation page adds new lines in order, and on every (re)connection asks
 * for the lines after its last one, written while it was not connected.
 * Text is set with textContent only: a transcript is attacker-controlled.
 */
(() => {
  "use strict";
  const mode = document.body.dataset.live;
  if (!mode) return;
  const handoffId = document.body.dataset.handoff;
  let delay = 1000;
  let connectedBefore = false;

  function lastLineId() {
    const ids = Array.from(document.querySelectorAll("#transcript > li[data-id]"), (li) => Number(li.dataset.id));
    return ids.length ? Math.max(...ids) : 0;
  }

  function socketUrl() {
    const url = new URL("/console/ws", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (mode === "conversation" && handoffId) {
      url.searchParams.set("handoff", handoffId);
      url.searchParams.set("after", String(lastLineId()));
    }
    return url;
  }

  function appendLine(frame) {
    const list = document.getElementById("transcript");
    if (!list || list.querySelector(`[data-id="${Number(frame.id)}"]`)) return;
    const item = document.createElement("li");
    item.className = `line line--${["person", "assistant", "agent", "system"].includes(frame.author) ? frame.author : "system"}`;
    item.dataset.id = String(Number(frame.id));
    const author = document.createElement("span");
    author.className = "author";
    // The page names the authors in its language (data-author-person="..." on the list).
    author.textContent = list.getAttribute(`data-author-${item.className.slice("line line--".length)}`) || frame.author;
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = frame.text;
    item.append(author, " ", text);
    // Lines caught up after connecting may arrive after newer live ones: keep id order.
    const next = Array.from(list.querySelectorAll(":scope > li[data-id]")).find((li) => Number(li.dataset.id) > Number(frame.id));
    list.insertBefore(item, next || null);
    item.scrollIntoView({ block: "nearest" });
  }

  function connect() {
    const ws = new WebSocket(socketUrl());
    ws.addEventListener("open", () => {
      if (connectedBefore && mode === "queue") { window.location.reload(); return; }
      connectedBefore = true;
      delay = 1000;
      document.body.dataset.connected = "true";
    });
    ws.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (frame.type === "queue" && mode === "queue") window.location.reload();
      if (frame.type === "message" && mode === "conversation" && String(frame.handoff_id) === handoffId) appendLine(frame);
    });
    ws.addEventListener("close", (event) => {
      document.body.dataset.connected = "false";
      // 4401: the sign-in session ended (logout, idle); the reload shows the login page.
      if (event.code === 4401) { window.location.reload(); return; }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  connect();
})();
