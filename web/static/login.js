"use strict";
// login.js: the sign-in form; a JSON POST (never a cross-site form).
function words() {
  document.getElementById("title").textContent = tr("sign in");
  document.getElementById("l-name").textContent = tr("name");
  document.getElementById("l-pw").textContent = tr("password");
  document.getElementById("go").textContent = tr("sign in");
}
(async function () {
  const cfg = await api("/api/config");
  setLang(savedLang(cfg.body && cfg.body.lang));
  words();
  document.getElementById("lang").addEventListener("click", function () {
    setLang(LANG === "en" ? "zh-Hant" : "en"); words();
  });
  document.getElementById("login").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const msg = document.getElementById("msg");
    msg.textContent = "";
    const r = await api("/api/login", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: document.getElementById("name").value,
                             password: document.getElementById("password").value }),
    });
    if (r.status === 200) { location.href = "/board"; return; }
    msg.textContent = r.status === 401 ? tr("wrong") : (r.body && r.body.error) || ("HTTP " + r.status);
  });
})();
