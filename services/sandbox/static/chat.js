// TRT sandbox web chat: acts as a test user through /api, follows the emulator's change feed.
"use strict";

const view = { users: [], user: null, generation: null, rendered: new Map(), stick: true, bot: null, inline: { timer: null, asked: null } };
const $ = (id) => document.getElementById(id);

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function post(path, data) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
}

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([key, value]) => {
    if (key === "text") node.textContent = value;
    else if (key === "html") node.innerHTML = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  });
  (children || []).forEach((child) => child && node.appendChild(child));
  return node;
}

function keepAtBottom() {
  const box = $("messages");
  if (view.stick) box.scrollTop = box.scrollHeight;
}

function mediaNode(item) {
  if (item.kind === "photo" || item.kind === "sticker" || (item.mime_type || "").startsWith("image/")) {
    return el("img", { src: item.url, alt: item.name || item.kind, onload: keepAtBottom });
  }
  if (["video", "animation", "video_note"].includes(item.kind)) {
    return el("video", { src: item.url, controls: "", muted: "", loop: "", autoplay: "", playsinline: "" });
  }
  if (item.kind === "audio" || item.kind === "voice") return el("audio", { src: item.url, controls: "" });
  return el("a", { href: item.url, target: "_blank", text: "📄 " + (item.name || "file") });
}

function keyboardNode(message) {
  if (!message.inline_keyboard.length) return null;
  const rows = message.inline_keyboard.map((row) => el("div", { class: "row" }, row.map((button) => {
    if (button.url) return el("button", { type: "button", onclick: () => window.open(button.url, "_blank"), text: button.text + " ↗" });
    return el("button", {
      type: "button", "data-callback": button.callback_data || "", text: button.text,
      onclick: () => act(() => post("/api/press", { user_id: view.user, message_id: message.id, callback_data: button.callback_data })),
    });
  })));
  return el("div", { class: "inline-keyboard" }, rows);
}

function invoiceNode(message) {
  const invoice = message.invoice;
  if (!invoice) return null;
  const price = `${invoice.total_amount} ${invoice.currency === "XTR" ? "⭐" : invoice.currency}`;
  const action = invoice.paid
    ? el("div", { class: "paid", text: "Paid ✓" })
    : el("button", { type: "button", class: "pay", text: `Pay ${price} (test Stars)`,
        onclick: () => act(() => post("/api/pay", { user_id: view.user, message_id: message.id })) });
  return el("div", { class: "invoice" }, [
    el("div", { class: "title", text: invoice.title || "Invoice" }),
    el("div", { text: invoice.description || "" }),
    el("div", { text: price }),
    action,
  ]);
}

function messageNode(message) {
  const time = new Date(message.date * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const payment = message.payment
    ? el("div", { class: "payment", text: `You paid ${message.payment.total_amount} ⭐` }) : null;
  return el("div", { class: "msg " + (message.from_bot ? "bot" : "me"), "data-id": message.id }, [
    message.via_bot ? el("div", { class: "via", text: `via @${message.via_bot}` }) : null,
    ...message.media.map(mediaNode),
    message.html ? el("div", { class: "text", html: message.html }) : null,
    payment,
    invoiceNode(message),
    keyboardNode(message),
    el("div", { class: "meta", text: (message.edited ? "edited " : "") + time }),
  ]);
}

function renderMessages(messages) {
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40 || !view.rendered.size;
  view.stick = atBottom;
  const seen = new Set();
  messages.forEach((message, index) => {
    const key = JSON.stringify(message);
    seen.add(message.id);
    const old = view.rendered.get(message.id);
    if (old && old.key === key) return;
    const node = messageNode(message);
    if (old) box.replaceChild(node, old.node);  // an edit: in place
    else box.insertBefore(node, box.children[index] || null);
    view.rendered.set(message.id, { key, node });
  });
  for (const [id, entry] of view.rendered) {
    if (!seen.has(id)) { entry.node.remove(); view.rendered.delete(id); }
  }
  if (atBottom) box.scrollTop = box.scrollHeight;
}

function renderReplyKeyboard(keyboard) {
  const box = $("reply-keyboard");
  box.replaceChildren();
  box.hidden = !keyboard;
  if (!keyboard) return;
  keyboard.rows.forEach((row) => box.appendChild(el("div", { class: "row" }, row.map((label) =>
    el("button", { type: "button", text: label, onclick: () => sendText(label) })))));
}

// Inline mode: "@bot query" in the composer asks the bot, as Telegram's clients do while you type.
function inlineQueryOf(text) {
  const match = /^@(\w+)\s([\s\S]*)$/.exec(text);
  if (!match || !view.bot || match[1].toLowerCase() !== view.bot.username.toLowerCase()) return null;
  return match[2];
}

function hideInline() {
  clearTimeout(view.inline.timer);
  view.inline.asked = null;
  const box = $("inline-results");
  box.replaceChildren();
  box.hidden = true;
}

function onComposerInput() {
  const query = inlineQueryOf($("text").value);
  clearTimeout(view.inline.timer);
  if (query === null) { hideInline(); return; }
  view.inline.timer = setTimeout(() => askInline(query), 350);
}

async function askInline(query) {
  const box = $("inline-results");
  box.hidden = false;
  box.replaceChildren(el("div", { class: "waiting", text: "…" }));
  const asked = await post("/api/inline", { user_id: view.user, query });
  view.inline.asked = asked.query_id;
  for (let i = 0; i < 50 && view.inline.asked === asked.query_id; i += 1) {
    const answer = await api(`/api/inline/${asked.query_id}`);
    if (answer.answered) { if (view.inline.asked === asked.query_id) renderInline(asked.query_id, answer); return; }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function renderInline(queryId, answer) {
  const box = $("inline-results");
  const nodes = [];
  if (answer.button) {
    nodes.push(el("button", { type: "button", class: "switch", text: answer.button.text,
      onclick: () => { hideInline(); $("text").value = ""; sendText(`/start ${answer.button.start_parameter || ""}`.trim()); } }));
  }
  answer.results.forEach((result) => nodes.push(el("button", {
    type: "button", class: "inline-result", "data-result-id": result.id,
    onclick: () => { hideInline(); $("text").value = ""; act(() => post("/api/inline/choose", { user_id: view.user, query_id: queryId, result_id: result.id })); },
  }, [el("div", { class: "title", text: result.title }), el("div", { class: "description", text: result.description })])));
  box.replaceChildren(...nodes);
  box.hidden = !nodes.length;
}

async function refreshChat() {
  const chat = await api(`/api/chats/${view.user}`);
  renderMessages(chat.messages);
  renderReplyKeyboard(chat.reply_keyboard);
  return chat.generation;
}

function renderPrograms(health) {
  const list = $("programs");
  if (health.error) { list.replaceChildren(el("li", { class: "error", text: health.error })); $("leader").textContent = ""; return; }
  const names = Object.keys(health.programs || {}).sort();
  list.replaceChildren(...names.map((name) => {
    const info = health.programs[name];
    const cls = info.state === "running" ? "state-running" : "state-other";
    return el("li", { "data-program": name }, [el("span", { text: name }), el("span", { class: cls, text: info.state })]);
  }));
  const leader = health.leader;
  $("leader").textContent = leader ? `leader: ${leader.holder} (epoch ${leader.epoch})` : "no leader";
}

async function refreshStatus() {
  try {
    const status = await api(`/api/status/${view.user}`);
    $("balance").textContent = status.balance === null ? "?" : String(status.balance);
    renderPrograms(status.health);
  } catch (error) {
    $("balance").textContent = "?";
  }
}

async function act(action) {
  try { await action(); } catch (error) { alert(error.message); }
}

function sendText(text) {
  if (!text.trim()) return;
  act(() => post("/api/send", { user_id: view.user, text }));
}

async function sendPhoto(file) {
  const form = new FormData();
  form.append("user_id", String(view.user));
  form.append("caption", $("text").value);
  form.append("photo", file, file.name);
  $("text").value = "";
  await act(() => api("/api/photo", { method: "POST", body: form }));
}

async function selectUser(id) {
  view.user = id;
  hideInline();
  view.rendered.clear();
  $("messages").replaceChildren();
  document.querySelectorAll(".user-tab").forEach((tab) => tab.classList.toggle("active", Number(tab.dataset.userId) === id));
  const user = view.users.find((u) => u.id === id);
  $("chat-title").textContent = `${user.first_name}${user.admin ? " (admin)" : ""} ↔ bot`;
  await refreshChat();
  await refreshStatus();
}

async function follow() {
  for (;;) {
    try {
      const after = view.generation === null ? "" : `?after=${view.generation}`;
      const change = await api(`/api/changes${after}`);
      if (change.generation !== view.generation) {
        view.generation = change.generation;
        await refreshChat();
        refreshStatus();
      }
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

async function start() {
  const config = await api("/api/config");
  view.users = config.users;
  view.bot = config.bot;
  $("users").replaceChildren(...config.users.map((user) => el("button", {
    type: "button", class: "user-tab", "data-user-id": user.id, onclick: () => selectUser(user.id),
  }, [document.createTextNode(user.first_name), user.admin ? el("span", { class: "badge", text: "admin" }) : null])));
  $("links").replaceChildren(...Object.entries(config.links).map(([name, url]) =>
    el("li", {}, [el("a", { href: url, target: "_blank", text: `${name}: ${url}` })])));
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    sendText($("text").value);
    $("text").value = "";
    hideInline();
  });
  $("text").addEventListener("input", onComposerInput);
  $("photo").addEventListener("change", (event) => { const file = event.target.files[0]; if (file) sendPhoto(file); event.target.value = ""; });
  $("messages").addEventListener("click", (event) => {
    const target = event.target;
    if (target.classList.contains("spoiler")) target.classList.toggle("shown");
    if (target.classList.contains("command")) sendText(target.dataset.command);
  });
  await selectUser(config.users[0].id);
  setInterval(refreshStatus, 2000);
  follow();
}

start();
