"""Open a page in headless Chromium and report what a reader's browser sees.

Speaks the DevTools protocol over ``--remote-debugging-pipe`` (file
descriptors 3 and 4, JSON messages ending in NUL), so it needs nothing but
the standard library and Debian's ``chromium``.

    python -m tests.browser outputs/report.html outputs/report.png
"""

from __future__ import annotations

import base64
import json
import os
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
        self.proc, self.write_fd, self.read = proc, write_fd, os.fdopen(read_fd, "rb")
        self.next_id, self.events, self.buffer = 0, [], b""

    def send(self, method, params=None, session=None, timeout=30):
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

    def wait_for(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        if any(e.get("method") == method for e in self.events):
            return
        while time.monotonic() < deadline:
            event = self._message()
            self.events.append(event)
            if event.get("method") == method:
                return
        raise TimeoutError(method)

    def _message(self):
        while b"\0" not in self.buffer:
            chunk = self.read.read1(65536)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)


def inspect_page(path: str | Path, expressions: dict[str, str] | None = None, screenshot: str | Path | None = None,
                 width: int = 1400, height: int = 1000) -> PageReport:
    """Load ``path`` from disk, evaluate ``expressions`` and optionally save
    a full-page screenshot."""
    binary = chromium_path()
    if not binary:
        raise FileNotFoundError("chromium")
    url = Path(path).resolve().as_uri()
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    profile = tempfile.mkdtemp(prefix="speechdiff-chromium-")

    def child_fds():  # chromium reads commands on fd 3 and answers on fd 4
        # via spare numbers: the pipe may itself be 3 or 4, and dup2 onto the
        # same number would keep its close-on-exec flag
        os.dup2(to_chrome_r, 200)
        os.dup2(from_chrome_w, 201)
        os.dup2(200, 3)
        os.dup2(201, 4)

    proc = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        preexec_fn=child_fds, close_fds=False,  # close_fds would close 3 and 4 after preexec_fn
        stdout=subprocess.DEVNULL, stderr=open(os.environ.get("CHROMIUM_LOG", os.devnull), "w"),
    )
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    pipe = _Pipe(proc, to_chrome_w, from_chrome_r)
    report = PageReport()
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            pipe.send(f"{domain}.enable", session=session)
        pipe.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
        pipe.events.clear()
        pipe.send("Page.navigate", {"url": url}, session)
        pipe.wait_for("Page.loadEventFired")
        for name, expression in (expressions or {}).items():
            result = pipe.send("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
            report.values[name] = result.get("result", {}).get("value")
        if screenshot:
            shot = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False}, session)
            Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
            Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
        for event in pipe.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                report.requests.append(params["request"]["url"])
            elif method == "Runtime.exceptionThrown":
                report.console_errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                report.console_errors.append(" ".join(str(a.get("value", "")) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                report.console_errors.append(params["entry"].get("text", ""))
        try:
            pipe.send("Browser.close", timeout=5)
        except Exception:
            pass
    finally:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.close(to_chrome_w)
        shutil.rmtree(profile, ignore_errors=True)
    return report


if __name__ == "__main__":
    page, png = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
    r = inspect_page(page, {"rows": "document.querySelectorAll('tr.row').length"}, png)
    print(json.dumps({"rows": r.values.get("rows"), "console_errors": r.console_errors, "network": r.network_requests}, ensure_ascii=False))
