"""crm-desktop end to end: the real binary under Xvfb (ctest wraps pytest in
xvfb-run and dbus-run-session), driven through the accessibility tree
(pyatspi, keys through dogtail's XTest input), against a real crmd and
PostgreSQL from the integration fixtures. One scenario, in the order a new
user meets it, so that the desktop starts once (the suite's budget is two
minutes): first run writes the config file, a wrong password shows what
to do, login, the sidebar lists the types, crmd stopped shows the banner,
a request made while it is down lands once after crmd is back, and so does
one in flight when crmd dies; a revoked session asks for the password
again over the open view, and the request waiting meanwhile lands once.

Screenshots of each screen go to $CRM_ARTIFACTS_DIR (default: the build
tree's tests/desktop/artifacts) and are checked not to be blank."""

import os
import signal
import stat
import subprocess
import time

import pytest

from conftest import fixtures

pyatspi = pytest.importorskip("pyatspi")
rawinput = pytest.importorskip("dogtail.rawinput")

DESKTOP = os.path.join(fixtures.BUILD_DIR, "client", "desktop", "crm-desktop")
SUPPRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
ARTIFACTS = os.environ.get("CRM_ARTIFACTS_DIR") or os.path.join(
    fixtures.BUILD_DIR, "tests", "desktop", "artifacts")


def nodes(root, depth=0):
    if depth > 60:  # the record page is deep
        return
    yield root
    for i in range(root.childCount):
        try:
            child = root.getChildAtIndex(i)
        except Exception:
            continue
        if child is not None:
            yield from nodes(child, depth + 1)


class Desktop:
    def __init__(self, xdg, crmd):
        self.xdg = xdg
        self.crmd = crmd
        self.stderr_path = os.path.join(xdg, "desktop.stderr")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
        env.update(XDG_CONFIG_HOME=xdg, HOME=xdg, CRM_DESKTOP_TEST_HOOKS="1",
                   GTK_A11Y="atspi", LANGUAGE="en", LC_ALL="C.UTF-8",
                   # in an ASan build: fontconfig's own caches only (lsan.supp)
                   LSAN_OPTIONS=f"suppressions={SUPPRESSIONS}:print_suppressions=0")
        self.err = open(self.stderr_path, "w")
        self.proc = subprocess.Popen([DESKTOP], env=env, stdout=self.err, stderr=self.err)
        self.app = fixtures.wait_for(self._app, 20, 0.2, "crm-desktop on the a11y bus")

    def _app(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"crm-desktop exited {self.proc.returncode}: {self.stderr()}")
        for app in pyatspi.Registry.getDesktop(0):
            if app is not None and app.name == "crm-desktop" and app.childCount > 0:
                return app
        return None

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def find(self, role, name_part, timeout=15, root=None):
        def look():
            for n in nodes(root or self.app):
                try:
                    if n.getRoleName() == role and name_part in (n.name or ""):
                        return n
                except Exception:
                    pass
            return None
        return fixtures.wait_for(look, timeout, 0.2, f"{role} '{name_part}'")

    def has_text(self, part):
        for n in nodes(self.app):
            try:
                if part in (n.name or ""):
                    return True
                if n.getRoleName() == "label":
                    t = n.queryText()
                    if part in t.getText(0, t.characterCount):
                        return True
            except Exception:
                pass
        return False

    def wait_text(self, part, timeout=15):
        return fixtures.wait_for(lambda: self.has_text(part), timeout, 0.2, f"text '{part}'")

    def type_into(self, role, name, text, enter=False, root=None):
        node = self.find(role, name, root=root)
        # GTK 4.8's AT-SPI has no grab_focus: click the middle of the field
        # (which also puts the pointer over its window: without a window
        # manager, X gives the keys to the window under the pointer). GTK
        # reports positions relative to the window, and every window here
        # sits at the screen's top left.
        x, y, w, h = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        rawinput.click(x + w // 2, y + h // 2)
        time.sleep(0.3)
        # select what is there, so the text replaces it
        rawinput.keyCombo("<Control>a")
        rawinput.typeText(text)
        if enter:
            rawinput.pressKey("Return")

    def action(self, name, arg=None):
        subprocess.run(["gdbus", "call", "--session", "--dest", "org.crm.Desktop",
                        "--object-path", "/org/crm/Desktop", "--method",
                        "org.gtk.Actions.Activate", name,
                        f"[<'{arg}'>]" if arg is not None else "[]", "{}"],
                       check=True, capture_output=True, timeout=10)

    def quit(self):
        """app.quit, as Ctrl+Q does: a clean exit, so LeakSanitizer (in an
        ASan build) checks the desktop's memory; it must exit 0."""
        self.action("quit")
        rc = self.proc.wait(30)
        err = self.stderr()
        assert rc == 0, f"crm-desktop exited {rc}:\n{err[-3000:]}"
        assert not [m for m in SANITIZER_MARKERS if m in err], err[-6000:]

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


def screenshot(name):
    """Takes the whole screen; fails if it is one flat colour."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f"{name}.png")
    time.sleep(0.5)  # let the last frame be drawn
    subprocess.run(["import", "-window", "root", path], check=True, timeout=20)
    colours = subprocess.run(["identify", "-format", "%k", path], check=True,
                             capture_output=True, text=True, timeout=20).stdout
    assert int(colours) > 16, f"{path} looks blank ({colours} colours)"
    return path


@pytest.fixture
def desktop_env(crmd, tmp_path):
    xdg = str(tmp_path / "xdg")
    os.makedirs(os.path.join(xdg, "crm"), mode=0o700)
    d = {"xdg": xdg, "desk": None}
    yield d
    if d["desk"] is not None:
        if d["desk"].proc.poll() is None:
            try:  # what the screen showed when the test ended (kept, not checked)
                subprocess.run(["import", "-window", "root",
                                os.path.join(ARTIFACTS, "zz-at-exit.png")], timeout=20)
            except Exception:
                pass
        d["desk"].close()


def test_first_run_login_types_reconnect(crmd, desktop_env):
    xdg = desktop_env["xdg"]
    config = os.path.join(xdg, "crm", "config")
    # the CLI's keys and comments in a config file survive the desktop's write
    with open(config, "w") as f:
        f.write(f"# mine\nformat = json\nca = {crmd.ca}\n")
    desk = desktop_env["desk"] = Desktop(xdg, crmd)

    # first run: the server, then Enter; the config file gets it
    desk.type_into("text", "Server address", f"localhost:{crmd.port}", enter=True)
    fixtures.wait_for(lambda: f"localhost:{crmd.port}" in open(config).read(), 10, 0.1,
                      "the server in the config file")
    text = open(config).read()
    assert "# mine" in text and "format = json" in text and crmd.ca in text, text
    screenshot("01-first-run")

    # a wrong password: the message says what to do, the form stays usable
    desk.find("text", "User name")
    desk.type_into("text", "User name", fixtures.ADMIN_USER)
    desk.type_into("text", "Password", "not-the-password", enter=True)
    desk.wait_text("password is wrong", timeout=20)
    screenshot("02-wrong-password")

    desk.type_into("text", "Password", crmd.env.admin_password, enter=True)
    for label in ("Accounts", "Contacts", "Notes"):
        desk.find("list item", label, timeout=20)
    session = os.path.join(xdg, "crm", "desktop-session")
    assert stat.S_IMODE(os.stat(session).st_mode) == 0o600
    screenshot("03-sidebar")

    # crmd stopped: the banner; a request made now waits and lands once
    crmd.stop()
    desk.wait_text("Connection to the server lost", timeout=20)
    screenshot("04-banner")
    desk.action("test-create-account", "Desk Reconnect Co")
    time.sleep(1)
    assert "test-create-account:" not in desk.stderr()
    crmd.start()
    fixtures.wait_for(lambda: "test-create-account: ok" in desk.stderr(), 30, 0.2,
                      "the account created after the reconnect: " + desk.stderr())
    screenshot("05-reconnected")
    crmd.crm_login()
    r = crmd.crm("account", "list", "--format", "csv")
    assert r.rc == 0, r
    assert r.out.count("Desk Reconnect Co") == 1, r.out

    # a request in flight when the connection drops: crmd frozen (SIGSTOP)
    # so the request is written but not answered, then killed and started
    # again; CrmConn resends it with the same idempotency key: one account
    ok_before = desk.stderr().count("test-create-account: ok")
    crmd.send_signal(signal.SIGSTOP)
    desk.action("test-create-account", "Desk InFlight Co")
    time.sleep(1)
    crmd.send_signal(signal.SIGKILL)
    crmd.proc.wait(10)
    crmd.start()
    fixtures.wait_for(lambda: desk.stderr().count("test-create-account: ok") > ok_before, 30,
                      0.2, "the in-flight account after the reconnect: " + desk.stderr())
    r = crmd.crm("account", "list", "--format", "csv")
    assert r.rc == 0, r
    assert r.out.count("Desk InFlight Co") == 1, r.out

    # the session revoked: the next request gets UNAUTHENTICATED, the
    # password dialog opens over the open view, the request waits and
    # lands once after the login
    with open(session) as f:
        sid = [l.split("=", 1)[1].strip() for l in f if l.startswith("session_id")][0]
    r = crmd.crm("session", "revoke", sid)
    assert r.rc == 0, r
    ok_before = desk.stderr().count("test-create-account: ok")
    desk.action("test-create-account", "Desk Relogin Co")
    desk.wait_text("Your session has ended", timeout=20)
    screenshot("06-password-again")
    dialog = [w for w in desk.app if w is not None and w.name == "Log In Again"]
    assert dialog, [w.name for w in desk.app]
    desk.type_into("password text", "Password", crmd.env.admin_password, enter=True,
                   root=dialog[0])
    fixtures.wait_for(lambda: desk.stderr().count("test-create-account: ok") > ok_before, 30,
                      0.2, "the account created after logging in again: " + desk.stderr())
    desk.find("list item", "Accounts")  # the view is still there
    r = crmd.crm("account", "list", "--format", "csv")
    assert r.rc == 0, r
    assert r.out.count("Desk Relogin Co") == 1, r.out
    desk.quit()


def test_connect_failures_say_what_to_do(crmd_factory, env, desktop_env):
    """A CA that did not sign the server's certificate, a certificate for
    another name, no server at the address: each message says what to do,
    and the assistant stays usable for the next try."""
    other_ca = env.certs.other_ca()[0]
    other_dir = os.path.dirname(other_ca)
    cert, key = env.certs.issue("elsewhere", cn="crm.example", san="DNS:crm.example",
                                ca_dir=other_dir)
    plain = crmd_factory()                                 # signed by the fixtures' CA
    elsewhere = crmd_factory(tls_cert=cert, tls_key=key)  # other CA, another name
    xdg = desktop_env["xdg"]
    with open(os.path.join(xdg, "crm", "config"), "w") as f:
        f.write(f"server = localhost:{plain.port}\nca = {other_ca}\n")
    desk = desktop_env["desk"] = Desktop(xdg, plain)

    desk.wait_text("not signed by the CA file you chose", timeout=20)
    screenshot("07-wrong-ca")
    desk.type_into("text", "Server address", f"localhost:{elsewhere.port}", enter=True)
    desk.wait_text("certificate is for another name", timeout=20)
    screenshot("08-host-name")
    desk.type_into("text", "Server address", f"localhost:{fixtures.free_port()}", enter=True)
    desk.wait_text("server cannot be reached", timeout=20)
    screenshot("09-unreachable")
    desk.quit()
