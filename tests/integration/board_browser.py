#!/usr/bin/env python3
"""board_browser.py: a real browser for tests/integration/board.sh.

Debian's chromium, headless, driven through chromium-driver by Debian's
python3-selenium. The shell script sends one JSON array a line on stdin
(a command and its arguments) and reads one JSON object a line on stdout
({"ok": true, "value": ...} or {"ok": false, "error": "..."}), so the
browser's steps interleave with the real clients' (dispatch-desk,
dispatch-crew) in the script. Waits poll the page every 50 ms up to the
given seconds.

Commands:
  ["get", URL]                       open a page
  ["size", W, H]                     the window's size
  ["wait", CSS, SECONDS]             until an element matches
  ["wait_gone", CSS, SECONDS]        until none does
  ["wait_text", CSS, TEXT, SECONDS]  until one matching element's text has TEXT
  ["wait_attr", CSS, ATTR, VALUE, SECONDS]
  ["text", CSS]                      the first match's text ("" if none)
  ["count", CSS]
  ["click", CSS]
  ["type", CSS, TEXT]
  ["js", SCRIPT]                     run SCRIPT (its return value back)
  ["shot", PATH]                     a PNG of the window
  ["quit"]
"""
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def browser(lang):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1920,1080", "--lang=" + lang, "--no-first-run",
              "--disable-background-networking", "--disable-extensions"):
        o.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def until(fn, seconds):
    end = time.monotonic() + float(seconds)
    while True:
        try:
            v = fn()
        except Exception:  # the page is being replaced: look again
            v = None
        if v:
            return v
        if time.monotonic() > end:
            return None
        time.sleep(0.05)


def texts(d, css):
    return [e.get_attribute("textContent") or "" for e in d.find_elements(By.CSS_SELECTOR, css)]


def run(d, cmd):
    op, a = cmd[0], cmd[1:]
    if op == "get":
        d.get(a[0])
        return d.current_url
    if op == "size":  # the page's viewport, not the window's outside
        w, h = int(a[0]), int(a[1])
        d.set_window_size(w, h)
        iw, ih = d.execute_script("return [window.innerWidth, window.innerHeight]")
        d.set_window_size(w + (w - iw), h + (h - ih))
        return True
    if op == "wait":
        if not until(lambda: d.find_elements(By.CSS_SELECTOR, a[0]), a[1]):
            raise RuntimeError("nothing matched %s within %ss" % (a[0], a[1]))
        return True
    if op == "wait_gone":
        if not until(lambda: not d.find_elements(By.CSS_SELECTOR, a[0]), a[1]):
            raise RuntimeError("%s still there after %ss" % (a[0], a[1]))
        return True
    if op == "wait_text":
        if not until(lambda: any(a[1] in t for t in texts(d, a[0])), a[2]):
            raise RuntimeError("no %s with text %r within %ss; texts: %r" % (a[0], a[1], a[2], texts(d, a[0])[:5]))
        return True
    if op == "wait_attr":
        def ok():
            return any(e.get_attribute(a[1]) == a[2] for e in d.find_elements(By.CSS_SELECTOR, a[0]))
        if not until(ok, a[3]):
            got = [e.get_attribute(a[1]) for e in d.find_elements(By.CSS_SELECTOR, a[0])][:5]
            raise RuntimeError("no %s with %s=%r within %ss; got %r" % (a[0], a[1], a[2], a[3], got))
        return True
    if op == "text":
        t = texts(d, a[0])
        return t[0] if t else ""
    if op == "count":
        return len(d.find_elements(By.CSS_SELECTOR, a[0]))
    if op == "click":
        d.find_element(By.CSS_SELECTOR, a[0]).click()
        return True
    if op == "type":
        e = d.find_element(By.CSS_SELECTOR, a[0])
        e.clear()
        e.send_keys(a[1])
        return True
    if op == "js":
        return d.execute_script(a[0])
    if op == "shot":
        return d.save_screenshot(a[0])
    raise RuntimeError("unknown command " + op)


def main():
    d = browser(sys.argv[1] if len(sys.argv) > 1 else "zh-TW")
    print(json.dumps({"ok": True, "value": "ready"}), flush=True)
    try:
        for line in sys.stdin:
            try:
                cmd = json.loads(line)
                if cmd[0] == "quit":
                    print(json.dumps({"ok": True, "value": "bye"}), flush=True)
                    break
                out = {"ok": True, "value": run(d, cmd)}
            except Exception as e:  # reported to the script, which fails the test
                out = {"ok": False, "error": str(e).splitlines()[0] if str(e) else repr(e)}
            print(json.dumps(out, default=str), flush=True)
    finally:
        d.quit()


if __name__ == "__main__":
    main()
