"""Error message ids (proto/README.md, "Error messages"): every error crmd
sends carries a stable message id and its arguments beside the English
text, so that a client can show it in its user's language.

The first half goes through a real crmd and PostgreSQL: representative
errors raised by the SQL (crm.raise) and by crmd's C code carry the id and
the arguments, the English text is what it was before ids existed, and it
is the id's template filled with the arguments.

The second half is a lint of the sources, no server needed: the ids of
proto/crm_messages.h (C) and sql/modules/15_messages.sql (SQL) are unique
and well formed, every crm.raise call site in sql/modules and every
crm_err_setid call site in the code that answers clients names a known id
with as many arguments as its template takes, no error a client may see is
raised without an id, and every template is a valid gettext c-format
string of positional arguments only."""

import glob
import importlib.util
import os
import re

import pytest

from conftest import (CONFLICT, INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED,
                      Conn)
from identity import make_world, ok, rq, status
from records import account, contact, update

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SQL_CATALOG = os.path.join(ROOT, "sql", "modules", "15_messages.sql")


def _gen():
    spec = importlib.util.spec_from_file_location(
        "gen_messages", os.path.join(ROOT, "proto", "gen_messages.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GEN = _gen()
C_IDS = GEN.read_c(os.path.join(ROOT, "proto", "crm_messages.h"))
SQL_IDS = GEN.read_sql(SQL_CATALOG)
CATALOG = dict(C_IDS + SQL_IDS)


def fill(template, args):
    """What crm_err_format and PostgreSQL's format() make of a template."""
    out = re.sub(r"%(\d)\$s", lambda m: args[int(m.group(1)) - 1], template)
    return out.replace("%%", "%")


def carries(resp, mid, args, message):
    """The status names `mid` with `args`, its English text is `message`,
    and that text is the id's template filled with the arguments."""
    st = resp.status
    got = (st.message_id, list(st.args), st.message)
    assert (st.message_id, list(st.args)) == (mid, list(args)), got
    assert st.message == message, got
    assert fill(CATALOG[mid], list(st.args)) == st.message, got
    return resp


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


# ------------------------------------------------------------ through crmd

def test_sql_validation_error_names_the_field_the_id_and_the_value(world):
    r = status(world.do("root", "record_create",
                        record={"contact": {"family_name": "Hopper",
                                            "emails": [{"address": "not-an-address"}]}}),
               INVALID_ARGUMENT, "record_create.record.contact.emails.address")
    carries(r, "value.not_mail_address", ["not-an-address"],
            '"not-an-address" is not an e-mail address')


def test_sql_not_found_and_c_not_found(world):
    r = status(update(world, "root", 999999, 1, "account", name="X"), NOT_FOUND,
               "record_update.id")
    carries(r, "record.not_found", ["account", "999999"], "no account 999999")
    # record_get's "no such" comes from crmd's C code, not the SQL
    r = status(world.do("root", "record_get", type="account", id=999999), NOT_FOUND,
               "record_get.id")
    carries(r, "request.no_such_record", ["account"], "no such account")


def test_permission_denied_by_the_role(world):
    r = status(world.do("vie", "record_create", record={"account": {"name": "Nope"}}),
               PERMISSION_DENIED)
    carries(r, "access.role_denied", ["viewer", "create", "accounts"],
            "permission denied: role viewer may not create accounts")


def test_version_conflict_carries_both_versions(world):
    a = account(world, name="Conflicted")
    ok(update(world, "root", a.id, a.version, "account", name="Once"))
    r = status(update(world, "root", a.id, a.version, "account", name="Twice"), CONFLICT,
               "record_update.version")
    carries(r, "record.version_conflict",
            ["account", str(a.id), str(a.version), str(a.version + 1)],
            f"account {a.id} changed since you read it (version {a.version}, now "
            f"{a.version + 1}): reload and retry")


def test_c_validator_error_carries_the_limit(world):
    r = status(world.do("root", "record_list", type="account", page={"limit": 501}),
               INVALID_ARGUMENT, "record_list.page.limit")
    carries(r, "wire.page_limit", ["500"], "must be between 1 and 500")


def test_c_connection_error_before_login(world):
    conn = world.connect()
    r = status(rq(conn, "record_get", type="account", id=1), UNAUTHENTICATED)
    carries(r, "conn.login_first", [], "log in first (crm login USERNAME)")
    conn.close()


def test_reraised_sql_error_keeps_its_id(world):
    """relation_add re-raises record_refuse's error under from_id: the id
    and arguments go along (sql/modules/70_relations.sql)."""
    a = account(world, "root", owner="sal", name="Theirs")
    c = contact(world, "sal2", family_name="Mine")
    r = world.do("sal2", "relation_add", from_id=a.id, to_id=c.id, role="partner")
    assert r.status.code in (PERMISSION_DENIED, NOT_FOUND, INVALID_ARGUMENT), r.status
    assert r.status.message_id in CATALOG, r.status
    assert fill(CATALOG[r.status.message_id], list(r.status.args)) == r.status.message


def test_database_catalog_is_the_module(world):
    rows = world.env.pg.sql("SELECT string_agg(id || E'\\t' || template, E'\\n' ORDER BY id) "
                            "FROM crm.messages()", db=world.db)
    got = dict(line.split("\t", 1) for line in rows.splitlines())
    assert got == dict(SQL_IDS)


# ------------------------------------------------------------ lint of the sources

ID_RE = re.compile(r"^[a-z]+\.[a-z0-9_]+$")
SQL_FILES = sorted(glob.glob(os.path.join(ROOT, "sql", "modules", "*.sql")))
# The C files whose errors can reach a client (start-up and admin
# commands, which print to a terminal, are not among them).
C_FILES = [os.path.join(ROOT, p) for p in (
    "proto/crm_wire.c", "server/conn.c", "server/worker.c", "server/db.c", "server/cursor.c",
    "server/auth.c", "server/jsonmsg.c")] + sorted(glob.glob(os.path.join(ROOT, "server", "handlers",
                                                                       "*.c")))
# Functions in those files that run only at start-up (their errors stop
# crmd with a message on its terminal, never reach a client).
STARTUP = {"crm_db_register", "crm_cursor_set_key", "crm_auth_init", "check_route",
           "crm_routes_build", "meta_check", "records_self_check", "shares_self_check"}


def test_ids_are_unique_and_well_formed():
    ids = [i for i, _ in C_IDS + SQL_IDS]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    assert not dup, f"ids listed twice: {dup}"
    bad = [i for i in ids if not ID_RE.match(i) or len(i) >= 64]
    assert not bad, f"ids not 'area.name' (under 64 bytes): {bad}"
    assert len(C_IDS) == open(os.path.join(ROOT, "proto", "crm_messages.h")).read().count('\tX("'), \
        "a row of CRM_MESSAGES_C the lint could not read"


def _placeholders(t):
    return [int(n) for n in re.findall(r"%(\d)\$s", t)]


def test_templates_are_positional_c_format():
    bad = []
    for mid, t in C_IDS + SQL_IDS:
        rest = re.sub(r"%\d\$s|%%", "", t)
        n = _placeholders(t)
        if "%" in rest or (n and sorted(set(n)) != list(range(1, max(n) + 1))) or max(n or [0]) > 8:
            bad.append(f"{mid}: {t!r}")
    assert not bad, "templates with other than %1$s .. %8$s (all used) or %%:\n  " + "\n  ".join(bad)


def _calls(text, name):
    """(line, [top-level argument texts]) of every call of `name(`."""
    out = []
    for m in re.finditer(re.escape(name) + r"\(", text):
        depth, i, cur, args, q = 1, m.end(), "", [], None
        while depth:
            ch = text[i]
            if q:
                if ch == q and not (q == '"' and text[i - 1] == "\\"):
                    q = None
                cur += ch
            elif ch in "'\"":
                q = ch
                cur += ch
            elif ch == "(":
                depth += 1
                cur += ch
            elif ch == ")":
                depth -= 1
                if depth:
                    cur += ch
            elif ch == "," and depth == 1:
                args.append(cur.strip())
                cur = ""
            else:
                cur += ch
            i += 1
        args.append(cur.strip())
        out.append((text.count("\n", 0, m.start()) + 1, args))
    return out


def _arity(mid):
    n = _placeholders(CATALOG[mid])
    return max(n or [0])


def test_every_sql_raise_names_a_known_id_with_its_arguments():
    bad = []
    for path in SQL_FILES:
        if path == SQL_CATALOG:  # defines crm.raise, raises nothing
            continue
        text = open(path, encoding="utf-8").read()
        name = os.path.basename(path)
        for line, args in _calls(text, "crm.raise"):
            m = re.fullmatch(r"'([^']*)'", args[2]) if len(args) > 2 else None
            if m is None:
                bad.append(f"{name}:{line}: the id is not a literal: {args}")
            elif m.group(1) not in dict(SQL_IDS):
                bad.append(f"{name}:{line}: unknown id {m.group(1)}")
            elif len(args) - 3 != _arity(m.group(1)):
                bad.append(f"{name}:{line}: {m.group(1)} takes {_arity(m.group(1))} arguments, "
                           f"given {len(args) - 3}")
    assert not bad, "\n".join(bad)


def test_no_user_facing_sql_error_without_an_id():
    """crm.fail (text only) is kept for old migrations; modules use
    crm.raise. A RAISE with one of our CR codes would have no id either."""
    bad = []
    for path in SQL_FILES:
        name = os.path.basename(path)
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            if re.search(r"crm\.fail\(", line) and "FUNCTION" not in line \
                    and not re.match(r"\s*crm\.fail\(text", line):
                bad.append(f"{name}:{n}: {line.strip()}")
            if re.search(r"ERRCODE\s*=\s*'CR", line):
                bad.append(f"{name}:{n}: {line.strip()}")
    assert not bad, "errors without a message id (use crm.raise):\n" + "\n".join(bad)


def _function_of(text, pos):
    """The name of the C function whose body holds pos."""
    heads = list(re.finditer(r"^(?:static )?[\w \*]+?\b(\w+)\([^;{]*\)\s*\{", text[:pos], re.M | re.S))
    return heads[-1].group(1) if heads else ""


def test_every_c_error_sent_to_clients_has_a_known_id():
    bad = []
    for path in C_FILES:
        text = open(path, encoding="utf-8").read()
        name = os.path.relpath(path, ROOT)
        for line, args in _calls(text, "crm_err_setid"):
            m = re.fullmatch(r'"([^"]*)"', args[3]) if len(args) > 3 else None
            ids = re.findall(r'"([a-z]+\.[a-z0-9_]+)"', args[3]) if len(args) > 3 else []
            if m is None and not ids:
                if args[3] in ("nf_id",):  # crm_hctx_row's callers pass literal ids
                    continue
                bad.append(f"{name}:{line}: the id is not a literal: {args[3]}")
                continue
            for mid in ids:
                if mid not in dict(C_IDS):
                    bad.append(f"{name}:{line}: unknown id {mid}")
                elif args[-1] != "NULL" or len(args) - 5 != _arity(mid):
                    bad.append(f"{name}:{line}: {mid} takes {_arity(mid)} arguments then NULL: "
                               f"{args[4:]}")
        for m in re.finditer(r"\bcrm_err_set\(", text):
            fn = _function_of(text, m.start())
            # result_error keeps the SQL's own text, and sql_message_id
            # attaches the id that came with it in DETAIL
            sql_text = fn == "result_error" and "sql_message_id(r, err)" in text[m.start():m.start() + 250]
            if fn not in STARTUP and not sql_text:
                bad.append(f"{name}:{text.count(chr(10), 0, m.start()) + 1}: crm_err_set in {fn}")
    for path in glob.glob(os.path.join(ROOT, "server", "handlers", "*.c")):
        text = open(path, encoding="utf-8").read()
        for line, args in _calls(text, "crm_hctx_one") + _calls(text, "crm_hctx_row"):
            mid = args[-2].strip('"')
            if mid.endswith("nf_id"):  # the definitions
                continue
            if mid not in dict(C_IDS):
                bad.append(f"{os.path.relpath(path, ROOT)}:{line}: not-found id {args[-2]} unknown")
            elif _arity(mid):
                bad.append(f"{os.path.relpath(path, ROOT)}:{line}: not-found id {mid} takes arguments")
    assert not bad, "\n".join(bad)


def _po(path):
    """{msgid: msgstr} of a .po file (single-line entries, as written here)."""
    out, mid = {}, None
    unq = lambda s: s[1:-1].encode().decode("unicode_escape").encode("latin-1").decode()
    for line in open(path, encoding="utf-8"):
        if line.startswith("msgid "):
            mid = unq(line[6:].strip())
        elif line.startswith("msgstr ") and mid:
            out[mid] = unq(line[7:].strip())
    return out


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_template_is_translated(lang):
    """po/errors/LANG.po has every template, nothing else, each
    translation with the template's placeholders (what msgfmt --check
    demands of a c-format string); English is the template itself."""
    po = _po(os.path.join(ROOT, "po", "errors", f"{lang}.po"))
    want = {t for _, t in C_IDS + SQL_IDS}
    assert sorted(want - set(po)) == [], "templates without a translation"
    assert sorted(set(po) - want) == [], "translations of no template"
    bad = [t for t in want if not po[t]
           or sorted(set(_placeholders(po[t]))) != sorted(set(_placeholders(t)))]
    assert not bad, bad
    if lang == "en":
        assert all(po[t] == t for t in want)
