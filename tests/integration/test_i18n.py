"""crm in the user's language (docs/i18n.md): Simplified Chinese from the
environment (LANGUAGE, LANG) and from the user's profile locale, which
`crm login` keeps in the session file and which wins over the environment;
machine output (JSON, CSV, option and field names) stays as it is."""

import json
import os

from conftest import run_crm

ENGLISH = {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "C.UTF-8"}


def lang(**kw):
    e = dict(ENGLISH)
    e.update(kw)
    return e


def test_help_and_errors_from_the_environment(env):
    r = run_crm("--help", home=env.base, env=lang(LANGUAGE="zh_CN"))
    assert r.rc == 0, r
    assert "用法：crm [OPTIONS] COMMAND [ARGS]" in r.out, r.out
    assert "crmd（CRM 服务器）的命令行客户端" in r.out, r.out
    assert "检查服务器是否应答" in r.out, r.out  # a command's summary
    assert "--format FORMAT" in r.out  # option names stay
    # a usage error: message and the "try" line in Chinese, exit code the same
    r = run_crm("account", "list", "--limit", "0", home=env.base, env=lang(LANGUAGE="zh_CN"),
                server="127.0.0.1:1", ca="/dev/null")
    assert r.rc == 2, r
    assert "--limit 必须是 1 到 500 之间的数字，而不是 '0'" in r.err, r.err
    assert "试试 'crm account list --help'" in r.err, r.err
    # libcrmclient's errors too: a server that does not answer
    r = run_crm("ping", home=env.base, env=lang(LANGUAGE="zh_CN"), server="127.0.0.1:1",
                ca=env.certs.ca)
    assert r.rc != 0, r
    assert "无法连接到 127.0.0.1:1：连接被拒绝；crmd 是否在运行" in r.err, r.err
    assert "[UNAVAILABLE]" in r.err, r.err  # the status name stays
    # the same in English without a language
    r = run_crm("account", "list", "--limit", "0", home=env.base, env=ENGLISH,
                server="127.0.0.1:1", ca="/dev/null")
    assert r.rc == 2, r
    assert "--limit must be a number from 1 to 500, not '0'" in r.err, r.err


def test_language_from_lang_and_under_the_c_locale(env):
    # LANG=zh_CN.UTF-8 (deploy/deps generates the locale)
    r = run_crm("account", "add", "--help", home=env.base, env=lang(LANG="zh_CN.UTF-8"))
    assert r.rc == 0, r
    assert "客户名称（1-255 个字符）" in r.out, r.out  # generated field help
    assert "可重复；给出的标签替换记录原有的标签" in r.out, r.out  # a help macro
    # LANGUAGE alone, under the C locale, which gettext would ignore
    r = run_crm("frobnicate", home=env.base, env={**ENGLISH, "LANG": None, "LANGUAGE": "zh_CN"})
    assert r.rc == 2, r
    assert "未知命令 'frobnicate'" in r.err, r.err


def _user_home(crmd, name):
    home = os.path.join(crmd.dir, "home-" + name)
    os.makedirs(home, exist_ok=True)
    return home


def _crm_as(crmd, home, *args, env=None, input=None):
    return run_crm(*args, env=env or ENGLISH, input=input, home=home,
                   server=f"127.0.0.1:{crmd.port}", ca=crmd.ca)


def test_profile_locale_wins(crmd):
    crmd.crm_login()
    r = crmd.crm("user", "add", "li", "--role", "sales", "--locale", "zh-CN",
                 "--password-stdin", input="li-password-123\n", env=ENGLISH)
    assert r.rc == 0, r
    home = _user_home(crmd, "li")
    r = _crm_as(crmd, home, "login", "li", "--password-stdin", input="li-password-123\n")
    assert r.rc == 0, r
    with open(os.path.join(home, "xdg", "crm", "session")) as f:
        assert "locale = zh-CN\n" in f.read()

    # no language in the environment: the profile's
    r = _crm_as(crmd, home, "account", "list", "--limit", "0")
    assert r.rc == 2, r
    assert "必须是 1 到 500 之间的数字" in r.err, r.err
    r = _crm_as(crmd, home, "--help")
    assert "用法：crm" in r.out, r.out
    # a server error's hint and the CLI's own text, in Chinese
    r = _crm_as(crmd, home, "account", "show", "999999")
    assert r.rc != 0, r
    assert r.err.startswith("crm：错误："), r.err
    assert "显示你能看到的" in r.err, r.err  # the hint: 'crm account list' shows ...
    # the server's errors from their message ids and arguments, in Chinese
    assert "没有这个 account" in r.err and "[NOT_FOUND]" in r.err, r.err
    r = _crm_as(crmd, home, "user", "edit", "li", "--time-zone", "Asia/Shanghai")
    assert r.rc != 0, r
    assert "权限不足：角色 sales 不能 update users" in r.err, r.err
    # the profile wins over an English environment
    r = _crm_as(crmd, home, "account", "list", "--limit", "0", env=lang(LANGUAGE="en"))
    assert "必须是 1 到 500 之间的数字" in r.err, r.err
    # table headings in Chinese; CSV's header row keeps the names
    r = _crm_as(crmd, home, "account", "list")
    assert r.rc == 0, r
    assert "名称" in r.out and "负责人" in r.out and "更新时间" in r.out, r.out
    r = _crm_as(crmd, home, "--format", "csv", "account", "list")
    assert r.rc == 0, r
    assert r.out.splitlines()[0].startswith("id,name,"), r.out
    # machine output stays: JSON keys and values are not translated
    r = _crm_as(crmd, home, "--format", "json", "whoami")
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert doc["username"] == "li" and doc["locale"] == "zh-CN", doc

    # the admin's profile is en-US: English even with LANGUAGE=zh_CN
    r = crmd.crm("account", "list", "--limit", "0", env=lang(LANGUAGE="zh_CN"))
    assert "--limit must be a number from 1 to 500" in r.err, r.err

    # the profile changes: `crm whoami` brings the new locale into the session
    r = crmd.crm("user", "edit", "li", "--locale", "en-US", env=ENGLISH)
    assert r.rc == 0, r
    r = _crm_as(crmd, home, "whoami")
    assert r.rc == 0, r
    r = _crm_as(crmd, home, "account", "list", "--limit", "0")
    assert "--limit must be a number from 1 to 500" in r.err, r.err


def test_fixed_phrases_in_server_error_arguments_are_translated(crmd):
    """The SQL passes a few English phrases as arguments ("e-mail address",
    "none"): crm_err_text translates them in the user's language; values
    stay as they were given."""
    crmd.crm_login()
    r = crmd.crm("contact", "add", "--given-name", "Wu", "--family-name", "Lei", "--format",
                 "json", env=ENGLISH)
    assert r.rc == 0, r
    cid = str(json.loads(r.out)["id"])
    r = crmd.crm("contact", "edit", cid, "--remove-email", "nobody@example.com", env=ENGLISH)
    assert r.rc != 0, r
    assert 'has no e-mail address "nobody@example.com" (it has: none)' in r.err, r.err
    r = crmd.crm("user", "edit", "admin", "--locale", "zh-CN", env=ENGLISH)
    assert r.rc == 0, r
    try:
        assert crmd.crm("whoami", env=ENGLISH).rc == 0  # the session file takes zh-CN
        r = crmd.crm("contact", "edit", cid, "--remove-email", "nobody@example.com",
                     env=ENGLISH)
        assert r.rc != 0, r
        assert '没有电子邮件地址 "nobody@example.com"（它有：无）' in r.err, r.err
    finally:
        assert crmd.crm("user", "edit", "admin", "--locale", "en-US", env=ENGLISH).rc == 0
        assert crmd.crm("whoami", env=ENGLISH).rc == 0
