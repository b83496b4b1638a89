"""Open a page in headless Chromium and report what a reader's browser sees.

Speaks the DevTools protocol over ``--remote-debugging-pipe`` (file
descriptors 3 and 4, JSON messages ending in NUL), so it needs nothing but
the standard library and Debian's ``chromium``.

    with Browser() as browser:
        page = browser.open("diff.html", width=400, dark=True, javascript=False)
        page.eval("document.title"); page.key("n"); page.screenshot("x.png")

    python -m tests.browser outputs/report.html outputs/report.png [WIDTH]
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",  # screenshots show the page, and widths do not depend on a scrollbar
    "--remote-debugging-pipe",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@dataclass
class PageReport:
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    values: dict = field(default_factory=dict)  # results of the expressions evaluated

    @property
    def network_requests(self) -> list[str]:
        """Requests that would leave the machine (anything but the file itself)."""
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:"))]


class _Pipe:
    def __init__(self, proc, write_fd, read_fd):
        self.proc, self.write_fd, self.read_fd = proc, write_fd, read_fd
        self.next_id, self.events, self.buffer = 0, [], b""

    def send(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(method)

    def wait_for(self, method, session=None, timeout=60):
        deadline = time.monotonic() + timeout

        def matches(e):
            return e.get("method") == method and (session is None or e.get("sessionId") == session)

        if any(matches(e) for e in self.events):
            return
        while time.monotonic() < deadline:
            event = self._message()
            self.events.append(event)
            if matches(event):
                return
        raise TimeoutError(method)

    def _message(self, timeout: float = 60):
        import select

        while b"\0" not in self.buffer:
            if not select.select([self.read_fd], [], [], timeout)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)


# WCAG 2 contrast of the text actually drawn: every element holding text of
# its own, its colour against the background composited from its ancestors
# (alpha blended, opacity applied). A background image (gradient) under text
# cannot be judged here and is reported as such, so a page must not put text
# on one. Pseudo-element text (::before/::after content) is checked as well.
CONTRAST_JS = r"""
(() => {
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, under) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]); };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (x, y) => { const a = lum(x), b = lum(y); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  function background(el) {
    const layers = []; let image = false;
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage && s.backgroundImage !== 'none') image = true;
      const c = parse(s.backgroundColor); if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];  // the canvas
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return {bg, image};
  }
  function opacity(el) { let o = 1; for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; }
  const out = []; const seen = new Set();
  function check(el, pseudo, sample) {
    const s = getComputedStyle(el, pseudo);
    if (s.visibility !== 'visible' || s.display === 'none') return;
    const {bg, image} = background(el);
    let fg = parse(s.color); fg = over([fg[0], fg[1], fg[2], fg[3] * opacity(el)], bg);
    const r = ratio(fg, bg);
    const key = s.color + '|' + bg.join(',') + '|' + image;
    if (seen.has(key)) return; seen.add(key);
    let name = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') + (pseudo || '');
    out.push({element: name, text: sample.slice(0, 24), color: s.color, background: 'rgb(' + bg.slice(0, 3).map(Math.round).join(',') + ')', ratio: Math.round(r * 100) / 100, image});
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent.trim(); if (!t) continue;
    const el = n.parentElement; if (!el || el.closest('script,style,noscript')) continue;
    if (!el.getClientRects().length) continue;
    check(el, null, t);
  }
  for (const el of document.body.querySelectorAll('*')) for (const pseudo of ['::before', '::after']) {
    const c = getComputedStyle(el, pseudo).content;
    if (c && c !== 'none' && c !== 'normal' && c.replace(/["'\s]/g, '') && el.getClientRects().length) check(el, pseudo, c);
  }
  return out;
})()
"""


class Page:
    """One open tab: evaluate, press keys, take screenshots, print."""

    def __init__(self, browser: "Browser", session: str, target: str, width: int, height: int, javascript: bool = True):
        self.browser, self.session, self.target, self.width, self.height = browser, session, target, width, height
        self.javascript = javascript

    def settle(self) -> None:
        """Wait for the page to draw what the last input changed."""
        if self.javascript:
            self.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        else:  # no animation frames to wait for without scripting
            time.sleep(0.15)

    def send(self, method, params=None, timeout=60):
        return self.browser.pipe.send(method, params, self.session, timeout)

    def eval(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails'].get('exception', {}).get('description', result['exceptionDetails'])}")
        return result.get("result", {}).get("value")

    def key(self, key: str) -> None:
        """Press and release one printable key, as a reader's keyboard does."""
        code = f"Key{key.upper()}" if key.isalpha() else ""
        vk = ord(key.upper()) if len(key) == 1 else 0
        self.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": key, "code": code, "text": key, "windowsVirtualKeyCode": vk})
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": vk})
        self.settle()

    def click(self, selector: str) -> None:
        """Click the middle of the first element ``selector`` matches, as a mouse does
        (works with scripting disabled: the page's own behaviour, not a script's)."""
        box = self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block: 'center'}});"
                        " const r = e.getBoundingClientRect(); return [r.left + Math.min(r.width / 2, 20), r.top + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1})
        self.settle()

    def scroll_to(self, y: float) -> None:
        self.eval(f"window.scrollTo(0, {y})")
        self.settle()

    def screenshot(self, path: str | Path, full: bool = False, max_height: int = 16000) -> Path:
        """The viewport, or with ``full`` the whole page (up to ``max_height`` px)."""
        params = {"format": "png"}
        if full:
            height = min(self.eval("document.documentElement.scrollHeight"), max_height)
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": self.width, "height": height, "scale": 1})
        shot = self.send("Page.captureScreenshot", params, timeout=120)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def pdf(self, path: str | Path | None = None, background: bool = False) -> bytes:
        """Print to PDF on A4 as a reader's print dialog does (background
        graphics off unless ``background``)."""
        data = base64.b64decode(self.send("Page.printToPDF", {"printBackground": background, "paperWidth": 8.27, "paperHeight": 11.69,
                                                              "marginTop": 0.4, "marginBottom": 0.4, "marginLeft": 0.4, "marginRight": 0.4},
                                          timeout=180)["data"])
        if path:
            Path(path).write_bytes(data)
        return data

    def contrast(self) -> list[dict]:
        """Every (text colour, background) pair drawn, with its WCAG contrast ratio."""
        return self.eval(CONTRAST_JS)

    def emulate(self, media: str = "", dark: bool | None = None) -> None:
        features = [] if dark is None else [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]
        self.send("Emulation.setEmulatedMedia", {"media": media, "features": features})
        self.settle()

    @property
    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.browser.pipe.events
                if e.get("sessionId") == self.session and e.get("method") == "Network.requestWillBeSent"]

    @property
    def network_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:"))]

    @property
    def console_errors(self) -> list[str]:
        out = []
        for event in self.browser.pipe.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(params["exceptionDetails"].get("exception", {}).get("description") or params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", "")) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                out.append(params["entry"].get("text", ""))
        return out

    def close(self) -> None:
        try:
            self.browser.pipe.send("Target.closeTarget", {"targetId": self.target}, timeout=10)
        except Exception:
            pass
        # drop this tab's events: a long session must not keep every page's network log
        self.browser.pipe.events = [e for e in self.browser.pipe.events if e.get("sessionId") != self.session]
        if self.browser.page is self:
            self.browser.page = None


class Browser:
    """One headless Chromium for several pages (each ``open`` a new tab)."""

    def __init__(self):
        binary = chromium_path()
        if not binary:
            raise FileNotFoundError("chromium")
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        self.profile = tempfile.mkdtemp(prefix="speechdiff-chromium-")

        def child_fds():  # chromium reads commands on fd 3 and answers on fd 4
            # via spare numbers: the pipe may itself be 3 or 4, and dup2 onto the
            # same number would keep its close-on-exec flag
            os.dup2(to_chrome_r, 200)
            os.dup2(from_chrome_w, 201)
            os.dup2(200, 3)
            os.dup2(201, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            preexec_fn=child_fds, close_fds=False,  # close_fds would close 3 and 4 after preexec_fn
            stdout=subprocess.DEVNULL, stderr=open(os.environ.get("CHROMIUM_LOG", os.devnull), "w"),
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.write_fd = to_chrome_w
        self.pipe = _Pipe(self.proc, to_chrome_w, from_chrome_r)
        self.page: Page | None = None

    def open(self, path: str | Path, width: int = 1400, height: int = 900, media: str = "", dark: bool | None = None,
             javascript: bool = True, hash: str = "") -> Page:
        """Load ``path`` from disk in a new tab ``width`` × ``height`` CSS px,
        with the media type (``print``), colour scheme and scripting given.
        The tab opened before is closed: a tab in the background gets no
        animation frames, so scripts that wait for one would stall."""
        if self.page is not None:
            self.page.close()
        url = Path(path).resolve().as_uri() + hash
        target = self.pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session, target, width, height, javascript)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        page.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        if media or dark is not None:
            features = [] if dark is None else [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]
            page.send("Emulation.setEmulatedMedia", {"media": media, "features": features})
        if not javascript:
            page.send("Emulation.setScriptExecutionDisabled", {"value": True})
        page.send("Page.navigate", {"url": url})
        self.page = page
        page.send("Page.bringToFront")
        self.pipe.wait_for("Page.loadEventFired", session)
        if javascript:
            page.eval("document.fonts.ready.then(() => true)")
        else:
            time.sleep(0.3)
        return page

    def close(self) -> None:
        try:
            self.pipe.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.write_fd)
        os.close(self.pipe.read_fd)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def pdf_pages(data: bytes) -> int:
    """Pages of a PDF Chromium printed (its page objects, not the /Pages tree)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def inspect_page(path: str | Path, expressions: dict[str, str] | None = None, screenshot: str | Path | None = None,
                 width: int = 1400, height: int = 1000) -> PageReport:
    """Load ``path`` from disk, evaluate ``expressions`` and optionally save
    a screenshot of the viewport."""
    report = PageReport()
    with Browser() as browser:
        page = browser.open(path, width, height)
        for name, expression in (expressions or {}).items():
            report.values[name] = page.eval(expression)
        if screenshot:
            page.screenshot(screenshot)
        report.requests = page.requests
        report.console_errors = page.console_errors
    return report


if __name__ == "__main__":
    page_path, png = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
    width = int(sys.argv[3]) if len(sys.argv) > 3 else 1400
    with Browser() as b:
        p = b.open(page_path, width)
        if png:
            p.screenshot(png, full=True)
        print(json.dumps({"height": p.eval("document.documentElement.scrollHeight"), "width": p.eval("document.scrollingElement.scrollWidth"),
                          "console_errors": p.console_errors, "network": p.network_requests}, ensure_ascii=False))
