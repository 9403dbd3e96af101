"""crm-desktop driven for the tests in this folder: the real binary under
Xvfb (run the tests inside xvfb-run and dbus-run-session, as ctest does),
found on the accessibility bus (pyatspi), keys and clicks through dogtail's
XTest input. Screenshots go to $CRM_ARTIFACTS_DIR (default: the build
tree's tests/desktop/artifacts) and are checked not to be blank."""

import os
import re
import subprocess
import time

from shared_fixtures import fixtures

DESKTOP = os.path.join(fixtures.BUILD_DIR, "client", "desktop", "crm-desktop")
SUPPRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
ARTIFACTS = os.environ.get("CRM_ARTIFACTS_DIR") or os.path.join(
    fixtures.BUILD_DIR, "tests", "desktop", "artifacts")


def nodes(root, depth=0, last_first=False):
    """root and everything below it in the accessibility tree, depth first;
    last_first: each node's children from the last (a long list's last
    rows before its first: every node is a few D-Bus calls, and a list
    view keeps some 200 rows in the tree)."""
    if depth > 60:
        return
    yield root
    try:
        n = root.childCount
    except Exception:
        # gone meanwhile: a list view recycles its rows as pages arrive
        return
    for i in (range(n - 1, -1, -1) if last_first else range(n)):
        try:
            child = root.getChildAtIndex(i)
        except Exception:
            continue
        if child is not None:
            yield from nodes(child, depth + 1, last_first)


def has_text(root, part, last_first=False):
    """Whether a name or a label's text below root contains part."""
    for n in nodes(root, last_first=last_first):
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


def screenshot(name):
    """Takes the whole screen as ARTIFACTS/name.png; fails if it is (nearly)
    one flat colour. (One ImageMagick run captures, writes and counts the
    colours: half the time of import and identify.)"""
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f"{name}.png")
    time.sleep(0.5)  # let the last frame be drawn
    colours = subprocess.run(["convert", "x:root", "-write", path, "-format", "%k", "info:"],
                             check=True, capture_output=True, text=True, timeout=20).stdout
    assert os.path.getsize(path) > 0, path
    assert int(colours) > 16, f"{path} looks blank ({colours} colours)"
    return path


def screenshot_window(name, title):
    """Takes the top-level window titled title (a dialog: without a window
    manager it may be stacked under the main window, out of a screenshot
    of the screen) as ARTIFACTS/name.png; fails if it is (nearly) blank."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f"{name}.png")
    time.sleep(0.5)  # let the last frame be drawn
    info = subprocess.run(["xwininfo", "-name", title], check=True, capture_output=True,
                          text=True, timeout=20).stdout
    wid = re.search(r"Window id: (0x[0-9a-f]+)", info).group(1)
    subprocess.run(["import", "-window", wid, path], check=True, capture_output=True,
                   timeout=20)
    colours = subprocess.run(["identify", "-format", "%k", path], check=True,
                             capture_output=True, text=True, timeout=20).stdout
    assert int(colours) > 16, f"{path} looks blank ({colours} colours)"
    return path


class Desktop:
    """A running crm-desktop with its settings in xdg (XDG_CONFIG_HOME and
    HOME); hooks: the test actions of client/desktop/crm_test_hooks.c."""

    def __init__(self, xdg, hooks=False, language="en", renderer="cairo", **extra_env):
        """language: LANGUAGE for the catalogs ("zh_CN"), with LC_ALL=C.UTF-8;
        None: no language settings at all but LANG=C.UTF-8 (the profile's
        locale then decides); renderer: GSK_RENDERER, None for GTK's
        default; extra_env: more of the environment (TZ, LANGUAGE).

        The tests render with cairo and without GL (GDK_DEBUG=gl-disable:
        GDK loads the GL driver at start whatever the renderer): GTK's
        default renderer under Xvfb is GL
        on Mesa's software rasterizer (llvmpipe), which costs the CPU the
        tests share and, under LeakSanitizer, reports a leak of its own at
        exit (swrast_dri.so, Debian 12's Mesa) that is neither GTK's nor
        ours. The benchmark (tests/bench/desk_bench.py) measures both."""
        import pyatspi
        from dogtail import rawinput
        self.pyatspi, self.raw = pyatspi, rawinput
        self.stderr_path = os.path.join(xdg, "desktop.stderr")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CRM_", "LC_", "LANG"))}
        env.update(XDG_CONFIG_HOME=xdg, HOME=xdg, GTK_A11Y="atspi", LANG="C.UTF-8",
                   # in an ASan build: fontconfig's own caches only (lsan.supp)
                   LSAN_OPTIONS=f"suppressions={SUPPRESSIONS}:print_suppressions=0")
        if language is not None:
            env.update(LANGUAGE=language, LC_ALL="C.UTF-8")
        env.pop("GSK_RENDERER", None)
        if renderer is not None:
            # and no GL at all: GDK opens it at start whatever the renderer
            env.update(GSK_RENDERER=renderer, GDK_DEBUG="gl-disable")
        env.update(extra_env)
        if hooks:
            env["CRM_DESKTOP_TEST_HOOKS"] = "1"
        self.err = open(self.stderr_path, "w")
        self.proc = subprocess.Popen([DESKTOP], env=env, stdout=self.err, stderr=self.err)
        self.app = fixtures.wait_for(self._app, 20, 0.2, "crm-desktop on the a11y bus")

    def _app(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"crm-desktop exited {self.proc.returncode}: {self.stderr()}")
        # this process's: the registry may still list the one started
        # before it for a moment
        for app in self.pyatspi.Registry.getDesktop(0):
            try:
                if (app is not None and app.name == "crm-desktop" and app.childCount > 0
                        and app.get_process_id() == self.proc.pid):
                    return app
            except Exception:
                pass
        return None

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def find(self, role, name, timeout=20, exact=False, under=None):
        """The first node of role whose name is name (exact) or contains it."""
        def look():
            for n in nodes(under or self.app):
                try:
                    # (GTK 4.8 reports no "showing" state: the first match)
                    if n.getRoleName() == role and (
                            n.name == name if exact else name in (n.name or "")):
                        return n
                except Exception:
                    pass
            return None
        return fixtures.wait_for(look, timeout, 0.2, f"{role} '{name}'")

    def wait_text(self, part, timeout=20, under=None, last_first=False):
        return fixtures.wait_for(lambda: has_text(under or self.app, part, last_first), timeout,
                                 0.2, f"text '{part}'")

    def wait_no_text(self, part, timeout=20):
        return fixtures.wait_for(lambda: not has_text(self.app, part), timeout, 0.2,
                                 f"no text '{part}'")

    def click(self, node, double=False):
        """A click in the middle of node (which also puts the pointer over
        its window: without a window manager, X gives the keys to the
        window under the pointer). GTK reports positions relative to the
        window, and every window here sits at the screen's top left."""
        # GTK 4.8's AT-SPI sometimes answers late while a long list is
        # rebuilt: ask again rather than fail on the bus's timeout
        for attempt in range(3):
            try:
                x, y, w, h = node.queryComponent().getExtents(self.pyatspi.DESKTOP_COORDS)
                break
            except Exception:
                if attempt == 2:
                    raise
                time.sleep(1)
        (self.raw.doubleClick if double else self.raw.click)(x + w // 2, y + h // 2)
        time.sleep(0.3)

    def type_into(self, role, name, text, enter=False, under=None):
        """Replaces the text of a field (GTK 4.8's AT-SPI has no grab_focus:
        a click gives it the focus)."""
        self.click(self.find(role, name, under=under))
        self.raw.keyCombo("<Control>a")
        self.raw.typeText(text)
        if enter:
            self.raw.pressKey("Return")

    def action(self, name, arg=None):
        """Activates the application's action name over D-Bus."""
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

    def keep_failure(self, name):
        """What the screen had, for a failure's report: the tree as text and
        a screenshot (not checked) in ARTIFACTS."""
        os.makedirs(ARTIFACTS, exist_ok=True)
        with open(os.path.join(ARTIFACTS, f"{name}-tree.txt"), "w") as f:
            for n in nodes(self.app):
                try:
                    f.write(f"{n.getRoleName()} {n.name!r}\n")
                except Exception:
                    pass
        subprocess.run(["import", "-window", "root", os.path.join(ARTIFACTS, f"{name}.png")],
                       timeout=20)

    def close(self):
        rc = self.proc.poll()
        if rc is not None and rc != 0:
            # died during the test: its last words go in the failure's report
            print(f"----- crm-desktop exited {rc}; its stderr (tail) -----")
            print(self.stderr()[-8000:])
        if rc is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
