"""Shared plumbing of the browser tests: headless chromium (HAMI_CHROMIUM, set by run.sh) on the
web UI through Playwright. Ui.show(route) navigates and waits until that route rendered; the views
mark what they show for tests and scripts: cards `[data-field=F]` with `data-value`, table rows
`tr[data-key=K]` with cells `td[data-col=C]` (and `data-value` where a number is formatted).
"""
import os

from playwright.sync_api import sync_playwright

RENDERED = """([hash, before]) => {
  const m = document.getElementById('view');
  return m.dataset.ready === '1' && m.dataset.route === hash && Number(m.dataset.renders || 0) > before;
}"""


class Ui:
    def __init__(self, base, shots_dir, init_script=None):
        self.base = base if base.endswith("/") else base + "/"
        self.shots_dir = shots_dir
        os.makedirs(shots_dir, exist_ok=True)
        self.errors = []
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=os.environ.get("HAMI_CHROMIUM", "/usr/bin/chromium"),
                                                args=["--no-sandbox", "--disable-dev-shm-usage"])
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=self.base.rstrip("/"))
        self.page = self.context.new_page()
        self.page.set_default_timeout(20000)
        if init_script:
            self.page.add_init_script(init_script)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        self.loaded = False

    def close(self):
        self.browser.close()
        self._pw.stop()

    def renders(self):
        return int(self.page.get_attribute("#view", "data-renders") or 0) if self.loaded else 0

    def show(self, route, timeout=20000):
        """Navigates to `route` ("#/nodes?search=a") and waits until it rendered; returns the
        view's error (data-error) or None."""
        before = self.renders()
        if not self.loaded:
            self.page.goto(self.base + route)
            self.loaded = True
        else:
            self.page.evaluate("h => { location.hash = h }", route)
        self.wait_rendered(before, timeout)
        return self.page.get_attribute("#view", "data-error")

    def wait_rendered(self, before, timeout=20000, hash_has=None):
        """Waits for a render after `before` of the current route (once its hash has `hash_has`)."""
        if hash_has:
            self.page.wait_for_function("s => location.hash.includes(s)", arg=hash_has, timeout=timeout)
        h = self.page.evaluate("() => location.hash")
        self.page.wait_for_function(RENDERED, arg=[h, before], timeout=timeout)

    def shot(self, name):
        path = os.path.join(self.shots_dir, f"{name}.png")
        self.page.screenshot(path=path, full_page=True)
        return path

    def card(self, field):
        """(data-value, text) of the card `field`, or (None, None)."""
        el = self.page.query_selector(f'[data-field="{field}"]')
        return (el.get_attribute("data-value"), el.inner_text()) if el else (None, None)

    def row_keys(self):
        return [r.get_attribute("data-key") for r in self.page.query_selector_all("tbody tr[data-key]")]

    def cell(self, key, col, scope=""):
        """(data-value, text) of column `col` in the row `key`, or (None, None)."""
        el = self.page.query_selector(f'{scope} tr[data-key="{key}"] td[data-col="{col}"]'.strip())
        return (el.get_attribute("data-value"), el.inner_text().strip()) if el else (None, None)

    def has_row(self, key):
        return self.page.query_selector(f'tr[data-key="{key}"]') is not None
