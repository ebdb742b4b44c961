// common.js: what both pages share: the words in both languages and a
// DOM helper. Every text from the daemon goes into the page through
// textContent (el() below), never as HTML.
"use strict";

const WORDS = {
  "zh-Hant": {
    // kinds
    "repair": "維修", "complaint": "投訴", "special": "特別服務", "security": "保安",
    "cleaning": "清潔", "inquiry": "查詢", "suggestion": "建議",
    // states and events
    "new": "待派", "assigned": "已派", "accepted": "已接單", "on site": "已到場",
    "resolved": "已完成", "closed": "已結案", "cancelled": "已取消", "on hold": "暫停",
    "submitted": "已收到", "queued": "排隊中", "escalated": "已上報", "linked": "已合併",
    "duty": "當值", "outage": "停用通告", "resumed": "已恢復", "followed up": "已回訪",
    "inspected": "已檢查", "reopened": "重新處理", "consented": "已同意收費",
    "notice": "通告", "unlinked": "已分開", "vendor flagged": "外判問題", "vendor reviewed": "外判覆檢",
    // hold reasons
    "parts": "等候零件", "resident-away": "住戶不在", "no-access": "無法進入",
    "consent": "等候同意收費", "other": "其他",
    // deadlines
    "acknowledge": "接單", "arrive": "到場", "resolve": "完成", "follow-up": "回訪",
    // board
    "board": "控制中心", "live": "即時", "reconnecting": "重新連線中…", "daemon away": "派工系統失去聯絡，重新連線中…",
    "open": "未完成", "overdue": "逾時", "queued tickets": "無人可接（排隊）", "escalations": "上報",
    "held": "暫停中", "outages and notices": "停用及通告", "crews": "工作隊", "on shift": "當更",
    "online": "在線", "off": "離線", "load": "工作量", "nobody on shift": "無人當更",
    "nothing": "沒有", "paused": "已暫停", "due in": "尚餘", "late by": "逾時",
    "sign out": "登出", "history": "記錄", "close": "關閉", "no history for monitor": "監察帳戶只可看板，不可打開記錄",
    "unassigned": "未分派", "ticket": "工單", "by": "由", "note": "備註", "reason": "原因",
    "kind": "類別", "state": "狀態", "unit": "單位", "text": "內容", "person": "住戶", "phone": "電話",
    "rule": "規則", "created": "建立", "hold": "暫停", "satisfaction": "滿意度", "reopen count": "重開次數", "your rating": "您的評分",
    "more": "項未顯示", "works": "工程", "activity": "活動", "general": "通告", "members": "成員", "on duty": "當值", "off duty": "下班", "supervisor": "主管",
    // sign in
    "sign in": "登入", "name": "帳戶", "password": "密碼", "wrong": "帳戶或密碼錯誤",
    // resident
    "your report": "您的報告", "received": "已收到", "rate": "評分", "remark": "意見",
    "send": "提交", "thanks": "多謝您的評分", "not found": "找不到這個連結。請向管理處查詢。",
    "notices": "屋苑通告", "crew": "工作隊", "technician": "技術員", "rated": "您的評分",
    "rate prompt": "工作已完成。請為這次服務評分（1 最差，5 最好）：", "steps": "進度",
    "updated live": "此頁會自動更新", "fee": "收費", "replaced": "此報告已由更正的報告取代：按此查看", "try later": "暫時未能連線，請稍後再試",
  },
  "en": {
    "new": "new", "on site": "on site", "board": "Control center", "live": "live",
    "reconnecting": "reconnecting…", "daemon away": "dispatch service unreachable: reconnecting…",
    "queued tickets": "Queued: nobody can take", "escalations": "Escalations", "held": "On hold",
    "outages and notices": "Outages and notices", "crews": "Crews", "nobody on shift": "nobody on shift",
    "nothing": "none", "sign out": "sign out",
    "no history for monitor": "a monitor account sees the board only", "unassigned": "unassigned",
    "sign in": "Sign in", "name": "Name", "password": "Password", "wrong": "wrong name or password",
    "your report": "Your report", "rate": "Rate", "remark": "Remark", "send": "Send",
    "thanks": "Thank you for your rating", "not found": "This link is not valid. Please ask the management office.",
    "notices": "Estate notices", "rated": "Your rating",
    "rate prompt": "The work is done. Please rate it (1 worst, 5 best):", "steps": "Progress",
    "updated live": "this page updates by itself", "fee": "Fee",
    "replaced": "This report was replaced by a corrected one: see it here", "try later": "cannot connect just now; please try again later",
    "more": "more", "open": "open", "overdue": "overdue", "acknowledge": "ack", "due in": "in", "late by": "late", "online": "online", "off": "offline", "load": "load",
  },
};

let LANG = "zh-Hant";

function setLang(l) {
  LANG = l === "en" ? "en" : "zh-Hant";
  try { localStorage.setItem("dispatch-lang", LANG); } catch (e) { /* private mode */ }
  document.documentElement.lang = LANG;
}

function savedLang(dflt) {
  let l = null;
  try { l = localStorage.getItem("dispatch-lang"); } catch (e) { /* private mode */ }
  const q = new URLSearchParams(location.search).get("lang");
  return q || l || dflt || "zh-Hant";
}

// A word in the page's language (the word itself when there is none).
function tr(w) {
  if (w === undefined || w === null) return "";
  const d = WORDS[LANG] || {};
  if (d[w] !== undefined) return d[w];
  return w;
}

// An element with a class and a text: the only way data reaches the page.
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function pad2(n) { return n < 10 ? "0" + n : "" + n; }

// Times in the estate's zone (Hong Kong unless the daemon says otherwise).
let ZONE = "Asia/Hong_Kong";
function hhmm(ms, withDate) {
  if (!ms) return "";
  const opts = { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: ZONE };
  if (withDate) { opts.month = "2-digit"; opts.day = "2-digit"; }
  try { return new Intl.DateTimeFormat(LANG === "en" ? "en-GB" : "zh-Hant-HK", opts).format(new Date(ms)); }
  catch (e) { const d = new Date(ms); return pad2(d.getHours()) + ":" + pad2(d.getMinutes()); }
}

function span(ms) {
  ms = Math.abs(ms);
  const s = Math.floor(ms / 1000), m = Math.floor(s / 60), h = Math.floor(m / 60);
  if (h >= 24) return Math.floor(h / 24) + "d" + (h % 24) + "h";
  if (h > 0) return h + ":" + pad2(m % 60) + ":" + pad2(s % 60);
  return m + ":" + pad2(s % 60);
}

async function api(path, opts) {
  const r = await fetch(path, Object.assign({ credentials: "same-origin", cache: "no-store" }, opts || {}));
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  return { status: r.status, body: body };
}
