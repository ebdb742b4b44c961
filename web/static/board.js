"use strict";
// board.js: the wall board. The state is the gateway's /api/board answer
// (the daemon's open tickets, crews, outages, the latest escalations and
// notices, and the seq it is at), then every event from the stream
// /api/events, whose ids are the log's seqs: the browser's EventSource
// sends the last one it saw (Last-Event-ID) when it reconnects, and the
// gateway sends what was missed. Each event carries its ticket as it is
// after the event; a ticket older than what the page has is ignored.
// All data goes in by textContent (common.js el()).

const S = {
  tickets: new Map(), crews: [], outages: [], notices: [], esc: [],
  seq: 0, offset: 0, estate: "", role: "", csrf: "", linkUp: false, streamOpen: false,
  es: null, dirty: false, reloadTimer: null,
};
const CREW_ROWS = 14;
const OPEN = ["new", "assigned", "accepted", "on site", "on hold", "resolved"];

function now() { return Date.now() + S.offset; }

function takeTicket(t) {
  if (!t || !t.id) return;
  const had = S.tickets.get(t.id);
  if (had && had.last_seq > t.last_seq) return;
  if (OPEN.indexOf(t.state) < 0) S.tickets.delete(t.id);
  else S.tickets.set(t.id, t);
}

async function loadBoard() {
  const r = await api("/api/board");
  if (r.status === 401) { location.href = "/login"; return false; }
  if (r.status !== 200 || !r.body) { setLink(false); return false; }
  const b = r.body;
  S.offset = b.now_ms - Date.now();
  S.estate = b.estate;
  if (b.timezone) ZONE = b.timezone;
  const fresh = new Map();
  for (const t of b.tickets) fresh.set(t.id, t);
  // Keep what the stream brought after the snapshot.
  for (const [id, t] of S.tickets) {
    const f = fresh.get(id);
    if (t.last_seq > b.seq && (!f || f.last_seq < t.last_seq)) fresh.set(id, t);
  }
  S.tickets = fresh;
  S.crews = b.crews || [];
  S.outages = b.outages || [];
  S.notices = (b.notices || []).slice().reverse();
  S.esc = (b.escalations || []).slice().reverse();
  if (!S.es) {
    S.seq = b.seq;
    openStream();
  }
  S.linkUp = true;
  render();
  return true;
}

function reloadSoon(ms) {
  if (S.reloadTimer) return;
  S.reloadTimer = setTimeout(function () { S.reloadTimer = null; loadBoard(); }, ms);
}

function onEvent(e) {
  if (e.seq && e.seq <= S.seq) return; // seen (the snapshot or an earlier stream)
  if (e.seq) S.seq = e.seq;
  if (e.ticket) takeTicket(e.ticket);
  if (e.type === "escalated") { S.esc.unshift(e); S.esc = S.esc.slice(0, 20); }
  if (e.type === "notice" && e.notice) { S.notices.unshift(e); S.notices = S.notices.slice(0, 20); }
  if (e.type === "outage" && e.outage) {
    S.outages = S.outages.filter(function (o) { return o.id !== e.outage.id; });
    if (!e.outage.ended) S.outages.push(e.outage);
  }
  if (e.type === "duty") reloadSoon(300); // who is on duty: from the crews
  S.dirty = true;
}

function openStream() {
  const es = new EventSource("/api/events?from=" + S.seq);
  S.es = es;
  es.onopen = function () { S.streamOpen = true; showLink(); };
  es.onerror = function () {
    S.streamOpen = false;
    showLink();
    // A refusal (not a dropped connection) ends an EventSource for good:
    // signed out, or the gateway answered while starting. Try again.
    if (es.readyState === EventSource.CLOSED) setTimeout(reopen, 1000);
  };
  es.onmessage = function (m) {
    let e;
    try { e = JSON.parse(m.data); } catch (x) { return; }
    onEvent(e);
  };
  es.addEventListener("link", function (m) {
    let v;
    try { v = JSON.parse(m.data); } catch (x) { return; }
    const was = S.linkUp;
    S.linkUp = !!v.up;
    if (S.linkUp && !was) loadBoard(); // back: the daemon's state now
    showLink();
  });
  es.addEventListener("reset", function () { loadBoard(); });
}

async function reopen() {
  const me = await api("/api/me");
  if (me.status === 401) { location.href = "/login"; return; }
  if (S.es) S.es.close();
  openStream(); // from S.seq: the last event this page has
}

function setLink(up) { S.linkUp = up; showLink(); }

function showLink() {
  const l = document.getElementById("link");
  let state = "up";
  if (!S.streamOpen) state = "reconnecting";
  else if (!S.linkUp) state = "down";
  document.body.dataset.link = state;
  l.textContent = state === "up" ? "● " + tr("live") : state === "down" ? tr("daemon away") : tr("reconnecting");
}

// ---- drawing ----

function dueOf(t) {
  if (t.state === "on hold") return { paused: true };
  if (!t.due_ms) return null;
  const which = { "assigned": "acknowledge", "new": "acknowledge", "accepted": "arrive",
                  "on site": "resolve", "resolved": "follow-up" }[t.state] || "";
  return { at: t.due_ms, which: which };
}

function countdown(node, t) {
  const d = dueOf(t);
  if (!d) { node.textContent = ""; node.className = "due"; return; }
  if (d.paused) { node.textContent = tr("paused"); node.className = "due paused"; return; }
  const left = d.at - now();
  node.textContent = tr(d.which) + " " + (left >= 0 ? tr("due in") + " " : tr("late by") + " ") + span(left);
  node.className = "due" + (left < 0 ? " late" : left < 5 * 60000 ? " soon" : "");
}

const DUE_NODES = [];

function ticketRow(t, withCrew) {
  const row = el("div", "ticket st-" + t.state.replace(/ /g, "-"));
  row.dataset.ticket = t.id;
  row.dataset.state = t.state;
  row.tabIndex = 0;
  row.appendChild(el("span", "tid", "#" + t.id));
  row.appendChild(el("span", "kind", tr(t.kind)));
  row.appendChild(el("span", "unit", t.unit));
  row.appendChild(el("span", "state", tr(t.state)));
  if (withCrew) row.appendChild(el("span", "who", (t.crew || "-") + (t.member ? "/" + t.member : "")));
  row.appendChild(el("span", "text", t.text));
  const due = el("span", "due");
  countdown(due, t);
  DUE_NODES.push([due, t]);
  row.appendChild(due);
  row.addEventListener("click", function () { openHistory(t.id); });
  row.addEventListener("keydown", function (ev) { if (ev.key === "Enter") openHistory(t.id); });
  return row;
}

function byDue(a, b) {
  const x = a.due_ms || 9e15, y = b.due_ms || 9e15;
  return x - y || a.id - b.id;
}

// A panel of the alerts column: at most `max` rows, the count of the rest.
function panel(id, title, items, draw, max) {
  const p = document.getElementById(id);
  p.querySelector("h2").textContent = tr(title) + " (" + items.length + ")";
  const rows = p.querySelector(".rows");
  clear(rows);
  if (!items.length) rows.appendChild(el("div", "none", tr("nothing")));
  max = max || 10;
  for (const it of items.slice(0, max)) rows.appendChild(draw(it));
  if (items.length > max) rows.appendChild(el("div", "more", "+" + (items.length - max) + " " + tr("more")));
  p.classList.toggle("active", items.length > 0);
}

function render() {
  S.dirty = false;
  DUE_NODES.length = 0;
  document.getElementById("estate").textContent = (S.estate || "") + " · " + tr("board");
  document.title = (S.estate || "") + " · " + tr("board");
  const all = Array.from(S.tickets.values()).sort(byDue);
  const t0 = now();
  // counts
  const c = document.getElementById("counts");
  clear(c);
  const late = all.filter(function (t) { return t.due_ms && t.state !== "on hold" && t.due_ms < t0; });
  const counts = [["open", all.length]].concat(OPEN.map(function (s) {
    return [s, all.filter(function (t) { return t.state === s; }).length];
  }));
  counts.push(["overdue", late.length]);
  for (const [w, n] of counts) {
    const b = el("span", "count" + (w === "overdue" && n ? " late" : w === "new" && n ? " loud" : ""));
    b.appendChild(el("b", null, n));
    b.appendChild(el("span", null, tr(w)));
    c.appendChild(b);
  }
  // crews, each with its members and their tickets
  const crewsNode = document.getElementById("crews");
  clear(crewsNode);
  const crewIds = S.crews.map(function (x) { return x.id; });
  for (const t of all) if (t.crew && crewIds.indexOf(t.crew) < 0) { crewIds.push(t.crew); }
  for (const id of crewIds) {
    const info = S.crews.find(function (x) { return x.id === id; }) || { id: id, name: id, members: [] };
    const mine = all.filter(function (t) { return t.crew === id; });
    const card = el("section", "crew");
    card.dataset.crew = id;
    const h = el("h2");
    h.appendChild(el("span", "crew-name", info.name || id));
    const queuedHere = mine.filter(function (t) { return !t.member; }).length;
    h.appendChild(el("span", "crew-count", mine.length + " " + tr("open")));
    if (queuedHere) h.appendChild(el("span", "crew-queued", queuedHere + " " + tr("queued")));
    card.appendChild(h);
    const members = info.members || [];
    const people = el("div", "people");
    let onShift = 0;
    for (const m of members) {
      const on = m.duty !== undefined && m.duty !== null && typeof m.duty === "object" ? !!m.duty.on : !!m.on_shift;
      if (on) onShift++;
      const load = mine.filter(function (t) { return t.member === m.id; }).length;
      const chip = el("span", "person" + (on ? " on" : " off") + (m.online ? " online" : ""));
      chip.dataset.member = m.id;
      chip.appendChild(el("span", "dot", m.online ? "●" : "○"));
      chip.appendChild(el("span", "pid", m.id));
      chip.appendChild(el("span", "pname", m.name || ""));
      chip.appendChild(el("span", "pload", String(load)));
      chip.title = (on ? tr("on shift") : tr("off")) + " · " + (m.online ? tr("online") : tr("off")) + " · " + tr("load") + " " + load;
      people.appendChild(chip);
    }
    if (members.length && !onShift) people.appendChild(el("span", "nobody", tr("nobody on shift")));
    card.appendChild(people);
    const list = el("div", "tickets");
    const groups = {};
    for (const t of mine) { const k = t.member || ""; (groups[k] = groups[k] || []).push(t); }
    // A wall does not scroll: at most CREW_ROWS tickets a crew, the
    // soonest due first, and the count of the rest.
    let shown = 0;
    // Members first; the queued ones are in the loud panel too.
    const keys = Object.keys(groups).sort(function (a, b) { return (a === "") - (b === "") || (a < b ? -1 : a > b); });
    for (const k of keys) {
      if (shown >= CREW_ROWS) break;
      if (k === "") list.appendChild(el("div", "member-head loud", tr("unassigned")));
      else list.appendChild(el("div", "member-head", k));
      for (const t of groups[k]) {
        if (shown >= CREW_ROWS) break;
        list.appendChild(ticketRow(t, false));
        shown++;
      }
    }
    if (mine.length > shown) list.appendChild(el("div", "more", "+" + (mine.length - shown) + " " + tr("more")));
    card.appendChild(list);
    crewsNode.appendChild(card);
  }
  // the alerts
  panel("queued", "queued tickets", all.filter(function (t) { return t.state === "new" && !t.linked_to; }),
        function (t) { return ticketRow(t, true); }, 12);
  panel("escalations", "escalations", S.esc, function (e) {
    const r = el("div", "line");
    r.appendChild(el("span", "time", hhmm(e.time_ms)));
    r.appendChild(el("span", "tid", "#" + e.ticket_id));
    r.appendChild(el("span", "unit", e.unit || ""));
    r.appendChild(el("span", "who", "→ " + (e.member || "-")));
    r.appendChild(el("span", "text", (e.deadline ? tr(e.deadline) + ": " : "") + (e.reason || "")));
    if (e.ticket_id) r.addEventListener("click", function () { openHistory(e.ticket_id); });
    return r;
  }, 8);
  panel("held", "held", all.filter(function (t) { return t.state === "on hold"; }), function (t) {
    const r = ticketRow(t, true);
    const why = el("span", "reason", tr(t.hold_reason || "") + (t.hold_note ? ": " + t.hold_note : ""));
    r.insertBefore(why, r.querySelector(".due"));
    return r;
  });
  const inForce = S.notices.filter(function (e) {
    return e.notice && (!e.notice.to_ms || e.notice.to_ms > t0);
  });
  panel("outages", "outages and notices", S.outages.concat(inForce), function (x) {
    const r = el("div", "line");
    if (x.notice) {
      r.appendChild(el("span", "tag", tr(x.notice.kind === "general" ? "notice" : x.notice.kind)));
      r.appendChild(el("span", "text", x.notice.text));
      if (x.notice.to_ms) r.appendChild(el("span", "time", hhmm(x.notice.from_ms, true) + "–" + hhmm(x.notice.to_ms, true)));
    } else {
      r.appendChild(el("span", "tag", tr("outage") + " #" + x.id));
      r.appendChild(el("span", "text", x.text));
      const area = [].concat(x.buildings || [], x.zones || [], x.units || []).join(", ");
      r.appendChild(el("span", "area", area));
      r.appendChild(el("span", "time", hhmm(x.from_ms, true) + "–" + hhmm(x.to_ms, true)));
    }
    return r;
  });
  showLink();
}

function tick() {
  document.getElementById("clock").textContent = hhmm(now()) + ":" + pad2(new Date(now()).getSeconds());
  if (S.dirty) render();
  else for (const [n, t] of DUE_NODES) countdown(n, t);
}

// ---- a ticket's history ----

async function openHistory(id) {
  const box = document.getElementById("history");
  const facts = document.getElementById("history-facts");
  const body = document.querySelector("#history-events tbody");
  clear(facts); clear(body);
  document.getElementById("history-title").textContent = tr("ticket") + " #" + id;
  box.hidden = false;
  if (S.role === "monitor") { facts.appendChild(el("dd", null, tr("no history for monitor"))); return; }
  const r = await api("/api/ticket/" + id);
  if (r.status !== 200 || !r.body) {
    facts.appendChild(el("dd", null, (r.body && r.body.error) || ("HTTP " + r.status)));
    return;
  }
  const t = r.body.ticket;
  const rows = [["kind", tr(t.kind)], ["state", tr(t.state)], ["unit", t.unit], ["text", t.text],
                ["person", t.person], ["phone", t.phone], ["crew", (t.crew || "-") + " / " + (t.member || "-")],
                ["rule", t.rule], ["created", hhmm(t.created_ms, true)], ["note", t.note],
                ["hold", t.hold_reason && t.state === "on hold" ? tr(t.hold_reason) + " " + (t.hold_note || "") : ""],
                ["satisfaction", t.satisfaction ? t.satisfaction + "/5 " + (t.follow_up_remark || "") : ""],
                ["reopen count", t.reopen_count ? String(t.reopen_count) : ""]];
  for (const [k, v] of rows) {
    if (!v) continue;
    facts.appendChild(el("dt", null, tr(k)));
    facts.appendChild(el("dd", null, v));
  }
  for (const e of r.body.events) {
    const tr_ = el("tr");
    tr_.dataset.type = e.type;
    tr_.appendChild(el("td", "time", hhmm(e.time_ms, true)));
    tr_.appendChild(el("td", "type", tr(e.type)));
    tr_.appendChild(el("td", "who", (e.actor || "") + (e.actor_role ? " (" + e.actor_role + ")" : "")));
    tr_.appendChild(el("td", "st", e.from_state && e.from_state !== "unspecified" && e.to_state && e.from_state !== e.to_state ?
                       tr(e.from_state) + " → " + tr(e.to_state) : ""));
    const extra = [e.member ? "→ " + e.member : "", e.note, e.reason,
                   e.type === "followed up" && e.ticket ? e.ticket.satisfaction + "/5 " + (e.ticket.follow_up_remark || "") : ""]
      .filter(function (x) { return x; }).join(" · ");
    tr_.appendChild(el("td", "note", extra));
    body.appendChild(tr_);
  }
}

document.getElementById("history-close").addEventListener("click", function () {
  document.getElementById("history").hidden = true;
});
document.addEventListener("keydown", function (ev) {
  if (ev.key === "Escape") document.getElementById("history").hidden = true;
});
document.getElementById("lang").addEventListener("click", function () {
  setLang(LANG === "en" ? "zh-Hant" : "en");
  document.getElementById("logout").textContent = tr("sign out") + " (" + S.name + ")";
  render();
});
document.getElementById("logout").addEventListener("click", async function () {
  await api("/api/logout", { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": S.csrf }, body: "{}" });
  location.href = "/login";
});

(async function () {
  const me = await api("/api/me");
  if (me.status !== 200) { location.href = "/login"; return; }
  S.role = me.body.role;
  S.csrf = me.body.csrf;
  S.name = me.body.name;
  setLang(savedLang(me.body.lang));
  document.getElementById("logout").textContent = tr("sign out") + " (" + me.body.name + ")";
  showLink();
  while (!(await loadBoard())) await new Promise(function (r) { setTimeout(r, 1000); });
  setInterval(tick, 250);
  setInterval(function () { if (S.linkUp) loadBoard(); }, 30000); // presence changes without events
})();
