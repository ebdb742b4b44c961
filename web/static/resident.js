"use strict";
// resident.js: one resident's ticket, from /api/r/TOKEN (what the daemon
// lets a resident see), again on every "changed" from /api/r/TOKEN/events.
// A wrong token gets the same "not found" as any other: nothing else.

const TOKEN = location.pathname.replace(/^\/r\//, "").replace(/\/.*$/, "");
const R = { view: null, score: 0, sent: false, es: null, error: "" };

async function load() {
  const r = await api("/api/r/" + encodeURIComponent(TOKEN));
  if (r.status === 200 && r.body) { R.view = r.body; R.error = ""; if (!R.es) openStream(); }
  else if (r.status === 404 || r.status === 429) { R.view = null; R.error = r.status === 429 ? "try later" : "not found"; }
  else R.error = "try later";
  draw();
}

function openStream() {
  R.es = new EventSource("/api/r/" + encodeURIComponent(TOKEN) + "/events");
  R.es.addEventListener("changed", load);
  R.es.onopen = load; // a reconnect may have missed a change
}

function draw() {
  const page = document.getElementById("page");
  clear(page);
  document.getElementById("title").textContent = tr("your report");
  document.getElementById("lang").textContent = LANG === "en" ? "中文" : "English";
  const v = R.view;
  if (!v) { page.appendChild(el("div", "card nothing", tr(R.error || "not found"))); document.body.dataset.state = "none"; return; }
  document.body.dataset.state = v.state;
  const head = el("div", "card");
  head.appendChild(el("div", "dim", "#" + v.id + " · " + tr(v.kind) + " · " + v.unit));
  head.appendChild(el("div", "big-state", tr(v.state)));
  if (v.state === "on hold" && v.hold_reason) head.appendChild(el("div", null, tr(v.hold_reason)));
  if (v.crew_name) head.appendChild(el("div", null, tr("crew") + ": " + v.crew_name + (v.member_name ? " · " + tr("technician") + ": " + v.member_name : "")));
  head.appendChild(el("div", "what", v.text));
  if (v.outage_text) head.appendChild(el("div", "card notice", tr("outage") + ": " + v.outage_text));
  if (v.fee_cents) head.appendChild(el("div", null, tr("fee") + ": HK$" + (v.fee_cents / 100).toFixed(2)));
  if (v.replaced_by_token && /^[A-Za-z0-9_-]{8,128}$/.test(v.replaced_by_token)) {
    const a = el("a", null, tr("replaced"));
    a.href = "/r/" + v.replaced_by_token;
    head.appendChild(a);
  }
  head.appendChild(el("div", "dim", tr("received") + " " + hhmm(v.created_ms, true) + " · " + tr("updated live")));
  page.appendChild(head);
  const steps = el("div", "card");
  steps.appendChild(el("h2", null, tr("steps")));
  const ol = el("ol", "steps");
  for (const s of v.steps || []) {
    const li = el("li");
    li.dataset.type = s.type;
    li.appendChild(el("span", "time", hhmm(s.time_ms, true)));
    let what = s.by_resident ? tr("your rating") : tr(s.type);
    if (s.crew_name) what += " · " + s.crew_name;
    if (s.member_name) what += " · " + s.member_name;
    if (s.hold_reason) what += " · " + tr(s.hold_reason);
    if (s.satisfaction) what += " · " + s.satisfaction + "/5";
    li.appendChild(el("span", null, what));
    ol.appendChild(li);
  }
  steps.appendChild(ol);
  page.appendChild(steps);
  if (v.can_rate && !R.sent) page.appendChild(rateForm(v));
  else if (v.satisfaction) page.appendChild(el("div", "card", tr("rated") + ": " + v.satisfaction + "/5" + (R.sent ? " · " + tr("thanks") : "")));
  if (v.notices && v.notices.length) {
    const n = el("div", "card notice");
    n.appendChild(el("h2", null, tr("notices")));
    for (const x of v.notices) {
      const p = el("p", null, x.text);
      if (x.to_ms) p.appendChild(el("span", "dim", " (" + hhmm(x.from_ms, true) + "–" + hhmm(x.to_ms, true) + ")"));
      n.appendChild(p);
    }
    page.appendChild(n);
  }
}

function rateForm(v) {
  const f = el("form", "card rate");
  f.id = "rate";
  f.appendChild(el("p", null, tr("rate prompt")));
  const stars = el("div", "stars");
  for (let i = 1; i <= 5; i++) {
    const b = el("button", null, String(i));
    b.type = "button";
    b.dataset.score = i;
    b.setAttribute("aria-pressed", R.score === i ? "true" : "false");
    b.addEventListener("click", function () {
      R.score = i;
      for (const x of stars.children) x.setAttribute("aria-pressed", Number(x.dataset.score) === i ? "true" : "false");
    });
    stars.appendChild(b);
  }
  f.appendChild(stars);
  const remark = el("textarea");
  remark.id = "remark";
  remark.maxLength = 500;
  remark.placeholder = tr("remark");
  f.appendChild(remark);
  const send = el("button", "send", tr("send"));
  send.type = "submit";
  f.appendChild(send);
  const msg = el("p", "msg");
  f.appendChild(msg);
  f.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    if (!R.score) { msg.textContent = "1–5"; return; }
    const r = await api("/api/r/" + encodeURIComponent(TOKEN) + "/rate", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ score: R.score, remark: remark.value, form_token: v.form_token }),
    });
    if (r.status === 200) { R.sent = true; R.view = r.body; draw(); }
    else msg.textContent = (r.body && r.body.error) || ("HTTP " + r.status);
  });
  return f;
}

document.getElementById("lang").addEventListener("click", function () {
  setLang(LANG === "en" ? "zh-Hant" : "en"); draw();
});
setLang(savedLang("zh-Hant"));
load();
