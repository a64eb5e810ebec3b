/*
 * GEM-BOOKS support chat widget.
 *
 * Embed it with one tag:
 *
 *     <script src="https://HUB/static/widget.js" defer></script>
 *
 * It loads widget.css from beside itself and talks to the hub's WebSocket at
 * `<hub>/ws`, where <hub> is the folder above the script's own folder (override with
 * `data-hub="https://chat.example/"` on the tag). The protocol is in bot/PROTOCOL.md.
 *
 * Everything lives in a shadow root so the host page's styles cannot break the widget,
 * and the widget's cannot break the page. No text that a person, an agent or the bot
 * wrote ever goes through innerHTML: messages are built node by node, and only http(s)
 * URLs become links.
 */
(() => {
  "use strict";

  if (window.GemBooksChat) return; // embedded twice: keep the first one

  const script =
    document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script) return;
  const scriptUrl = new URL(script.src, document.baseURI);
  const hubUrl = new URL(script.dataset.hub || "..", scriptUrl);
  const wsUrl = new URL("ws", hubUrl);
  wsUrl.protocol = wsUrl.protocol === "https:" ? "wss:" : "ws:";
  const cssUrl = new URL("widget.css", scriptUrl);

  const MAX_LENGTH = 2000;
  const MAX_COMMENT_LENGTH = 1000;
  const SUPPORT_EMAIL = "soutien@gem-books.com";
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const TYPING_TIMEOUT_MS = 30000;
  const AUTHORS = ["person", "assistant", "agent", "system"];

  // ------------------------------------------------------------------ interface text

  const STRINGS = {
    fr: {
      launcher_open: "Ouvrir le clavardage avec le soutien GEM-BOOKS",
      launcher_close: "Fermer le clavardage",
      launcher_unread: "{n} nouveau(x) message(s)",
      title: "Soutien GEM-BOOKS",
      subtitle: "Assistant virtuel",
      close: "Fermer le clavardage",
      language: "Langue",
      log: "Conversation",
      intro:
        "Bonjour! Je peux vous aider à vous brancher, à réinitialiser votre mot de passe ou à retrouver votre code d'utilisateur. Décrivez votre problème.",
      input_label: "Votre message",
      placeholder: "Écrivez votre message…",
      send: "Envoyer",
      typing: "L'assistant écrit…",
      author_person: "Vous : ",
      author_assistant: "Assistant : ",
      author_agent: "Conseiller : ",
      author_system: "Avis : ",
      agent_name: "Conseiller GEM-BOOKS",
      suggestions: "Réponses suggérées",
      new_tab: "(nouvel onglet)",
      resume_code: "Code de reprise : ",
      resume_code_note: " — gardez-le si vous videz vos témoins",
      copy: "Copier",
      copy_label: "Copier le code de reprise",
      copied: "Copié!",
      resume_offer: "Reprendre une conversation",
      resume_hint:
        "Entrez le code de reprise affiché dans votre conversation précédente, par exemple K7P4‑M2QX.",
      resume_label: "Code de reprise",
      resume_submit: "Reprendre",
      resume_empty: "Entrez votre code de reprise.",
      resume_unknown: "Ce code de reprise est inconnu ou a expiré.",
      connecting: "Connexion…",
      reconnecting: "Connexion perdue. Reconnexion…",
      reconnect_in: "Connexion perdue. Nouvel essai dans {s} s.",
      retry: "Réessayer",
      offline_help: "Le service ne répond pas. Vous pouvez aussi écrire à ",
      error_generic: "Une erreur est survenue. Veuillez réessayer.",
      survey_comment: "Un commentaire? (facultatif)",
    },
    en: {
      launcher_open: "Open the GEM-BOOKS support chat",
      launcher_close: "Close the chat",
      launcher_unread: "{n} new message(s)",
      title: "GEM-BOOKS Support",
      subtitle: "Virtual assistant",
      close: "Close the chat",
      language: "Language",
      log: "Conversation",
      intro:
        "Hello! I can help you log in, reset your password or find your user code. Tell me what is wrong.",
      input_label: "Your message",
      placeholder: "Type your message…",
      send: "Send",
      typing: "The assistant is typing…",
      author_person: "You: ",
      author_assistant: "Assistant: ",
      author_agent: "Agent: ",
      author_system: "Notice: ",
      agent_name: "GEM-BOOKS agent",
      suggestions: "Suggested replies",
      new_tab: "(new tab)",
      resume_code: "Resume code: ",
      resume_code_note: " — keep it in case you clear your cookies",
      copy: "Copy",
      copy_label: "Copy the resume code",
      copied: "Copied!",
      resume_offer: "Resume a conversation",
      resume_hint:
        "Enter the resume code shown in your previous conversation, for example K7P4‑M2QX.",
      resume_label: "Resume code",
      resume_submit: "Resume",
      resume_empty: "Enter your resume code.",
      resume_unknown: "That resume code is unknown or has expired.",
      connecting: "Connecting…",
      reconnecting: "Connection lost. Reconnecting…",
      reconnect_in: "Connection lost. Trying again in {s} s.",
      retry: "Retry",
      offline_help: "The service is not answering. You can also write to ",
      error_generic: "Something went wrong. Please try again.",
      survey_comment: "A comment? (optional)",
    },
  };

  // ------------------------------------------------------------------ storage

  const PREFIX = "gemBooksChat.";
  const store = {
    // Storage can be disabled or full (private modes, quotas): the widget still works,
    // it just forgets on reload.
    get(key) {
      try {
        return window.localStorage.getItem(PREFIX + key);
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        if (value == null) window.localStorage.removeItem(PREFIX + key);
        else window.localStorage.setItem(PREFIX + key, String(value));
      } catch {
        /* see get() */
      }
    },
  };

  function pageLanguage() {
    const lang = (document.documentElement.lang || navigator.language || "fr").toLowerCase();
    return lang.startsWith("en") ? "en" : "fr"; // French first: anything else gets French
  }

  const state = {
    lang: STRINGS[store.get("language")] ? store.get("language") : pageLanguage(),
    conversationId: store.get("conversation_id"),
    resumeCode: null,
    ws: null,
    connected: false,
    failures: 0,
    retryTimer: null,
    countdownTimer: null,
    typingTimer: null,
    open: false,
    unread: 0,
    pendingResume: null,
    outbox: [], // messages typed while (re)connecting: [{item, frame}]
  };

  const t = (key, vars) => {
    let text = (STRINGS[state.lang] || STRINGS.fr)[key] ?? STRINGS.fr[key] ?? key;
    for (const [name, value] of Object.entries(vars || {})) {
      text = text.replace(`{${name}}`, String(value));
    }
    return text;
  };

  // ------------------------------------------------------------------ DOM building

  /** Build an element: h("button", {class: "x", type: "button"}, "text", childNode). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value == null || value === false) continue;
      if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? "" : String(value));
    }
    el.append(...children.filter((c) => c != null));
    return el;
  }

  /** Interface text that follows the language switch. attr: "aria-label" etc., or text. */
  function i18n(el, key, attr) {
    if (attr) el.dataset.i18nAttr = `${el.dataset.i18nAttr ? el.dataset.i18nAttr + ";" : ""}${attr}=${key}`;
    else el.dataset.i18n = key;
    return el;
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  const ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z",
    close: "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z",
    send: "M3 20.5v-7l9-1.5-9-1.5v-7L22 12z",
    copy: "M8 3h11a2 2 0 0 1 2 2v11h-2V5H8zM5 7h10a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2zm0 2v11h10V9z",
  };
  function icon(name) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", `gb-icon gb-icon--${name}`);
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill", "currentColor");
    svg.append(path);
    return svg;
  }

  // ------------------------------------------------------------------ rich text

  // One pass over the text; each alternative is a token kind:
  //   [label](url)   **bold**   <https://autolink>   bare https://... or www....
  const TOKEN =
    /\[([^\]\n]{1,300})\]\(([^()\s]{1,2000})\)|\*\*([^*\n]{1,500})\*\*|<((?:https?:\/\/|www\.)[^\s<>]{1,2000})>|((?:https?:\/\/|www\.)[^\s<>"]{1,2000})/gi;

  /** The URL to put in href, or null if it is not an http(s) URL. */
  function safeHref(raw) {
    const candidate = /^www\./i.test(raw) ? `https://${raw}` : raw;
    try {
      const url = new URL(candidate);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch {
      return null;
    }
  }

  /** Split trailing sentence punctuation off a bare URL ("…gem-books.com." -> "."). */
  function trimUrl(raw) {
    let url = raw;
    for (;;) {
      const last = url.slice(-1);
      const unbalanced =
        last === ")" && (url.match(/\(/g) || []).length < (url.match(/\)/g) || []).length;
      if (".,;:!?'\"»".includes(last) || unbalanced) url = url.slice(0, -1);
      else return [url, raw.slice(url.length)];
    }
  }

  function link(href, label) {
    return h(
      "a",
      // A short address reads better whole than broken at its hyphen ("gem-/books.com").
      { href, target: "_blank", rel: "noopener noreferrer", class: label.length <= 40 ? "gb-nowrap" : null },
      label,
      i18n(h("span", { class: "gb-sr" }, ` ${t("new_tab")}`), "new_tab"),
    );
  }

  /** Nodes for bot or agent text: text nodes, <strong>, and http(s) links. */
  function richText(text, allowBold = true) {
    const nodes = [];
    let last = 0;
    const push = (s) => s && nodes.push(document.createTextNode(s));
    for (const m of text.matchAll(TOKEN)) {
      const [whole, mdLabel, mdUrl, bold, angled, bare] = m;
      push(text.slice(last, m.index));
      last = m.index + whole.length;
      if (mdLabel !== undefined) {
        const href = safeHref(mdUrl);
        nodes.push(href ? link(href, mdLabel) : document.createTextNode(whole));
      } else if (bold !== undefined) {
        if (allowBold) nodes.push(h("strong", null, ...richText(bold, false)));
        else push(whole);
      } else if (angled !== undefined) {
        const href = safeHref(angled);
        nodes.push(href ? link(href, angled) : document.createTextNode(whole));
      } else {
        const [url, rest] = trimUrl(bare);
        const href = safeHref(url);
        nodes.push(href ? link(href, url) : document.createTextNode(url));
        push(rest);
      }
    }
    push(text.slice(last));
    return nodes;
  }

  // ------------------------------------------------------------------ the widget's DOM

  const host = h("div", { id: "gem-books-chat", "data-gem-books-chat": true });
  const shadow = host.attachShadow({ mode: "open" });
  const root = h("div", { class: "gb-root", hidden: true, lang: state.lang });
  const stylesheet = h("link", { rel: "stylesheet", href: cssUrl.href });
  // Stay hidden until the stylesheet is there, so the page never flashes raw markup.
  const reveal = () => root.removeAttribute("hidden");
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal);
  shadow.append(stylesheet, root);

  const badge = h("span", { class: "gb-badge", hidden: true, "aria-hidden": "true" });
  const launcher = h(
    "button",
    {
      type: "button",
      class: "gb-launcher",
      "aria-expanded": "false",
      "aria-controls": "gb-panel",
      onclick: () => (state.open ? closePanel() : openPanel(true)),
    },
    icon("chat"),
    icon("close"),
    badge,
  );

  const langButtons = ["fr", "en"].map((code) =>
    h(
      "button",
      {
        type: "button",
        class: "gb-lang__btn",
        lang: code,
        "data-lang": code,
        "aria-label": code === "fr" ? "Français" : "English",
        onclick: () => setLanguage(code, true),
      },
      code.toUpperCase(),
    ),
  );

  const closeButton = i18n(
    h("button", { type: "button", class: "gb-close", onclick: () => closePanel() }, icon("close")),
    "close",
    "aria-label",
  );

  const header = h(
    "div",
    { class: "gb-header" },
    h("div", { class: "gb-avatar", "aria-hidden": "true" }, "G"),
    h(
      "div",
      { class: "gb-heading" },
      i18n(h("h2", { id: "gb-title", class: "gb-title" }), "title"),
      i18n(h("p", { class: "gb-subtitle" }), "subtitle"),
    ),
    i18n(h("div", { class: "gb-lang", role: "group" }, ...langButtons), "language", "aria-label"),
    closeButton,
  );

  // Connection problems. role=status so screen readers hear it without losing their place.
  const statusText = h("span", { class: "gb-status__text" });
  const retryButton = i18n(
    h("button", { type: "button", class: "gb-status__retry", hidden: true, onclick: () => connect() }),
    "retry",
  );
  const offlineHelp = h(
    "span",
    { class: "gb-status__help", hidden: true },
    i18n(h("span"), "offline_help"),
    h("a", { href: `mailto:${SUPPORT_EMAIL}` }, SUPPORT_EMAIL),
    ".",
  );
  const statusBar = h(
    "div",
    { class: "gb-status", role: "status", hidden: true },
    statusText,
    " ",
    offlineHelp,
    retryButton,
  );

  // The resume code, shown once there is a conversation worth resuming.
  const codeValue = h("code", { class: "gb-code__value" });
  const copyButton = i18n(
    i18n(
      h("button", { type: "button", class: "gb-code__copy", onclick: copyCode }, icon("copy")),
      "copy_label",
      "aria-label",
    ),
    "copy_label",
    "title",
  );
  const codeBar = h(
    "div",
    { class: "gb-code", hidden: true },
    h(
      "p",
      { class: "gb-code__text" },
      i18n(h("span"), "resume_code"),
      codeValue,
      i18n(h("span"), "resume_code_note"),
    ),
    copyButton,
  );

  // "Resume a conversation": offered while the current conversation is still empty.
  const resumeInput = h("input", {
    id: "gb-resume-code",
    class: "gb-resume__input",
    type: "text",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    maxlength: "32",
    "aria-describedby": "gb-resume-hint gb-resume-error",
  });
  const resumeError = h("p", { id: "gb-resume-error", class: "gb-resume__error", role: "alert" });
  const resumeForm = h(
    "form",
    { class: "gb-resume__form", hidden: true, novalidate: true, onsubmit: onResumeSubmit },
    i18n(h("p", { id: "gb-resume-hint", class: "gb-resume__hint" }), "resume_hint"),
    i18n(h("label", { for: "gb-resume-code", class: "gb-resume__label" }), "resume_label"),
    h(
      "div",
      { class: "gb-resume__row" },
      resumeInput,
      i18n(h("button", { type: "submit", class: "gb-btn gb-btn--primary" }), "resume_submit"),
    ),
    resumeError,
  );
  const resumeOffer = i18n(
    h("button", {
      type: "button",
      class: "gb-resume__offer",
      "aria-expanded": "false",
      onclick: () => toggleResume(resumeForm.hidden),
    }),
    "resume_offer",
  );
  const resumeBox = h("div", { class: "gb-resume" }, resumeOffer, resumeForm);

  const intro = h(
    "div",
    { class: "gb-intro" },
    i18n(h("p", { class: "gb-intro__text" }), "intro"),
    resumeBox,
  );

  const messages = h("div", { class: "gb-messages" });
  // "Did this help?": kept below the messages until answered (outside .gb-messages, which
  // mirrors the server's transcript).
  const survey = h("div", { class: "gb-survey-slot" });
  const log = i18n(
    h("div", { class: "gb-log", role: "log", "aria-live": "polite", tabindex: "0" }, intro, messages, survey),
    "log",
    "aria-label",
  );

  const typing = h(
    "div",
    { class: "gb-typing", role: "status", hidden: true },
    h("span", { class: "gb-typing__dots", "aria-hidden": "true" }, h("span"), h("span"), h("span")),
    i18n(h("span", { class: "gb-typing__text" }), "typing"),
  );

  const input = i18n(
    h("textarea", {
      id: "gb-input",
      class: "gb-input",
      rows: "1",
      maxlength: String(MAX_LENGTH),
      autocomplete: "off",
      onkeydown: onInputKeydown,
      oninput: autoGrow,
    }),
    "placeholder",
    "placeholder",
  );
  const sendButton = i18n(
    h("button", { type: "submit", class: "gb-send" }, icon("send")),
    "send",
    "aria-label",
  );
  const composer = h(
    "form",
    { class: "gb-composer", onsubmit: onComposerSubmit },
    i18n(h("label", { for: "gb-input", class: "gb-sr" }), "input_label"),
    input,
    sendButton,
  );

  // Not modal: the page stays usable beside the chat, so focus is not trapped.
  const panel = h(
    "div",
    {
      id: "gb-panel",
      class: "gb-panel",
      role: "dialog",
      "aria-modal": "false",
      "aria-labelledby": "gb-title",
      hidden: true,
    },
    header,
    statusBar,
    codeBar,
    log,
    typing,
    composer,
  );

  root.append(panel, launcher);
  // On the root, so Escape also works with focus on the launcher.
  root.addEventListener("keydown", onKeydown);

  // ------------------------------------------------------------------ language

  function applyLanguage() {
    root.setAttribute("lang", state.lang);
    for (const el of shadow.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of shadow.querySelectorAll("[data-i18n-attr]")) {
      for (const pair of el.dataset.i18nAttr.split(";")) {
        const [attr, key] = pair.split("=");
        el.setAttribute(attr, t(key));
      }
    }
    for (const b of langButtons) b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang));
    updateLauncher();
    updateStatus();
  }

  function setLanguage(lang, fromPerson) {
    if (!STRINGS[lang]) return;
    const changed = lang !== state.lang;
    state.lang = lang;
    if (fromPerson) store.set("language", lang); // an explicit choice beats the page's lang
    applyLanguage();
    if (changed && fromPerson) send({ type: "set_language", language: lang });
  }

  // ------------------------------------------------------------------ panel

  function openPanel(byPerson) {
    state.open = true;
    store.set("open", "1");
    panel.hidden = false;
    root.classList.add("gb-root--open");
    state.unread = 0;
    updateLauncher();
    if (!state.ws) connect();
    scrollToEnd(true);
    // Only move focus for a person's click: reopening after a reload must not steal it.
    if (byPerson) input.focus();
  }

  function closePanel() {
    const hadFocus = shadow.activeElement != null;
    state.open = false;
    store.set("open", null);
    panel.hidden = true;
    root.classList.remove("gb-root--open");
    updateLauncher();
    if (hadFocus) launcher.focus();
  }

  function updateLauncher() {
    launcher.setAttribute("aria-expanded", String(state.open));
    let label = t(state.open ? "launcher_close" : "launcher_open");
    if (state.unread && !state.open) label += `. ${t("launcher_unread", { n: state.unread })}`;
    launcher.setAttribute("aria-label", label);
    badge.hidden = !state.unread || state.open;
    badge.textContent = state.unread > 9 ? "9+" : String(state.unread);
  }

  function onKeydown(event) {
    if (event.key === "Escape" && state.open) {
      event.preventDefault();
      closePanel();
    }
  }

  // ------------------------------------------------------------------ messages

  function normalize(m) {
    return {
      author: AUTHORS.includes(m.author) ? m.author : "system",
      text: typeof m.text === "string" ? m.text : "",
      buttons: Array.isArray(m.buttons)
        ? m.buttons.filter((b) => b && typeof b.title === "string" && b.title.trim())
        : [],
      ts: m.ts,
      error: Boolean(m.error),
      pending: Boolean(m.pending),
    };
  }

  function parseTime(ts) {
    if (ts == null || ts === "") return null;
    const date = typeof ts === "number" ? new Date(ts < 1e12 ? ts * 1000 : ts) : new Date(ts);
    return Number.isNaN(date.getTime()) ? null : date;
  }

  function renderMessage(raw) {
    const m = normalize(raw);
    const item = h("div", {
      class: `gb-msg gb-msg--${m.author}${m.error ? " gb-msg--error" : ""}${m.pending ? " gb-msg--pending" : ""}`,
      "data-author": m.author,
    });
    item.gbMessage = m; // kept to reconcile with the transcript after a reconnect
    if (m.author === "agent") item.append(i18n(h("p", { class: "gb-msg__name" }), "agent_name"));
    const bubble = h("div", { class: "gb-bubble" });
    const date = parseTime(m.ts);
    if (date) bubble.title = date.toLocaleString(state.lang === "en" ? "en-CA" : "fr-CA");
    // Heard by screen readers before the text ("Assistant : ..."), not shown.
    bubble.append(i18n(h("span", { class: "gb-sr" }), `author_${m.author}`));
    // Only the assistant's and agents' text is formatted; what a person typed stays as typed.
    if (m.author === "assistant" || m.author === "agent") bubble.append(...richText(m.text));
    else bubble.append(m.text);
    item.append(bubble);
    if (m.buttons.length) {
      const group = i18n(h("div", { class: "gb-replies", role: "group" }), "suggestions", "aria-label");
      for (const b of m.buttons) {
        const payload = typeof b.payload === "string" ? b.payload : null;
        group.append(
          h(
            "button",
            { type: "button", class: "gb-reply", onclick: (e) => chooseReply(e.currentTarget, b.title, payload) },
            b.title,
          ),
        );
      }
      item.append(group);
    }
    for (const el of item.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of item.querySelectorAll("[data-i18n-attr]")) {
      const [attr, key] = el.dataset.i18nAttr.split("=");
      el.setAttribute(attr, t(key));
    }
    return item;
  }

  /** Quick replies only make sense under the latest message: older ones are disabled. */
  function settleReplies() {
    const items = messages.querySelectorAll(".gb-msg");
    const latest = items[items.length - 1];
    for (const button of messages.querySelectorAll(".gb-reply")) {
      if (!latest || !latest.contains(button)) button.disabled = true;
    }
  }

  function appendMessage(raw) {
    const nearEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    const item = renderMessage(raw);
    messages.append(item);
    settleReplies();
    updateConversationUi();
    scrollToEnd(nearEnd || raw.author === "person", true);
    return item;
  }

  /**
   * Show the server's transcript. After a reconnect it usually extends what is already on
   * screen, so only the new tail is appended (a screen reader then hears only what is new);
   * anything else (a resumed or a different conversation) is drawn again from scratch.
   */
  function renderTranscript(transcript) {
    const nodes = [...messages.children];
    // Error notes exist only here, and pending messages are not sent yet: neither is in
    // the server's transcript.
    const pending = nodes.filter((el) => el.gbMessage.pending);
    const confirmed = nodes
      .map((el) => el.gbMessage)
      .filter((m) => !m.error && !m.pending);
    const incoming = transcript.map(normalize);
    const isPrefix =
      confirmed.length <= incoming.length &&
      confirmed.every((m, i) => m.author === incoming[i].author && m.text === incoming[i].text);
    if (isPrefix) {
      messages.append(...incoming.slice(confirmed.length).map(renderMessage), ...pending);
    } else {
      messages.replaceChildren(...incoming.map(renderMessage), ...pending);
    }
    settleReplies();
    updateConversationUi();
    scrollToEnd(true);
  }

  function hasPersonMessage() {
    return messages.querySelector('.gb-msg[data-author="person"]') != null;
  }

  /**
   * The resume code, once there is something worth resuming. The offer to resume another
   * conversation stays at the top of the log: someone whose storage was wiped may type
   * a first message before noticing it.
   */
  function updateConversationUi() {
    codeValue.textContent = state.resumeCode || "";
    codeBar.hidden = !hasPersonMessage() || !state.resumeCode;
  }

  /** Show the latest message: glide for one new message, jump for a whole transcript. */
  function scrollToEnd(force, smooth = false) {
    if (!force) return;
    requestAnimationFrame(() =>
      log.scrollTo({ top: log.scrollHeight, behavior: smooth && !reducedMotion() ? "smooth" : "instant" }),
    );
  }

  const reducedMotion = () => window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function chooseReply(button, title, payload) {
    if (!sendText(title, payload)) return;
    const group = button.parentElement;
    for (const b of group.querySelectorAll("button")) b.disabled = true;
    button.classList.add("gb-reply--chosen");
    input.focus();
  }

  /** Show what the person said and send it, or keep it until the hub welcomes us. */
  function sendText(text, payload) {
    const clean = text.trim().slice(0, MAX_LENGTH);
    if (!clean) return false;
    const frame = { type: "message", text: clean, payload: payload ?? null };
    const sent = state.connected && send(frame);
    const item = appendMessage({ author: "person", text: clean, ts: new Date().toISOString(), pending: !sent });
    if (!sent) {
      state.outbox.push({ item, frame });
      if (!state.ws) connect();
    }
    return true;
  }

  function flushOutbox() {
    for (const { item, frame } of state.outbox.splice(0)) {
      send(frame);
      item.gbMessage.pending = false;
      item.classList.remove("gb-msg--pending");
    }
  }

  function onComposerSubmit(event) {
    event.preventDefault();
    if (sendText(input.value, null)) {
      input.value = "";
      autoGrow();
    }
    input.focus();
  }

  function onInputKeydown(event) {
    // Enter sends, Shift+Enter is a new line; never while an IME is composing a character.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  }

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  }

  function showTyping(on) {
    clearTimeout(state.typingTimer);
    typing.hidden = !on;
    // A lost "typing off" must not leave the dots running forever.
    if (on) state.typingTimer = setTimeout(() => showTyping(false), TYPING_TIMEOUT_MS);
  }

  async function copyCode() {
    if (!state.resumeCode) return;
    try {
      await navigator.clipboard.writeText(state.resumeCode);
      copyButton.classList.add("gb-code__copy--done");
      copyButton.setAttribute("aria-label", t("copied"));
      setTimeout(() => {
        copyButton.classList.remove("gb-code__copy--done");
        copyButton.setAttribute("aria-label", t("copy_label"));
      }, 1500);
    } catch {
      // No clipboard (insecure context, permission denied): select the code instead.
      const range = document.createRange();
      range.selectNodeContents(codeValue);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
  }

  // ------------------------------------------------------------------ satisfaction

  /**
   * The hub's "Did this help?": two buttons and an optional comment, in the language the
   * hub asked in (the person's). The answer goes to the hub as a frame, never as a message.
   */
  function showSurvey(frame) {
    const lang = STRINGS[frame.language] ? frame.language : state.lang;
    const local = (key) => STRINGS[lang][key] ?? STRINGS.fr[key];
    const options = Array.isArray(frame.options) ? frame.options : [];
    const comment = h("textarea", {
      id: "gb-survey-comment",
      class: "gb-survey__comment",
      rows: "2",
      maxlength: String(MAX_COMMENT_LENGTH),
    });
    const note = h("p", { class: "gb-survey__note", role: "status" });
    const buttons = options
      .filter((o) => o && (o.answer === "yes" || o.answer === "no") && typeof o.title === "string")
      .map((o) =>
        h(
          "button",
          {
            type: "button",
            class: `gb-btn gb-survey__answer gb-survey__answer--${o.answer}`,
            "data-answer": o.answer,
            onclick: () => answerSurvey(o.answer, comment, buttons, note),
          },
          o.title,
        ),
      );
    const card = h(
      "section",
      { class: "gb-survey", lang, role: "group", "aria-labelledby": "gb-survey-question" },
      h("p", { id: "gb-survey-question", class: "gb-survey__question" }, String(frame.question || "")),
      h("label", { for: "gb-survey-comment", class: "gb-survey__label" }, local("survey_comment")),
      comment,
      h("div", { class: "gb-survey__buttons" }, ...buttons),
      note,
    );
    state.surveyPending = false;
    survey.replaceChildren(card);
    if (!state.open) {
      state.unread += 1;
      updateLauncher();
    }
    scrollToEnd(true, true);
  }

  function answerSurvey(answer, comment, buttons, note) {
    const text = comment.value.trim().slice(0, MAX_COMMENT_LENGTH);
    if (!send({ type: "satisfaction", answer, comment: text || null })) {
      note.textContent = t("error_generic");
      return;
    }
    state.surveyPending = true;
    note.textContent = "";
    for (const b of buttons) b.disabled = true;
  }

  function surveyAnswered(frame) {
    state.surveyPending = false;
    const text = typeof frame.message === "string" ? frame.message : "";
    survey.replaceChildren(h("p", { class: "gb-survey gb-survey--done", role: "status" }, text));
  }

  /** An error about the answer: shown in the card, whose buttons work again. */
  function surveyRefused(text) {
    state.surveyPending = false;
    const card = survey.querySelector(".gb-survey");
    if (!card) return false;
    for (const b of card.querySelectorAll("button")) b.disabled = false;
    const note = card.querySelector(".gb-survey__note");
    if (note) note.textContent = text;
    return true;
  }

  // ------------------------------------------------------------------ resume

  function toggleResume(open) {
    resumeForm.hidden = !open;
    resumeOffer.setAttribute("aria-expanded", String(open));
    if (open) {
      resumeError.textContent = "";
      resumeInput.focus();
    }
  }

  /** The comparable form of a code, as the hub reads it: any case, dashes or not. */
  const codeKey = (code) => String(code || "").replace(/[\s\-_.]+/g, "").toUpperCase();

  function onResumeSubmit(event) {
    event.preventDefault();
    const code = codeKey(resumeInput.value);
    if (!code) {
      resumeError.textContent = t("resume_empty");
      resumeInput.focus();
      return;
    }
    resumeError.textContent = "";
    resumeForm.classList.add("gb-resume__form--busy");
    state.pendingResume = code;
    // A second hello on an open connection switches conversation if the code is good,
    // and otherwise leaves us where we were (bot/chat/ws.py).
    if (!(state.connected && send(helloFrame(code)))) connect(code);
  }

  function resumeFailed(message) {
    state.pendingResume = null;
    resumeForm.classList.remove("gb-resume__form--busy");
    resumeForm.hidden = false;
    resumeOffer.setAttribute("aria-expanded", "true");
    resumeError.textContent = message;
    resumeInput.focus();
    resumeInput.select();
  }

  // ------------------------------------------------------------------ connection

  function send(frame) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) {
      state.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function setStatus(kind) {
    state.status = kind;
    updateStatus();
  }

  function updateStatus() {
    const kind = state.status;
    statusBar.hidden = !kind;
    statusBar.className = `gb-status${kind ? ` gb-status--${kind}` : ""}`;
    offlineHelp.hidden = !(kind === "waiting" && state.failures >= 3);
    retryButton.hidden = kind !== "waiting";
    if (kind === "connecting") statusText.textContent = t(state.failures ? "reconnecting" : "connecting");
    else if (kind === "waiting") statusText.textContent = t("reconnect_in", { s: state.retryIn });
    else statusText.textContent = "";
  }

  function helloFrame(resumeCode) {
    return {
      type: "hello",
      // Sent with a resume code too: if the code is wrong, the hub keeps us here.
      conversation_id: state.conversationId,
      resume_code: resumeCode || null,
      language: state.lang,
      user_agent: navigator.userAgent,
    };
  }

  function connect(resumeCode) {
    clearTimeout(state.retryTimer);
    clearInterval(state.countdownTimer);
    if (state.ws) {
      const old = state.ws;
      state.ws = null;
      old.onclose = old.onmessage = old.onerror = null;
      old.close(1000);
    }
    state.connected = false;
    setStatus("connecting");
    let ws;
    try {
      ws = new WebSocket(wsUrl.href);
    } catch {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify(helloFrame(resumeCode)));
    ws.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return; // not ours to understand
      }
      if (frame && typeof frame === "object") handleFrame(frame);
    };
    ws.onclose = () => {
      if (state.ws !== ws) return;
      state.ws = null;
      state.connected = false;
      showTyping(false);
      if (state.pendingResume) {
        // Closed before answering the code: say so, and go back to where we were.
        resumeFailed(t("error_generic"));
        connect();
        return;
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    state.failures += 1;
    // Exponential backoff with jitter, so a restarted hub is not hit by every widget at once.
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (state.failures - 1));
    const delay = Math.round(base * (0.5 + Math.random() * 0.5));
    const due = Date.now() + delay;
    state.retryIn = Math.ceil(delay / 1000);
    setStatus("waiting");
    state.countdownTimer = setInterval(() => {
      state.retryIn = Math.max(0, Math.ceil((due - Date.now()) / 1000));
      updateStatus();
    }, 1000);
    state.retryTimer = setTimeout(() => connect(), delay);
  }

  function handleFrame(frame) {
    const resumeErrorDue = state.resumeErrorDue;
    state.resumeErrorDue = false; // only the frame right after a failed resume
    switch (frame.type) {
      case "welcome": {
        // A resume worked if the hub gave back the conversation of the code we typed.
        // Otherwise this welcome is for the conversation we already had, and a
        // resume_not_found error follows with the hub's own wording.
        const tried = state.pendingResume;
        const resumed = tried != null && codeKey(frame.resume_code) === tried;
        if (tried != null && !resumed) {
          resumeFailed(resumeError.textContent || t("resume_unknown"));
          state.resumeErrorDue = true;
        }
        state.pendingResume = null;
        resumeForm.classList.remove("gb-resume__form--busy");
        state.connected = true;
        state.failures = 0;
        if (typeof frame.conversation_id === "string") {
          state.conversationId = frame.conversation_id;
          store.set("conversation_id", frame.conversation_id);
        }
        state.resumeCode = typeof frame.resume_code === "string" ? frame.resume_code : null;
        survey.replaceChildren(); // asked again after the welcome while unanswered
        state.surveyPending = false;
        setStatus(null);
        renderTranscript(Array.isArray(frame.transcript) ? frame.transcript : []);
        flushOutbox();
        if (resumed) {
          resumeInput.value = "";
          toggleResume(false);
          input.focus();
        }
        break;
      }
      case "typing":
        showTyping(Boolean(frame.on));
        break;
      case "message":
        showTyping(false);
        // The assistant detected the person's language: the widget's own texts follow it
        // (for this page view), unless the person picked one with the switch.
        if (frame.author === "assistant" && STRINGS[frame.language] && !store.get("language")) {
          setLanguage(frame.language, false);
        }
        appendMessage(frame);
        if (!state.open && frame.author !== "person") {
          state.unread += 1;
          updateLauncher();
        }
        break;
      case "error": {
        showTyping(false);
        const text = typeof frame.message === "string" && frame.message ? frame.message : t("error_generic");
        // Trouble with a typed code belongs next to the code field, not in the conversation.
        const aboutResume =
          state.pendingResume != null || resumeErrorDue || frame.code === "resume_not_found";
        if (aboutResume) resumeFailed(text);
        else if (!(state.surveyPending && surveyRefused(text))) appendMessage({ author: "system", text, error: true });
        break;
      }
      case "support": {
        // Support (people) took the conversation or gave it back; the text comes ready
        // to show, in the person's language.
        showTyping(false);
        host.dataset.support = frame.state === "open" ? "open" : "closed";
        if (typeof frame.message === "string" && frame.message) {
          appendMessage({ author: "system", text: frame.message, ts: new Date().toISOString() });
        }
        break;
      }
      case "satisfaction":
        if (frame.state === "asked") showSurvey(frame);
        else if (frame.state === "answered") surveyAnswered(frame);
        break;
      default:
        break; // newer hub, older widget: ignore what we do not know
    }
  }

  // Come back at once when the network does, rather than waiting out the backoff.
  window.addEventListener("online", () => {
    if (!state.connected && state.retryTimer) connect();
  });

  // ------------------------------------------------------------------ start

  applyLanguage();
  document.body.append(host);
  // Someone with a conversation going gets it back on every page, open if it was open.
  if (state.conversationId) connect();
  if (store.get("open") === "1") openPanel(false);

  window.GemBooksChat = Object.freeze({
    open: () => openPanel(true),
    close: () => closePanel(),
    setLanguage: (lang) => setLanguage(lang, true),
  });
})();
