/* Dexra web widget: <script src="https://dexra.example/widget.js" data-channel="CHANNEL_ID" defer></script>
   Plain JS, shadow DOM, no dependencies. Signed identity: window.dexraSettings = { identity: {...} } before the script,
   or Dexra.identify({...}) later. See docs/widget.md. */
(function () {
  "use strict";
  if (window.Dexra && window.Dexra.loaded) return;
  var script = document.currentScript || document.querySelector("script[data-channel]");
  if (!script) return;
  var channel = script.getAttribute("data-channel");
  var base = new URL(script.src, location.href).origin;
  var api = base + "/widget/v1/" + encodeURIComponent(channel);
  var settings = window.dexraSettings || {};
  var storeKey = "dexra:" + channel;

  var STRINGS = {
    en: {
      open: "Open chat", close: "Close chat", title: "Chat with us", greeting: "Hi! How can we help?",
      placeholder: "Type your message…", send: "Send", typing: "Agent is typing…", you: "You", agent: "Support",
      preTitle: "Before we start, how can we reach you?", name: "Name", email: "Email", start: "Start chat", skip: "Skip",
      offline: "Reconnecting…", failed: "Not sent. Tap to retry.", badEmail: "Please enter a valid email address.", log: "Conversation",
      offTitle: "We're away right now. Leave a message and we'll answer by email.", message: "Message", leave: "Send message",
      needed: "Please give your email and a message.", sentByEmail: "Thanks! We'll answer by email at ",
      attach: "Attach a file", download: "Download", dismiss: "Tap to dismiss.",
      rate: "How did we do? Rate this conversation.", thanks: "Thanks for your rating!",
    },
    fr: {
      open: "Ouvrir le chat", close: "Fermer le chat", title: "Discutons", greeting: "Bonjour ! Comment pouvons-nous vous aider ?",
      placeholder: "Écrivez votre message…", send: "Envoyer", typing: "Un conseiller écrit…", you: "Vous", agent: "Support",
      preTitle: "Avant de commencer, comment vous joindre ?", name: "Nom", email: "E-mail", start: "Commencer", skip: "Passer",
      offline: "Reconnexion…", failed: "Non envoyé. Touchez pour réessayer.", badEmail: "Veuillez saisir une adresse e-mail valide.", log: "Conversation",
      offTitle: "Nous sommes absents. Laissez un message, nous répondrons par e-mail.", message: "Message", leave: "Envoyer le message",
      needed: "Indiquez votre e-mail et un message.", sentByEmail: "Merci ! Nous vous répondrons par e-mail à ",
      attach: "Joindre un fichier", download: "Télécharger", dismiss: "Touchez pour fermer.",
      rate: "Comment avons-nous fait ? Notez cette conversation.", thanks: "Merci pour votre note !",
    },
  };

  var state = { seen: null, offlineEmail: null, token: null, visitorId: null, conversationId: null, verified: false, messages: [], ids: {}, lastId: null, open: false, config: {}, socket: null, retry: 0, prechatDone: false };
  try { var saved = JSON.parse(localStorage.getItem(storeKey) || "null"); if (saved) { state.token = saved.token; state.prechatDone = !!saved.prechat; state.verified = !!saved.verified; } } catch (e) { /* storage blocked */ }
  function save() { try { localStorage.setItem(storeKey, JSON.stringify({ token: state.token, prechat: state.prechatDone, verified: state.verified })); } catch (e) { /* storage blocked */ } }

  var lang = (script.getAttribute("data-locale") || settings.locale || navigator.language || "en").slice(0, 2).toLowerCase();
  var t = STRINGS[lang] || STRINGS.en;

  function request(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (state.token) headers["X-Dexra-Visitor"] = state.token;
    return fetch(api + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, mode: "cors", credentials: "omit" })
      .then(function (r) {
        if (r.status === 204) return null;
        return r.json().catch(function () { return null; }).then(function (json) {
          if (!r.ok) { var err = new Error((json && json.detail) || r.statusText); err.status = r.status; throw err; }
          return json;
        });
      });
  }

  /* ---------- UI ---------- */
  var host = document.createElement("div");
  host.setAttribute("data-dexra-widget", "");
  var root = host.attachShadow({ mode: "open" });
  var css =
    ":host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    ".wrap{position:fixed;bottom:20px;z-index:2147483000;display:flex;flex-direction:column;align-items:flex-end;gap:12px}" +
    ".wrap.left{align-items:flex-start}" +
    ".launcher{width:56px;height:56px;border-radius:50%;border:0;background:var(--c);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:grid;place-items:center}" +
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}" +
    ".panel{width:min(370px,calc(100vw - 32px));height:min(540px,calc(100vh - 110px));background:#fff;color:#1d2330;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden}" +
    ".panel[hidden]{display:none}" +
    "header{background:var(--c);color:#fff;padding:14px 16px;display:flex;align-items:center;justify-content:space-between}" +
    "header h2{margin:0;font-size:16px;font-weight:600}" +
    ".x{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:2px 6px;border-radius:6px}" +
    ".log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:8px;background:#f6f7fb}" +
    ".m{max-width:80%;padding:8px 12px;border-radius:14px;font-size:14px;line-height:1.4;white-space:pre-wrap;word-wrap:break-word}" +
    ".in{align-self:flex-start;background:#fff;border:1px solid #e2e5ee;border-bottom-left-radius:4px}" +
    ".out{align-self:flex-end;background:var(--c);color:#fff;border-bottom-right-radius:4px}" +
    ".m small{display:block;font-size:11px;opacity:.75;margin-bottom:2px}" +
    ".av{display:inline-grid;place-items:center;width:18px;height:18px;border-radius:50%;background:var(--c);color:#fff;font-size:9px;font-weight:600;margin-right:5px;vertical-align:middle}" +
    ".m.failed{opacity:.6;cursor:pointer}.m.pending{opacity:.75}" +
    ".greet{align-self:flex-start;color:#4a5162;font-size:14px;background:#fff;border:1px solid #e2e5ee;padding:8px 12px;border-radius:14px}" +
    ".typing{font-size:12px;color:#5c6375;padding:0 16px 6px;min-height:18px;background:#f6f7fb}" +
    ".status{font-size:12px;color:#8a4b00;background:#fff4e0;padding:4px 16px}.status[hidden]{display:none}" +
    "form.compose{display:flex;gap:8px;padding:10px;border-top:1px solid #e2e5ee;background:#fff}" +
    "textarea{flex:1;resize:none;border:1px solid #c9cedb;border-radius:10px;padding:8px 10px;font-size:14px;height:40px;max-height:120px;color:#1d2330}" +
    ".clip{background:transparent;border:1px solid #c9cedb;border-radius:10px;width:40px;cursor:pointer;color:#4a5162;display:grid;place-items:center}" +
    ".f{display:flex;align-items:center;gap:6px;margin-top:4px;color:inherit;text-decoration:underline;cursor:pointer;font-size:13px;background:transparent;border:0;padding:0;text-align:left}" +
    ".send{background:var(--c);color:#fff;border:0;border-radius:10px;padding:0 14px;font-size:14px;cursor:pointer}" +
    ".pre{padding:16px;display:flex;flex-direction:column;gap:10px;background:#fff;border-top:1px solid #e2e5ee}.pre[hidden]{display:none}" +
    ".pre p{margin:0;font-size:14px}.pre label{font-size:13px;display:flex;flex-direction:column;gap:4px}" +
    ".pre input{border:1px solid #c9cedb;border-radius:8px;padding:8px;font-size:14px}" +
    ".row{display:flex;gap:8px;justify-content:flex-end}.ghost{background:transparent;border:1px solid #c9cedb;color:#1d2330;border-radius:10px;padding:8px 12px;cursor:pointer}" +
    ".err{color:#b00020;font-size:12px;min-height:14px}" +
    ".off textarea{height:72px;flex:none;font-family:inherit}.off .send{padding:9px 16px}.note{font-size:13px}" +
    ".stars{display:flex;gap:2px;margin-top:4px}.star{background:transparent;border:0;font-size:24px;line-height:1;color:#c9cedb;cursor:pointer;padding:0 2px}" +
    ".star:hover,.star:focus-visible,.stars:hover .star{color:#f5a623}.stars .star:hover~.star{color:#c9cedb}" +
    "[hidden]{display:none!important}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}";
  var CLIP = "<svg width='14' height='14' viewBox='0 0 24 24' aria-hidden='true' fill='currentColor'><path d='M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z'/></svg>";
  root.innerHTML =
    "<style>" + css + "</style>" +
    "<div class='wrap' part='widget'>" +
    "<section class='panel' role='dialog' aria-modal='false' hidden>" +
    "<header><h2 class='title'></h2><button type='button' class='x'>×</button></header>" +
    "<div class='status' role='status' hidden></div>" +
    "<div class='log' role='log' aria-live='polite' tabindex='0'></div>" +
    "<div class='typing' aria-live='polite'></div>" +
    "<form class='pre' hidden novalidate><p class='pre-title'></p>" +
    "<label><span class='l-name'></span><input name='name' autocomplete='name' maxlength='200'></label>" +
    "<label><span class='l-email'></span><input name='email' type='email' autocomplete='email' maxlength='320'></label>" +
    "<div class='err' role='alert'></div>" +
    "<div class='row'><button type='button' class='ghost skip'></button><button type='submit' class='send start'></button></div></form>" +
    "<form class='pre off' hidden novalidate><p class='off-title'></p>" +
    "<label><span class='l-name'></span><input name='name' autocomplete='name' maxlength='200'></label>" +
    "<label><span class='l-email'></span><input name='email' type='email' autocomplete='email' maxlength='320' required></label>" +
    "<label><span class='l-msg'></span><textarea name='message' rows='3' maxlength='10000' required></textarea></label>" +
    "<div class='err' role='alert'></div>" +
    "<div class='row'><button type='submit' class='send leave'></button></div></form>" +
    "<form class='compose'><label class='sr' for='dexra-text'></label><textarea id='dexra-text' rows='1'></textarea>" +
    "<button type='button' class='clip'>" + CLIP.replace(/14/g, "18") + "</button>" +
    "<input type='file' class='sr' tabindex='-1' aria-hidden='true' accept='image/*,.pdf,.txt,.csv,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp'>" +
    "<button type='submit' class='send'></button></form>" +
    "</section>" +
    "<button type='button' class='launcher' aria-expanded='false'>" +
    "<svg width='26' height='26' viewBox='0 0 24 24' aria-hidden='true' fill='currentColor'><path d='M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2z'/></svg>" +
    "</button></div>";

  function $(sel) { return root.querySelector(sel); }
  var wrap = $(".wrap"), panel = $(".panel"), launcher = $(".launcher"), log = $(".log"), typingEl = $(".typing"), statusEl = $(".status");
  var compose = $("form.compose"), text = $("#dexra-text"), pre = $("form.pre"), off = $("form.off"), clip = $(".clip"), picker = compose.querySelector("input[type=file]");
  off.remove();

  function applyTexts() {
    var title = state.config.title || t.title;
    $(".title").textContent = title;
    panel.setAttribute("aria-label", title);
    launcher.setAttribute("aria-label", t.open);
    $(".x").setAttribute("aria-label", t.close);
    log.setAttribute("aria-label", t.log);
    text.setAttribute("placeholder", t.placeholder);
    $("label.sr").textContent = t.placeholder;
    compose.querySelector(".send").textContent = t.send;
    clip.setAttribute("aria-label", t.attach);
    clip.title = t.attach;
    $(".pre-title").textContent = t.preTitle;
    [pre, off].forEach(function (f) { f.querySelector(".l-name").textContent = t.name; f.querySelector(".l-email").textContent = t.email; });
    off.querySelector(".off-title").textContent = t.offTitle;
    off.querySelector(".l-msg").textContent = t.message;
    off.querySelector(".leave").textContent = t.leave;
    $(".start").textContent = t.start;
    $(".skip").textContent = t.skip;
    var color = /^#[0-9a-fA-F]{3,8}$/.test(state.config.color || "") ? state.config.color : "#3654d6";
    wrap.style.setProperty("--c", color);
    wrap.style[state.config.position === "left" ? "left" : "right"] = "20px";
    wrap.classList.toggle("left", state.config.position === "left");
  }

  function setOpen(open) {
    state.open = open;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.setAttribute("aria-label", open ? t.close : t.open);
    if (open) { render(); showPrechat(); markSeen(); (!off.hidden ? off : !pre.hidden ? pre : compose).querySelector("input,textarea").focus(); }
  }
  launcher.addEventListener("click", function () { setOpen(!state.open); });
  $(".x").addEventListener("click", function () { setOpen(false); launcher.focus(); });
  root.addEventListener("keydown", function (e) { if (e.key === "Escape" && state.open) { setOpen(false); launcher.focus(); } });

  function showPrechat() {
    // Out of hours a first contact leaves a message for email instead of waiting in a live chat.
    var offline = state.config.live === false && state.messages.length === 0;
    // Out of the document unless shown, so its fields never shadow the pre-chat form's for assistive tech.
    if (offline && !off.isConnected) compose.parentNode.insertBefore(off, compose); else if (!offline) off.remove();
    off.hidden = !offline;
    pre.hidden = !off.hidden || !(state.config.preChat !== false && !state.verified && !state.prechatDone && state.messages.length === 0);
    compose.hidden = !off.hidden || !pre.hidden;
  }

  function render() {
    log.textContent = "";
    var greet = document.createElement("div");
    greet.className = "greet";
    greet.textContent = state.config.greeting || t.greeting;
    log.appendChild(greet);
    state.messages.forEach(function (m) {
      var el = document.createElement("div");
      var mine = m.direction === "inbound";
      el.className = "m " + (mine ? "out" : "in") + (m.failed ? " failed" : m.pending ? " pending" : "");
      var who = document.createElement("small");
      who.textContent = mine ? t.you : (m.author || t.agent);
      if (!mine) {
        // The agent's initials as their avatar: the name is read out already, so the badge is hidden from screen readers.
        var av = document.createElement("span");
        av.className = "av"; av.setAttribute("aria-hidden", "true");
        av.textContent = (m.author || t.agent).split(/\s+/).filter(Boolean).slice(0, 2).map(function (w) { return w.charAt(0).toUpperCase(); }).join("");
        who.insertBefore(av, who.firstChild);
      }
      el.appendChild(who);
      var files = m.attachments || [];
      var onlyFile = files.length === 1 && files[0].fileName === m.text;
      if (!onlyFile) el.appendChild(document.createTextNode(m.failed ? m.text + "\n" + (m.error ? m.error + " " + t.dismiss : t.failed) : m.text));
      files.forEach(function (f) {
        var b = document.createElement("button");
        b.type = "button"; b.className = "f"; b.innerHTML = CLIP;
        b.appendChild(document.createTextNode(f.fileName));
        b.setAttribute("aria-label", t.download + " " + f.fileName);
        b.onclick = function () { download(f); };
        el.appendChild(b);
      });
      if (m.failed) { el.setAttribute("role", "button"); el.tabIndex = 0; el.onclick = el.onkeydown = function (e) { if (!e.key || e.key === "Enter") m.file ? dismiss(m) : send(m); }; }
      log.appendChild(el);
    });
    if (state.rateFor || state.rated) {
      // After a resolution: one tap rates the conversation (4 and 5 count as satisfied).
      var box = document.createElement("div");
      box.className = "greet rate";
      if (state.rated) {
        box.textContent = t.thanks;
      } else {
        var ask = document.createElement("div");
        ask.textContent = t.rate;
        box.appendChild(ask);
        var stars = document.createElement("div");
        stars.className = "stars"; stars.setAttribute("role", "group"); stars.setAttribute("aria-label", t.rate);
        [1, 2, 3, 4, 5].forEach(function (n) {
          var b = document.createElement("button");
          b.type = "button"; b.className = "star"; b.textContent = "\u2605";
          b.setAttribute("aria-label", n + " / 5"); b.setAttribute("data-rating", String(n));
          b.onclick = function () { rate(n); };
          stars.appendChild(b);
        });
        box.appendChild(stars);
      }
      log.appendChild(box);
    }
    if (state.offlineEmail) {
      var note = document.createElement("div");
      note.className = "greet note";
      note.textContent = t.sentByEmail + state.offlineEmail + ".";
      log.appendChild(note);
    }
    log.scrollTop = log.scrollHeight;
  }

  function addMessages(items) {
    var changed = false;
    (items || []).forEach(function (m) {
      state.lastId = m.id;
      if (state.ids[m.id]) return;
      var pending = state.messages.filter(function (p) { return p.pending && p.direction === "inbound" && p.text === m.text; })[0];
      if (pending) state.messages.splice(state.messages.indexOf(pending), 1);
      state.ids[m.id] = true;
      state.messages.push(m);
      if (m.direction === "outbound") typingEl.textContent = "";
      changed = true;
    });
    if (changed) { render(); showPrechat(); }
    markSeen();
  }

  // Read receipt: only what an open panel on a visible page has shown, once per reply.
  function markSeen() {
    if (!state.open || document.hidden) return;
    var last = state.messages.filter(function (m) { return m.direction === "outbound" && m.id; }).pop();
    if (!last || last.status === "read" || state.seen === last.id) return;
    state.seen = last.id;
    request("POST", "/seen", { messageId: last.id }).catch(function () { state.seen = null; });
  }
  document.addEventListener("visibilitychange", markSeen);

  // Files are read with the visitor token, which a plain link cannot carry: fetch, then save the blob.
  function download(f) {
    fetch(base + f.url, { headers: { "X-Dexra-Visitor": state.token }, mode: "cors", credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error(r.statusText); return r.blob(); })
      .then(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob); a.download = f.fileName;
        root.appendChild(a); a.click(); a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
      }).catch(function () { /* the visitor may try again */ });
  }

  function dismiss(m) { state.messages.splice(state.messages.indexOf(m), 1); render(); }

  function upload(file) {
    var m = { direction: "inbound", text: file.name, file: file, pending: true, attachments: [{ fileName: file.name }] };
    state.messages.push(m); render(); showPrechat();
    var form = new FormData();
    form.append("file", file, file.name);
    form.append("clientId", "f" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8));
    fetch(api + "/attachments", { method: "POST", headers: { "X-Dexra-Visitor": state.token }, body: form, mode: "cors", credentials: "omit" })
      .then(function (r) {
        return r.json().catch(function () { return null; }).then(function (json) {
          if (!r.ok) throw new Error((json && json.detail) || r.statusText);
          var fresh = json.conversationId !== state.conversationId;
          state.conversationId = json.conversationId;
          m.text = json.attachment.fileName;
          if (fresh) invoke("Watch", []);
          return catchUp();
        });
      }).catch(function (err) { m.failed = true; m.pending = false; m.error = err.message; m.attachments = []; render(); });
  }
  clip.addEventListener("click", function () { picker.click(); });
  picker.addEventListener("change", function () { if (picker.files && picker.files[0]) upload(picker.files[0]); picker.value = ""; });

  var catching = null, again = false;
  function catchUp() {
    if (!state.token) return Promise.resolve();
    // A signal during a read may concern a change that read has already missed: read once more after it.
    if (catching) { again = true; return catching; }
    again = false;
    catching = request("GET", "/messages" + (state.lastId ? "?after=" + encodeURIComponent(state.lastId) : ""))
      .then(function (page) { addMessages(page && page.items); askRating(page && page.rate); })
      .catch(function () { /* next catch-up retries */ })
      .then(function () { catching = null; if (again) return catchUp(); });
    return catching;
  }

  function askRating(prompt) {
    var id = (prompt && prompt.conversationId) || null;
    if (id === state.rateFor) return;
    state.rateFor = id; state.rated = null;
    render();
  }

  function rate(n) {
    var conversationId = state.rateFor;
    request("POST", "/csat", { conversationId: conversationId, rating: n })
      .then(function () { state.rated = n; state.rateFor = null; render(); })
      .catch(function () { statusEl.textContent = t.offline; statusEl.hidden = false; });
  }

  function send(m) {
    m.failed = false; m.pending = true; render();
    request("POST", "/messages", { text: m.text, clientId: m.clientId }).then(function (ok) {
      var fresh = ok.conversationId !== state.conversationId;
      state.conversationId = ok.conversationId;
      if (fresh) invoke("Watch", []);
      return catchUp();
    }).catch(function () { m.failed = true; m.pending = false; render(); });
  }

  compose.addEventListener("submit", function (e) {
    e.preventDefault();
    var value = text.value.trim();
    if (!value) return;
    text.value = "";
    var m = { direction: "inbound", text: value, clientId: "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10), pending: true };
    state.messages.push(m);
    send(m);
  });
  text.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); compose.requestSubmit(); } });
  var lastTyping = 0;
  text.addEventListener("input", function () {
    if (state.conversationId && Date.now() - lastTyping > 2000) { lastTyping = Date.now(); invoke("Typing", [state.conversationId]); }
  });

  pre.addEventListener("submit", function (e) {
    e.preventDefault();
    var name = pre.elements.name.value.trim(), email = pre.elements.email.value.trim();
    if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) { $(".err").textContent = t.badEmail; return; }
    $(".err").textContent = "";
    request("PATCH", "/contact", { name: name || null, email: email || null }).then(function () { state.prechatDone = true; save(); showPrechat(); text.focus(); })
      .catch(function (err) { $(".err").textContent = err.message; });
  });
  off.addEventListener("input", function () { off.querySelector(".err").textContent = ""; });
  off.addEventListener("submit", function (e) {
    e.preventDefault();
    var name = off.elements.name.value.trim(), email = off.elements.email.value.trim(), message = off.elements.message.value.trim();
    var err = off.querySelector(".err");
    if (!email || !message) { err.textContent = t.needed; return; }
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) { err.textContent = t.badEmail; return; }
    err.textContent = "";
    request("PATCH", "/contact", { name: name || null, email: email })
      .then(function () { return request("POST", "/messages", { text: message, clientId: "o" + Date.now().toString(36) }); })
      .then(function (ok) { state.prechatDone = true; state.offlineEmail = email; state.conversationId = ok.conversationId; save(); invoke("Watch", []); return catchUp(); })
      .then(function () { showPrechat(); render(); text.focus(); })
      .catch(function (x) { err.textContent = x.message; });
  });
  $(".skip").addEventListener("click", function () { state.prechatDone = true; save(); showPrechat(); text.focus(); });

  /* ---------- realtime: SignalR JSON protocol over a WebSocket (no negotiate, so no CORS needed) ---------- */
  var RS = "\u001e", pingTimer = null, typingTimer = null;
  function invoke(target, args) {
    if (state.socket && state.socket.readyState === 1 && state.socket.ready) state.socket.send(JSON.stringify({ type: 1, target: target, arguments: args }) + RS);
  }
  function connect() {
    if (!state.token || !window.WebSocket) return;
    var url = base.replace(/^http/, "ws") + "/hubs/widget?access_token=" + encodeURIComponent(state.token);
    var ws = new WebSocket(url);
    state.socket = ws;
    ws.onopen = function () { ws.send(JSON.stringify({ protocol: "json", version: 1 }) + RS); };
    ws.onmessage = function (event) {
      String(event.data).split(RS).forEach(function (frame) {
        if (!frame) return;
        var msg; try { msg = JSON.parse(frame); } catch (e) { return; }
        if (!ws.ready) {
          if (msg.error) { ws.close(); return; }
          ws.ready = true; state.retry = 0; statusEl.hidden = true;
          // A conversation opened while the handshake was in flight is joined here too.
          if (state.conversationId) invoke("Watch", []);
          clearInterval(pingTimer);
          pingTimer = setInterval(function () { if (ws.readyState === 1) ws.send(JSON.stringify({ type: 6 }) + RS); }, 15000);
          catchUp();
          return;
        }
        if (msg.type === 1 && msg.target === "MessagesChanged") catchUp();
        else if (msg.type === 1 && msg.target === "AgentTyping") {
          typingEl.textContent = t.typing;
          clearTimeout(typingTimer);
          typingTimer = setTimeout(function () { typingEl.textContent = ""; }, 4000);
        } else if (msg.type === 7) ws.close();
      });
    };
    ws.onclose = function () {
      clearInterval(pingTimer);
      if (state.socket !== ws) return;
      state.socket = null;
      statusEl.textContent = t.offline;
      statusEl.hidden = false;
      var delay = [1000, 2000, 5000, 10000, 30000][Math.min(state.retry++, 4)];
      setTimeout(connect, delay);
    };
  }

  /* ---------- session ---------- */
  function start(identity) {
    var verified = !!identity;
    // A signed-in visitor's token must not follow a signed-out page.
    var token = !identity && state.verified ? null : state.token;
    return request("POST", "/sessions", { visitorToken: token, identity: identity || null }).catch(function (err) {
      if (err.status !== 401) throw err;
      // A forged or expired identity links nothing: carry on as an anonymous visitor.
      verified = false;
      return request("POST", "/sessions", { visitorToken: identity && !state.verified ? token : null });
    }).catch(function (err) {
      if (err.status !== 401) throw err;
      return request("POST", "/sessions", {});
    }).then(function (s) {
      var sameVisitor = s.visitorId === state.visitorId;
      state.token = s.visitorToken;
      state.visitorId = s.visitorId;
      state.conversationId = s.conversationId || null;
      state.verified = verified;
      if (!sameVisitor) { state.messages = []; state.ids = {}; state.lastId = null; }
      save();
      if (state.socket) { var old = state.socket; state.socket = null; old.close(); }
      connect();
      return catchUp();
    });
  }

  function boot() {
    document.body.appendChild(host);
    request("GET", "/config").then(function (config) { state.config = config || {}; if (config && config.locale && !script.getAttribute("data-locale") && STRINGS[config.locale]) t = STRINGS[config.locale]; })
      .catch(function () { /* defaults */ })
      .then(function () { applyTexts(); return start(settings.identity); })
      .then(function () { if (settings.open) setOpen(true); })
      .catch(function () { statusEl.textContent = t.offline; statusEl.hidden = false; });
    // Safety net beside the push: an open panel catches up every data-poll seconds (10; 0 turns it off),
    // a disconnected one every third tick.
    var poll = Number(script.getAttribute("data-poll") || 10);
    var ticks = 0;
    if (poll > 0) setInterval(function () { ticks++; if (state.open || ((!state.socket || !state.socket.ready) && ticks % 3 === 0)) catchUp(); }, poll * 1000);
  }

  window.Dexra = {
    loaded: true,
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    identify: function (identity) { return start(identity); },
    get visitorId() { return state.visitorId; },
    get conversationId() { return state.conversationId; },
  };
  if (document.body) boot(); else document.addEventListener("DOMContentLoaded", boot);
})();
