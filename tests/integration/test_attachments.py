"""Attachments (issue 13; sql/0030_attachments.sql,
sql/modules/86_attachments.sql, server/handlers/attachments.c,
client/crm/cmd_attach.c, docs/data.md "Attachments"), against real
PostgreSQL and real crmd over TLS: a multi-megabyte file of random bytes
through `crm attach put` and `get` with its checksum compared; the size
limit at begin and again in the chunks; a staged upload invisible to
everyone (and to SQL) until committed, and one abandoned that expires and
the scheduler deletes; access by a user who cannot see the record (list,
get, delete, put all NOT_FOUND, as for a record that does not exist) and
by one who gains and loses it through a share; the second layer (as
crm_app with another user's session, chunks of a record that user cannot
see are not readable by SQL); a chunk out of order, of the wrong length
or with a wrong checksum, a commit of an incomplete upload or of chunks
that do not hash to the declared SHA-256, bad names and content types,
each refused naming the field with nothing written; `--output DIR/` with
a hostile name from the server; audit rows with name, size and SHA-256
and never the bytes."""

import concurrent.futures
import hashlib
import json
import os
import subprocess
import time

import pytest

from conftest import (FAILED_PRECONDITION, INVALID_ARGUMENT, NOT_FOUND, OK, PERMISSION_DENIED,
                      exit_code, run_crm, wait_for)
from identity import app_sql, audit_rows, make_world, ok, rq, session_sql, status, su_sql
from records import account

MiB = 1024 * 1024


@pytest.fixture
def world(env, crmd_factory):
    return make_world(env, crmd_factory)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def begin(w, who, rid, data, type_="account", name="file.bin", ct="application/octet-stream",
          size=None, digest=None):
    return w.do(who, "attach_begin", type=type_, id=rid, name=name, content_type=ct,
                size=len(data) if size is None else size, sha256=digest or sha(data))


def chunk(w, who, aid, i, part, digest=None):
    return w.do(who, "attach_chunk", attachment_id=aid, index=i, data=part,
                sha256=digest or sha(part))


def upload(w, who, rid, data, commit=True, **kw):
    """Uploads data to account rid as `who`; returns the attachment id (and
    the begin reply)."""
    b = ok(begin(w, who, rid, data, **kw), "attach_begin").attach_begin
    cs = b.chunk_size
    assert 0 < cs and b.chunks == (len(data) + cs - 1) // cs, b
    for i in range(b.chunks):
        ok(chunk(w, who, b.attachment_id, i, data[i * cs:(i + 1) * cs]), f"chunk {i}")
    if commit:
        a = ok(w.do(who, "attach_commit", attachment_id=b.attachment_id), "commit").attachment
        assert (a.id, a.size, a.sha256) == (b.attachment_id, len(data), sha(data)), a
    return b.attachment_id


def download(w, who, aid):
    first = w.do(who, "attach_read", attachment_id=aid, index=0)
    if first.status.code != OK:
        return first
    a = first.attach_read.attachment
    parts = [first.attach_read.data]
    for i in range(1, a.chunks):
        parts.append(ok(w.do(who, "attach_read", attachment_id=aid, index=i)).attach_read.data)
    return b"".join(parts)


def listed(w, who, rid, type_="account"):
    r = w.do(who, "attach_list", type=type_, id=rid)
    return r if r.status.code != OK else [a.id for a in r.attach_list.attachments]


def rows(w, where="true"):
    return int(su_sql(w.env, w.db, f"SELECT count(*) FROM crm.attachments WHERE {where}"))


def chunk_rows(w, aid):
    return int(su_sql(w.env, w.db, f"SELECT count(*) FROM crm.attachment_chunks WHERE attachment_id = {aid}"))


# ------------------------------------------------------------ the protocol

def test_round_trip_over_the_protocol(world):
    w = world
    acme = account(w)
    data = os.urandom(MiB + 12345)
    aid = upload(w, "root", acme.id, data, name="report.pdf", ct="Application/PDF")
    assert download(w, "root", aid) == data
    a = w.do("root", "attach_list", type="account", id=acme.id).attach_list.attachments
    assert [(x.id, x.name, x.content_type, x.size, x.sha256, x.created_by) for x in a] == \
        [(aid, "report.pdf", "application/pdf", len(data), sha(data), "root")], a
    assert a[0].chunks == 5 and a[0].chunk_size == 256 * 1024, a
    # chunks are stored out of line and uncompressed (STORAGE EXTERNAL)
    assert su_sql(w.env, w.db, "SELECT attstorage FROM pg_attribute WHERE attrelid ="
                               " 'crm.attachment_chunks'::regclass AND attname = 'data'") == "e"
    # an empty file: no chunk, and chunk 0 reads empty
    empty = upload(w, "root", acme.id, b"", name="empty.txt", ct="text/plain")
    assert download(w, "root", empty) == b""
    assert listed(w, "root", acme.id) == [empty, aid]
    status(w.do("root", "attach_read", attachment_id=aid, index=5), INVALID_ARGUMENT, "attach_read.index")
    # an index past SQL's integer is refused by name, not as a database error
    r = status(w.do("root", "attach_read", attachment_id=aid, index=2**31), INVALID_ARGUMENT, "attach_read.index")
    assert r.status.message_id == "wire.range", r.status
    r = status(chunk(w, "root", aid, 2**31, b"x"), INVALID_ARGUMENT, "attach_chunk.index")
    assert r.status.message_id == "wire.range", r.status
    # delete
    ok(w.do("root", "attach_delete", attachment_id=aid))
    assert listed(w, "root", acme.id) == [empty] and chunk_rows(w, aid) == 0
    status(w.do("root", "attach_read", attachment_id=aid, index=0), NOT_FOUND, "attach_read.attachment_id")
    status(w.do("root", "attach_delete", attachment_id=aid), NOT_FOUND, "attach_delete.attachment_id")


def test_list_pages_newest_first(world):
    """AttachList pages with a keyset cursor (newest first): every
    attachment once, more than the old cap of 1000 reachable; a cursor
    belongs to its record; a bad limit names the field; the CLI takes
    --limit and --cursor and prints the next page's command line."""
    import shlex
    w = world
    acme = account(w)
    other = account(w, name="Other")
    ids = [upload(w, "root", acme.id, bytes([i])) for i in range(5)]
    seen, cursors = [], []
    while True:
        pg = {"limit": 2, "cursor": cursors[-1]} if cursors else {"limit": 2}
        r = ok(w.do("root", "attach_list", type="account", id=acme.id, page=pg)).attach_list
        seen += [a.id for a in r.attachments]
        if not r.next_cursor:
            break
        cursors.append(r.next_cursor)
    assert seen == ids[::-1] and len(cursors) == 2, (seen, cursors)
    # a cursor of acme's list is refused for another record's
    status(w.do("root", "attach_list", type="account", id=other.id, page={"cursor": cursors[0]}),
           INVALID_ARGUMENT, "attach_list.page.cursor")
    status(w.do("root", "attach_list", type="account", id=acme.id, page={"limit": 501}),
           INVALID_ARGUMENT, "attach_list.page.limit")
    # the CLI: --limit, the next page's line, run again as printed
    r = cli(w, "root", "attach", "list", f"account/{acme.id}", "--limit", "3", "--format", "json")
    assert r.rc == 0 and [a["id"] for a in json.loads(r.out)] == ids[:1:-1], r
    (line,) = [x for x in r.err.splitlines() if x.startswith("next page: ")]
    words = shlex.split(line[len("next page: "):])
    assert words[:3] == ["crm", "attach", "list"] and "--cursor" in words, words
    r = cli(w, "root", *words[1:])
    assert r.rc == 0 and [a["id"] for a in json.loads(r.out)] == ids[1::-1], r
    assert "next page" not in r.err, r
    r = cli(w, "root", "attach", "list", f"account/{acme.id}", "--limit", "0")
    assert r.rc == 2 and "--limit" in r.err, r
    # the default page is 50; more than 1000 are all reachable (rows made
    # as the superuser: the list reads them as any committed attachment)
    su_sql(w.env, w.db, f"INSERT INTO crm.attachments (record_id, record_type, name, content_type, size, sha256,"
                        f" chunk_size, chunks, created_by, committed_at)"
                        f" SELECT {acme.id}, 'account', 'bulk-' || g, 'text/plain', 0, sha256(''), 256, 0,"
                        f" {w.uid['root']}, now() FROM generate_series(1, 1100) g")
    r = ok(w.do("root", "attach_list", type="account", id=acme.id)).attach_list
    assert len(r.attachments) == 50 and r.next_cursor, len(r.attachments)
    got, cursor = [], None
    while True:
        pg = {"limit": 500, "cursor": cursor} if cursor else {"limit": 500}
        r = ok(w.do("root", "attach_list", type="account", id=acme.id, page=pg)).attach_list
        got += [a.id for a in r.attachments]
        if not r.next_cursor:
            break
        cursor = r.next_cursor
    assert len(got) == 1105 == len(set(got)) and got == sorted(got, reverse=True) and got[-5:] == ids[::-1]
    # the page is read through attachments_record_idx
    plan = su_sql(w.env, w.db, f"SET enable_seqscan = off; EXPLAIN SELECT * FROM crm.attachment_out o"
                               f" WHERE o.record_id = {acme.id} AND o.id < {got[600]} ORDER BY o.id DESC LIMIT 51")
    assert "attachments_record_idx" in plan, plan


def test_size_limit_at_begin_and_in_the_chunks(env, crmd_factory):
    w = make_world(env, crmd_factory, attachment_max_size="1MiB")
    acme = account(w)
    r = status(begin(w, "root", acme.id, b"", size=MiB + 1, digest="0" * 64), INVALID_ARGUMENT,
               "attach_begin.size")
    assert "1048577" in r.status.message and "1048576" in r.status.message, r.status
    assert r.status.message_id == "attach.too_large", r.status
    status(begin(w, "root", acme.id, b"", size=-1, digest="0" * 64), INVALID_ARGUMENT, "attach_begin.size")
    assert rows(w) == 0
    # exactly the limit passes
    data = os.urandom(MiB)
    upload(w, "root", acme.id, data)
    # the limit lowered while an upload is staged: its chunks are refused
    big = os.urandom(600 * 1024)
    b = ok(begin(w, "root", acme.id, big)).attach_begin
    ok(chunk(w, "root", b.attachment_id, 0, big[:b.chunk_size]))
    w.crmd.stop()
    w2 = make_world_again(w, crmd_factory, attachment_max_size="300KiB")
    r = status(chunk(w2, "root", b.attachment_id, 1, big[b.chunk_size:2 * b.chunk_size]), INVALID_ARGUMENT,
               "attach_chunk.data")
    assert r.status.message_id == "attach.too_large", r.status
    assert chunk_rows(w, b.attachment_id) == 1


def make_world_again(w, crmd_factory, **config):
    """A new crmd on the same database (config changed), with w's users."""
    from identity import SMALL
    cfg = dict(SMALL)
    cfg.update(config)
    c = crmd_factory(**cfg)
    w.crmd = c
    for user in list(w._conns):
        w.forget(user)
    return w


def test_chunks_in_order_of_the_right_length_and_checksum(world):
    w = world
    acme = account(w)
    data = os.urandom(600 * 1024)
    b = ok(begin(w, "root", acme.id, data)).attach_begin
    aid, cs = b.attachment_id, b.chunk_size
    parts = [data[i * cs:(i + 1) * cs] for i in range(b.chunks)]
    assert b.chunks == 3
    r = status(chunk(w, "root", aid, 1, parts[1]), INVALID_ARGUMENT, "attach_chunk.index")
    assert r.status.message_id == "attach.chunk_order" and "expected is 0" in r.status.message, r.status
    r = status(chunk(w, "root", aid, 0, parts[0], digest=sha(b"other")), INVALID_ARGUMENT, "attach_chunk.sha256")
    assert sha(parts[0]) in r.status.message, r.status
    status(chunk(w, "root", aid, 0, parts[0], digest="xyz" * 21 + "a"), INVALID_ARGUMENT, "attach_chunk.sha256")
    status(chunk(w, "root", aid, 0, parts[0][:-1]), INVALID_ARGUMENT, "attach_chunk.data")
    assert chunk_rows(w, aid) == 0
    ok(chunk(w, "root", aid, 0, parts[0]))
    # the same chunk again (a retry) changes nothing; other data there is out of order
    assert ok(chunk(w, "root", aid, 0, parts[0])).attach_chunk.received == 1
    status(chunk(w, "root", aid, 0, parts[1]), INVALID_ARGUMENT, "attach_chunk.index")
    status(chunk(w, "root", aid, 3, parts[2]), INVALID_ARGUMENT, "attach_chunk.index")
    # commit of an incomplete upload
    r = status(w.do("root", "attach_commit", attachment_id=aid), FAILED_PRECONDITION, "attach_commit.attachment_id")
    assert r.status.message_id == "attach.incomplete" and "1 of 3 chunks" in r.status.message, r.status
    ok(chunk(w, "root", aid, 1, parts[1]))
    ok(chunk(w, "root", aid, 2, parts[2]))
    assert chunk_rows(w, aid) == 3 and listed(w, "root", acme.id) == []
    ok(w.do("root", "attach_commit", attachment_id=aid))
    assert listed(w, "root", acme.id) == [aid]
    # a committed upload takes no more chunks nor commits
    status(chunk(w, "root", aid, 2, parts[2]), NOT_FOUND, "attach_chunk.attachment_id")
    status(w.do("root", "attach_commit", attachment_id=aid), NOT_FOUND, "attach_commit.attachment_id")


def test_whole_file_checksum_checked_at_commit(world):
    w = world
    acme = account(w)
    data = os.urandom(300 * 1024)
    b = ok(begin(w, "root", acme.id, data, digest=sha(b"not this file"))).attach_begin
    cs = b.chunk_size
    for i in range(b.chunks):
        ok(chunk(w, "root", b.attachment_id, i, data[i * cs:(i + 1) * cs]))
    r = status(w.do("root", "attach_commit", attachment_id=b.attachment_id), FAILED_PRECONDITION,
               "attach_commit.attachment_id")
    assert r.status.message_id == "attach.file_checksum" and sha(data) in r.status.message, r.status
    assert listed(w, "root", acme.id) == []
    ok(w.do("root", "attach_abort", attachment_id=b.attachment_id))
    assert rows(w) == 0 and chunk_rows(w, b.attachment_id) == 0


def _hold(w, *lines):
    """A superuser psql session in an open transaction that ran `lines`
    (it answers 'held' once they are done); COMMIT by writing to stdin."""
    pg = w.env.pg
    p = subprocess.Popen([os.path.join(pg.bindir, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                          "-h", pg.sockdir, "-p", str(pg.port), "-U", "postgres", "-d", w.db],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdin.write("BEGIN;\n" + "".join(l + "\n" for l in lines) + "\\echo held\n")
    p.stdin.flush()
    while (line := p.stdout.readline().strip()) != "held":
        assert line or p.poll() is None, p.stderr.read()
    return p


def test_commit_hashes_the_chunks_before_taking_any_lock(world):
    """crmd hashes the staged chunks before the short locked step: with the
    chunks' table locked by someone else and the upload's row too, the
    commit waits reading the chunks, holding no lock on the upload or the
    record yet (it used to lock them first and hash the whole file in SQL
    under those locks). The whole file's SHA-256 is still checked: a chunk
    altered in storage after it arrived fails the commit."""
    w = world
    acme = account(w)
    data = os.urandom(700 * 1024)
    aid = upload(w, "root", acme.id, data, commit=False)
    hold = _hold(w, f"SELECT 1 FROM crm.attachments WHERE id = {aid} FOR UPDATE;",
                 "LOCK TABLE crm.attachment_chunks IN ACCESS EXCLUSIVE MODE;")
    try:
        c = w.c("root")
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            fut = ex.submit(rq, c, "attach_commit", attachment_id=aid)
            q = "SELECT pid, query FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND backend_type = 'client backend'"
            waiting = wait_for(lambda: su_sql(w.env, w.db, q), timeout=20, what="the commit waiting")
            query = waiting.split("|", 1)[1]
            assert "attachment_chunks" in query and "attach_commit" not in query, query
            # the record is not locked meanwhile: another transaction takes its row at once
            free = su_sql(w.env, w.db, f"SELECT id FROM crm.records WHERE id = {acme.id} FOR UPDATE NOWAIT")
            assert free == str(acme.id), free
            hold.stdin.write("COMMIT;\n")
            hold.stdin.close()
            a = ok(fut.result(timeout=20), "commit").attachment
    finally:
        hold.wait(timeout=20)
    assert (a.id, a.sha256) == (aid, sha(data))
    # a chunk altered after it arrived (same length) fails the commit
    other = upload(w, "root", acme.id, data, commit=False)
    su_sql(w.env, w.db, f"UPDATE crm.attachment_chunks SET data = set_byte(data, 0, (get_byte(data, 0) + 1) % 256)"
                        f" WHERE attachment_id = {other} AND idx = 1")
    r = status(w.do("root", "attach_commit", attachment_id=other), FAILED_PRECONDITION, "attach_commit.attachment_id")
    assert r.status.message_id == "attach.file_checksum" and f"not {sha(data)}" in r.status.message, r.status


def test_bad_names_and_content_types(world):
    w = world
    acme = account(w)

    def refused(field, msg_id=None, **kw):
        r = status(begin(w, "root", acme.id, b"x", **kw), INVALID_ARGUMENT, f"attach_begin.{field}")
        if msg_id:
            assert r.status.message_id == msg_id, r.status
        return r

    refused("name", name="")
    refused("name", name="   ")
    r = refused("name", name="x" * 256)
    assert "255" in r.status.message, r.status
    refused("name", name="a\tb")
    r = refused("content_type", "attach.content_type_format", ct="pdf")
    assert "type/subtype" in r.status.message and "application/pdf" in r.status.message, r.status
    refused("content_type", ct="text/plain; charset")
    refused("content_type", ct="text/ plain")
    refused("sha256", digest="g" * 64)
    refused("sha256", digest="ab")
    assert rows(w) == 0
    # accepted: parameters, and any case
    aid = upload(w, "root", acme.id, b"hello", name="  hello.txt ", ct="Text/Plain; charset=UTF-8")
    a = w.do("root", "attach_list", type="account", id=acme.id).attach_list.attachments[0]
    assert (a.id, a.name, a.content_type) == (aid, "hello.txt", "text/plain; charset=UTF-8"), a


def test_chunks_across_two_crmd(world, crmd_factory):
    """crmd keeps nothing of an upload: begin on one instance, chunks
    alternating between two, commit on the second, read on the first."""
    w = world
    from identity import SMALL
    other = crmd_factory(**SMALL)
    acme = account(w)
    data = os.urandom(700 * 1024)
    a, b = w.c("root"), w.login_new("root", other)
    from identity import rq
    beg = ok(rq(a, "attach_begin", type="account", id=acme.id, name="x.bin", content_type="application/octet-stream",
                size=len(data), sha256=sha(data))).attach_begin
    cs = beg.chunk_size
    for i in range(beg.chunks):
        part = data[i * cs:(i + 1) * cs]
        ok(rq(a if i % 2 else b, "attach_chunk", attachment_id=beg.attachment_id, index=i, data=part,
              sha256=sha(part)), f"chunk {i}")
    ok(rq(b, "attach_commit", attachment_id=beg.attachment_id))
    assert download(w, "root", beg.attachment_id) == data


# ------------------------------------------------------------ staging, expiry

def test_staged_upload_invisible_until_committed(world):
    w = world
    acme = account(w, owner="sal")
    ok(w.do("root", "record_share", type="account", id=acme.id, user="sal2", access="ACCESS_EDIT"))
    data = os.urandom(300 * 1024)
    b = ok(begin(w, "sal", acme.id, data)).attach_begin
    aid = b.attachment_id
    ok(chunk(w, "sal", aid, 0, data[:256 * 1024]))
    for who in ("sal", "sal2", "root"):
        assert listed(w, who, acme.id) == [], who
        status(w.do(who, "attach_read", attachment_id=aid, index=0), NOT_FOUND)
    # another user, even one who may edit the record, cannot touch it
    status(chunk(w, "sal2", aid, 1, data[256 * 1024:]), NOT_FOUND, "attach_chunk.attachment_id")
    status(w.do("sal2", "attach_commit", attachment_id=aid), NOT_FOUND)
    status(w.do("sal2", "attach_abort", attachment_id=aid), NOT_FOUND)
    # nor read it by SQL as crm_app (the uploader's own session sees its staged row)
    q = f"SELECT count(*) FROM crm.attachment_chunks WHERE attachment_id = {aid};" \
        f" SELECT count(*) FROM crm.attachments WHERE id = {aid};"
    assert app_sql(w.env, w.db, session_sql(w, "sal2", q)).stdout.split() == ["0", "0"]
    assert app_sql(w.env, w.db, session_sql(w, "sal", q)).stdout.split() == ["1", "1"]
    ok(chunk(w, "sal", aid, 1, data[256 * 1024:]))
    ok(w.do("sal", "attach_commit", attachment_id=aid))
    for who in ("sal", "sal2", "root"):
        assert listed(w, who, acme.id) == [aid], who
    assert app_sql(w.env, w.db, session_sql(w, "sal2", q)).stdout.split() == ["2", "1"]


def test_abandoned_upload_expires(env, crmd_factory):
    w = make_world(env, crmd_factory, attachment_upload_expiry="2s")
    acme = account(w)
    data = os.urandom(300 * 1024)
    b = ok(begin(w, "root", acme.id, data)).attach_begin
    assert b.expires_at > 0
    ok(chunk(w, "root", b.attachment_id, 0, data[:b.chunk_size]))
    assert listed(w, "root", acme.id) == []
    time.sleep(2.5)
    r = status(chunk(w, "root", b.attachment_id, 1, data[b.chunk_size:]), FAILED_PRECONDITION,
               "attach_chunk.attachment_id")
    assert r.status.message_id == "attach.upload_expired", r.status
    status(w.do("root", "attach_commit", attachment_id=b.attachment_id), FAILED_PRECONDITION)
    assert rows(w) == 1 and chunk_rows(w, b.attachment_id) == 1
    # the scheduler's job deletes it (made due now instead of within a minute)
    su_sql(w.env, w.db, "UPDATE crm.jobs SET due_at = now() WHERE kind = 'attachment_expiry' AND done_at IS NULL")
    wait_for(lambda: rows(w) == 0, 15, what="the expired upload deleted")
    assert chunk_rows(w, b.attachment_id) == 0
    status(chunk(w, "root", b.attachment_id, 1, data[b.chunk_size:]), NOT_FOUND)
    # the job scheduled its next run; a committed attachment never expires
    assert su_sql(w.env, w.db, "SELECT count(*) FROM crm.jobs WHERE kind = 'attachment_expiry'"
                               " AND done_at IS NULL AND due_at > now()") == "1"
    aid = upload(w, "root", acme.id, b"kept")
    time.sleep(2.5)
    done = "SELECT count(*) FROM crm.jobs WHERE kind = 'attachment_expiry' AND done_at IS NOT NULL"
    runs = int(su_sql(w.env, w.db, done))
    su_sql(w.env, w.db, "UPDATE crm.jobs SET due_at = now() WHERE kind = 'attachment_expiry' AND done_at IS NULL")
    wait_for(lambda: int(su_sql(w.env, w.db, done)) == runs + 1, 15, what="the job ran again")
    assert listed(w, "root", acme.id) == [aid]


# ------------------------------------------------------------ access

def test_two_deletes_at_once_one_succeeds_the_other_is_not_found(world):
    """Two deletes of one attachment at once (the superuser holds its row
    so that both reach the DELETE before either commits): one succeeds,
    the other answers NOT_FOUND instead of a second success; a delete
    after the delete is NOT_FOUND too."""
    w = world
    acme = account(w, owner="sal")
    aid = upload(w, "sal", acme.id, b"once")
    pg = w.env.pg
    hold = subprocess.Popen([os.path.join(pg.bindir, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                             "-h", pg.sockdir, "-p", str(pg.port), "-U", "postgres", "-d", w.db],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        hold.stdin.write(f"BEGIN;\nSELECT 1 FROM crm.attachments WHERE id = {aid} FOR UPDATE;\n\\echo held\n")
        hold.stdin.flush()
        assert hold.stdout.readline().strip() == "1" and hold.stdout.readline().strip() == "held"
        conns = {u: w.c(u) for u in ("sal", "root")}
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            futs = [ex.submit(rq, conns[u], "attach_delete", attachment_id=aid) for u in conns]
            wait_for(lambda: su_sql(w.env, w.db, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type"
                                                 " = 'Lock' AND query LIKE '%attach_delete%'") == "2",
                     timeout=20)
            hold.stdin.write("COMMIT;\n")
            hold.stdin.close()
            got = sorted(f.result(timeout=20).status.code for f in futs)
    finally:
        hold.wait(timeout=20)
    assert got == sorted([OK, NOT_FOUND]), got
    assert rows(w) == 0 and chunk_rows(w, aid) == 0
    r = status(w.do("sal", "attach_delete", attachment_id=aid), NOT_FOUND, "attach_delete.attachment_id")
    assert r.status.message == f"no attachment {aid}", r.status


def test_record_the_user_cannot_see_is_not_found(world):
    """sal2 cannot see sal's account: put, list, get and delete answer
    exactly as for an account that does not exist."""
    w = world
    acme = account(w, owner="sal")
    aid = upload(w, "sal", acme.id, b"secret")
    missing = acme.id + 100000
    for rid in (acme.id, missing):
        r = status(begin(w, "sal2", rid, b"x"), NOT_FOUND, "attach_begin.id")
        assert r.status.message == f"no account {rid}", r.status
        r = status(w.do("sal2", "attach_list", type="account", id=rid), NOT_FOUND, "attach_list.id")
        assert r.status.message == f"no account {rid}", r.status
    for a in (aid, aid + 100000):
        r = status(w.do("sal2", "attach_read", attachment_id=a, index=0), NOT_FOUND, "attach_read.attachment_id")
        assert r.status.message == f"no attachment {a}", r.status
        r = status(w.do("sal2", "attach_delete", attachment_id=a), NOT_FOUND, "attach_delete.attachment_id")
        assert r.status.message == f"no attachment {a}", r.status
    assert listed(w, "sal", acme.id) == [aid]
    assert rows(w) == 1


def test_access_follows_a_share(world):
    w = world
    acme = account(w, owner="sal")
    aid = upload(w, "sal", acme.id, b"contract")
    status(w.do("sal2", "attach_read", attachment_id=aid, index=0), NOT_FOUND)
    # a read share: sal2 lists and reads, but may not add or delete
    ok(w.do("sal", "record_share", type="account", id=acme.id, user="sal2", access="ACCESS_READ"))
    assert listed(w, "sal2", acme.id) == [aid]
    assert download(w, "sal2", aid) == b"contract"
    status(begin(w, "sal2", acme.id, b"x"), PERMISSION_DENIED)
    status(w.do("sal2", "attach_delete", attachment_id=aid), PERMISSION_DENIED)
    # an edit share: sal2 adds and deletes
    ok(w.do("sal", "record_share", type="account", id=acme.id, user="sal2", access="ACCESS_EDIT"))
    mine = upload(w, "sal2", acme.id, b"addendum")
    ok(w.do("sal2", "attach_delete", attachment_id=mine))
    # revoked: not found again, as if it did not exist
    ok(w.do("sal", "record_share", type="account", id=acme.id, user="sal2", revoke=True))
    status(w.do("sal2", "attach_read", attachment_id=aid, index=0), NOT_FOUND)
    status(w.do("sal2", "attach_list", type="account", id=acme.id), NOT_FOUND)
    q = f"SELECT count(*) FROM crm.attachment_chunks WHERE attachment_id = {aid};"
    assert app_sql(w.env, w.db, session_sql(w, "sal2", q)).stdout.split() == ["0"]


def test_second_layer_chunks_not_readable_by_sql(world):
    """As crm_app with sal2's session, no SQL reaches the chunks or the
    attachments of sal's record: not the tables, not the view, not the
    functions; without a session nothing at all. Writing them directly
    is refused too."""
    w = world
    acme = account(w, owner="sal")
    aid = upload(w, "sal", acme.id, os.urandom(300 * 1024))
    reads = (f"SELECT count(*) FROM crm.attachment_chunks;"
             f" SELECT count(*) FROM crm.attachment_chunks WHERE attachment_id = {aid};"
             f" SELECT count(*) FROM crm.attachments;"
             f" SELECT count(*) FROM crm.attachment_out;")
    assert app_sql(w.env, w.db, session_sql(w, "sal2", reads)).stdout.split() == ["0"] * 4
    assert app_sql(w.env, w.db, session_sql(w, "", reads)).stdout.split() == ["0"] * 4
    assert app_sql(w.env, w.db, session_sql(w, None, reads)).stdout.split() == ["0"] * 4
    assert app_sql(w.env, w.db, session_sql(w, "sal", reads)).stdout.split() == ["2", "2", "1", "1"]
    r = app_sql(w.env, w.db, session_sql(w, "sal2", f"SELECT length(data) FROM crm.attach_read({aid}, 0);"),
                check=False)
    assert r.returncode != 0 and "no attachment" in r.stderr, r
    # inserting a chunk into someone else's upload, or committing by UPDATE
    b = ok(begin(w, "sal", acme.id, b"abc")).attach_begin
    r = app_sql(w.env, w.db, session_sql(w, "sal2", f"INSERT INTO crm.attachment_chunks VALUES"
                                                    f" ({b.attachment_id}, 0, sha256('abc'), 'abc');"), check=False)
    assert r.returncode != 0 and "permission denied" in r.stderr, r
    r = app_sql(w.env, w.db, session_sql(w, "sal2", f"UPDATE crm.attachments SET committed_at = now(),"
                                                    f" expires_at = NULL WHERE id = {b.attachment_id};"), check=False)
    assert r.returncode != 0 and "permission denied" in r.stderr, r
    assert chunk_rows(w, b.attachment_id) == 0


def _as_sal(w, sql):
    """`sql` as crm_app acting for sal (the uploader): must fail; returns stderr."""
    r = app_sql(w.env, w.db, session_sql(w, "sal", sql), check=False)
    assert r.returncode != 0, f"crm_app could run: {sql}\n{r.stdout}"
    return r.stderr


def test_second_layer_writes_only_through_the_definer_functions(world):
    """crm_app acting for the uploader herself cannot stage, fill, commit or
    delete an upload but through crm.attach_*: no INSERT with the counters
    already set, no chunk row of its own, no UPDATE of committed_at, no
    DELETE; and the functions bound what crm_app passes them (the size
    limit by the ceiling in crm_meta.settings, which it cannot change) and
    test the record themselves."""
    w = world
    acme = account(w, owner="sal")
    aid = upload(w, "sal", acme.id, b"kept")
    b = ok(begin(w, "sal", acme.id, b"abc")).attach_begin
    sid = b.attachment_id
    # a committed-looking upload of 3 bytes whose one chunk is not those bytes
    err = _as_sal(w, "INSERT INTO crm.attachments (record_id, record_type, name, content_type, size, sha256,"
                     f" chunk_size, chunks, received, received_bytes, created_by, expires_at) VALUES ({acme.id},"
                     " 'account', 'x.bin', 'application/octet-stream', 3, sha256('abc'), 256, 1, 1, 3,"
                     " crm.acting_user(), now() + interval '1 hour');")
    assert "permission denied for table attachments" in err, err
    err = _as_sal(w, f"INSERT INTO crm.attachment_chunks VALUES ({sid}, 0, sha256('xyz'), 'xyz');")
    assert "permission denied for table attachment_chunks" in err, err
    err = _as_sal(w, f"UPDATE crm.attachments SET received = 1, received_bytes = 3 WHERE id = {sid};")
    assert "permission denied for table attachments" in err, err
    err = _as_sal(w, f"UPDATE crm.attachments SET committed_at = now(), expires_at = NULL WHERE id = {sid};")
    assert "permission denied for table attachments" in err, err
    err = _as_sal(w, f"UPDATE crm.attachments SET expires_at = now() + interval '7 days' WHERE id = {sid};")
    assert "permission denied for table attachments" in err, err
    err = _as_sal(w, f"DELETE FROM crm.attachments WHERE id = {aid};")
    assert "permission denied for table attachments" in err, err
    err = _as_sal(w, f"DELETE FROM crm.attachment_chunks WHERE attachment_id = {aid};")
    assert "permission denied for table attachment_chunks" in err, err
    err = _as_sal(w, "UPDATE crm_meta.settings SET value = '1099511627776'"
                     " WHERE name = 'attachment_max_size_ceiling';")
    assert "permission denied" in err, err
    # commit with the declared SHA-256 of an upload with no chunk
    err = _as_sal(w, f"SELECT * FROM crm.attach_commit({sid}, '{sha(b'abc')}');")
    assert "is incomplete" in err, err
    # a limit above the ceiling is the ceiling; a chunk size of 1 byte is 256
    big = 300 * MiB
    err = _as_sal(w, f"SELECT * FROM crm.attach_begin('account', {acme.id}, 'big.bin', 'application/octet-stream',"
                     f" {big}, '{'0' * 64}', 1099511627776, 262144, '1 hour');")
    assert f"the file has {big} bytes: an attachment may have at most 268435456 bytes" in err, err
    r = app_sql(w.env, w.db, session_sql(w, "sal", f"SELECT chunks FROM crm.attach_begin('account', {acme.id},"
                                                   f" 'k.bin', 'text/plain', 1024, '{'0' * 64}', 4096, 1,"
                                                   f" '100 years');"))
    assert r.stdout.split() == ["4"], r
    assert su_sql(w.env, w.db, "SELECT chunk_size, expires_at < now() + interval '7 days 1 minute'"
                               " FROM crm.attachments WHERE name = 'k.bin'") == "256|t"
    # the functions test the record: sal2 cannot see sal's, vie can see but not edit
    for who, msg in (("sal2", f"no account {acme.id}"), ("vie", "your role may")):
        r = app_sql(w.env, w.db, session_sql(w, who, f"SELECT * FROM crm.attach_begin('account', {acme.id}, 'a.txt',"
                                                     f" 'text/plain', 1, '{sha(b'a')}', 100, 256, '1 hour');"),
                    check=False)
        assert r.returncode != 0 and msg in r.stderr, (who, r)
        r = app_sql(w.env, w.db, session_sql(w, who, f"SELECT crm.attach_delete({aid});"), check=False)
        assert r.returncode != 0 and (f"no attachment {aid}" if who == "sal2" else msg) in r.stderr, (who, r)
    # without a session, nothing
    r = app_sql(w.env, w.db, session_sql(w, None, f"SELECT crm.attach_delete({aid});"), check=False)
    assert r.returncode != 0 and f"no attachment {aid}" in r.stderr, r
    assert rows(w, "committed_at IS NOT NULL") == 1 and chunk_rows(w, aid) == 1 and chunk_rows(w, sid) == 0
    assert listed(w, "sal", acme.id) == [aid]


# ------------------------------------------------------------ audit

def test_audit_names_size_and_checksum_never_the_bytes(world):
    w = world
    acme = account(w)
    data = os.urandom(300 * 1024)
    marker = data[1000:1032].hex()
    aid = upload(w, "root", acme.id, data, name="plan.bin")
    ok(w.do("root", "attach_delete", attachment_id=aid))
    audit = [r for r in audit_rows(w.env, w.db, f"record_type = 'account' AND record_id = {acme.id}")
             if "attachment" in json.dumps(r["old_values"] or {}) + json.dumps(r["new_values"] or {})]
    assert len(audit) == 2, audit
    added, removed = audit
    want = {"id": aid, "name": "plan.bin", "size": len(data), "sha256": sha(data),
            "content_type": "application/octet-stream"}
    assert added["action"] == "update" and added["new_values"] == {"attachment": want}, added
    assert added["old_values"] is None and added["username"] == "root", added
    assert removed["old_values"] == {"attachment": want} and removed["new_values"] is None, removed
    # nothing in the trail holds the bytes (hex or base64 of any of them)
    trail = su_sql(w.env, w.db, "SELECT string_agg(coalesce(old_values::text, '') || coalesce(new_values::text, ''), '')"
                                " FROM crm.audit")
    assert marker not in trail and len(trail) < 100000
    # staged uploads are not audited
    upload(w, "root", acme.id, b"staged", commit=False)
    assert len(audit_rows(w.env, w.db, f"record_id = {acme.id} AND new_values ? 'attachment'")) == 1


# ------------------------------------------------------------ the CLI

def cli(w, user, *args, input=None):
    """Runs crm as `user` (one config directory per user, logged in once)."""
    home = os.path.join(w.crmd.dir, "cli-" + user)
    first = not os.path.exists(home)
    os.makedirs(home, exist_ok=True)
    run = lambda *a, **kw: run_crm(*a, server=f"127.0.0.1:{w.crmd.port}", ca=w.crmd.ca, home=home, **kw)
    if first:
        r = run("login", user, "--password-stdin", input=w.pw[user] + "\n")
        assert r.rc == 0, r
    return run(*args, input=input, timeout=120)


def test_cli_round_trip_of_a_multi_megabyte_file(world, tmp_path):
    w = world
    acme = account(w)
    data = os.urandom(5 * MiB + 777)
    src = tmp_path / "q3 report.pdf"
    src.write_bytes(data)
    # options after the command as before it
    r = cli(w, "root", "attach", "put", f"account/{acme.id}", str(src), "--format", "json")
    assert r.rc == 0, r
    a = json.loads(r.out)
    assert (a["name"], a["content_type"], a["size"], a["sha256"], a["type"], a["record_id"]) == \
        ("q3 report.pdf", "application/pdf", len(data), sha(data), "account", acme.id), a
    assert a["chunks"] == 21 and a["created_by"] == "root", a
    out = tmp_path / "copy.bin"
    r = cli(w, "root", "attach", "get", str(a["id"]), "--output", str(out))
    assert r.rc == 0 and r.out == "", r
    assert sha(out.read_bytes()) == sha(data)
    # a name and content type given; a type guessed from the name
    txt = tmp_path / "notes"
    txt.write_bytes(b"plain words\n")
    r = cli(w, "root", "--format", "json", "attach", "put", "--name", "Notes.TXT", f"account/{acme.id}", str(txt))
    assert r.rc == 0 and json.loads(r.out)["content_type"] == "text/plain", r
    r = cli(w, "root", "--format", "json", "attach", "put", "--content-type", "text/x-memo", f"account/{acme.id}",
            str(txt))
    assert r.rc == 0 and json.loads(r.out)["content_type"] == "text/x-memo", r
    memo = json.loads(r.out)["id"]
    # list: a table for people, JSON and CSV exact
    r = cli(w, "root", "attach", "list", f"account/{acme.id}")
    assert r.rc == 0 and "q3 report.pdf" in r.out and "Notes.TXT" in r.out and sha(data) not in r.out, r
    r = cli(w, "root", "attach", "list", f"account/{acme.id}", "--format", "json")
    listed_ = json.loads(r.out)
    assert [x["name"] for x in listed_] == ["notes", "Notes.TXT", "q3 report.pdf"], listed_
    assert listed_[2]["sha256"] == sha(data) and listed_[2]["size"] == len(data), listed_
    r = cli(w, "root", "--format", "csv", "attach", "list", f"account/{acme.id}")
    lines = r.out.splitlines()
    assert lines[0].startswith("id,type,record_id,name,content_type,size,sha256"), lines
    assert len(lines) == 4 and sha(data) in lines[3], lines
    r = cli(w, "root", "attach", "delete", str(memo))
    assert r.rc == 0 and f"deleted attachment {memo}" in r.out, r
    r = cli(w, "root", "attach", "get", str(memo), "--output", str(tmp_path / "gone"))
    assert r.rc == exit_code(NOT_FOUND) and not (tmp_path / "gone").exists(), r
    r = cli(w, "root", "attach", "get", str(a["id"]))
    assert r.rc == 2 and "--output" in r.err, r


def test_cli_stdout_and_errors(world, tmp_path):
    w = world
    acme = account(w, owner="sal")
    data = bytes(range(256)) * 2000
    aid = upload(w, "sal", acme.id, data)
    out = tmp_path / "via-stdout"
    import subprocess
    from conftest import CRM
    home = os.path.join(w.crmd.dir, "cli-sal")
    cli(w, "sal", "whoami")
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "xdg"),
               CRM_SERVER=f"127.0.0.1:{w.crmd.port}", CRM_CA=w.crmd.ca)
    with open(out, "wb") as f:
        p = subprocess.run([CRM, "attach", "get", str(aid), "--output", "-"], stdout=f,
                           stderr=subprocess.PIPE, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert out.read_bytes() == data
    # a user who cannot see the record: not found, nothing written
    target = tmp_path / "nope"
    r = cli(w, "sal2", "attach", "get", str(aid), "--output", str(target))
    assert r.rc == exit_code(NOT_FOUND) and f"no attachment {aid}" in r.err and not target.exists(), r
    r = cli(w, "sal2", "attach", "list", f"account/{acme.id}")
    assert r.rc == exit_code(NOT_FOUND) and f"no account {acme.id}" in r.err, r
    r = cli(w, "sal2", "attach", "delete", str(aid))
    assert r.rc == exit_code(NOT_FOUND), r
    src = tmp_path / "x.bin"
    src.write_bytes(b"x")
    r = cli(w, "sal2", "attach", "put", f"account/{acme.id}", str(src))
    assert r.rc == exit_code(NOT_FOUND) and f"no account {acme.id}" in r.err, r
    # a bad content type names the field and says what is accepted
    r = cli(w, "sal", "attach", "put", "--content-type", "pdf", f"account/{acme.id}", str(src))
    assert r.rc == exit_code(INVALID_ARGUMENT) and "content_type" in r.err and "type/subtype" in r.err, r
    r = cli(w, "sal", "attach", "put", f"account/{acme.id}", str(tmp_path / "missing"))
    assert r.rc == 1 and "missing" in r.err, r
    assert listed(w, "sal", acme.id) == [aid]


def test_cli_output_dir_sanitises_a_hostile_name(world, tmp_path):
    """A name from the server is only a file name inside DIR: '/' and
    '..' cannot leave it, control characters (a terminal escape, set in
    the database as a compromised server would) and a leading dot are
    replaced, an over-long name is cut, an existing file is not replaced."""
    w = world
    acme = account(w)
    outdir = tmp_path / "out"
    outdir.mkdir()
    (tmp_path / "escape.txt").write_bytes(b"must stay")
    names = {
        "../escape.txt": "_._escape.txt",
        "..": "_.",
        ".bashrc": "_bashrc",
        "a/b\\c.txt": "a_b_c.txt",
    }
    for name, want in names.items():
        aid = upload(w, "root", acme.id, name.encode(), name=name)
        r = cli(w, "root", "attach", "get", str(aid), "--output", str(outdir) + "/")
        assert r.rc == 0, (name, r)
        assert (outdir / want).read_bytes() == name.encode(), (name, sorted(os.listdir(outdir)))
    assert (tmp_path / "escape.txt").read_bytes() == b"must stay"
    # control characters, C1 included, as the server might send them
    aid = upload(w, "root", acme.id, b"esc", name="plain")
    su_sql(w.env, w.db, f"UPDATE crm.attachments SET name = E'\\x1b[31mred\\n\\u0085x' WHERE id = {aid}")
    r = cli(w, "root", "attach", "get", str(aid), "--output", str(outdir))
    assert r.rc == 0, r
    assert (outdir / "_[31mred__x").read_bytes() == b"esc", sorted(os.listdir(outdir))
    # bidirectional controls: RLO would show "invoice\u202efdp.exe" as "invoiceexe.pdf"
    aid = upload(w, "root", acme.id, b"bidi", name="plain")
    su_sql(w.env, w.db, f"UPDATE crm.attachments SET name = E'invoice\\u202efdp.exe\\u2066\\u200f' WHERE id = {aid}")
    r = cli(w, "root", "attach", "get", str(aid), "--output", str(outdir))
    assert r.rc == 0, r
    assert (outdir / "invoice_fdp.exe__").read_bytes() == b"bidi", sorted(os.listdir(outdir))
    # an over-long name is cut at 200 bytes, on a character's boundary
    long_name = "é" * 150
    aid = upload(w, "root", acme.id, b"long", name=long_name)
    assert cli(w, "root", "attach", "get", str(aid), "--output", str(outdir) + "/").rc == 0
    assert ("é" * 100) in os.listdir(outdir), sorted(os.listdir(outdir))
    # a name already there is not replaced; nothing else is written
    aid = upload(w, "root", acme.id, b"second", name="plain.txt")
    (outdir / "plain.txt").write_bytes(b"mine")
    r = cli(w, "root", "attach", "get", str(aid), "--output", str(outdir) + "/")
    assert r.rc == 1 and "exists" in r.err, r
    assert (outdir / "plain.txt").read_bytes() == b"mine"
    assert sorted(os.listdir(outdir)) == sorted(list(names.values()) + ["_[31mred__x", "invoice_fdp.exe__",
                                                                        "é" * 100, "plain.txt"])
    assert sorted(os.listdir(tmp_path)) == ["escape.txt", "out"]


def test_cli_refuses_more_bytes_than_declared(world, tmp_path):
    """A server whose chunks hold more than the size it declared (set in
    the database, as a compromised server would) is refused on the byte
    count, before the hash is checked; nothing is written."""
    w = world
    acme = account(w)
    data = os.urandom(600 * 1024)
    aid = upload(w, "root", acme.id, data, name="grown.bin")
    su_sql(w.env, w.db, f"UPDATE crm.attachments SET size = size - 100, received_bytes = received_bytes - 100"
                        f" WHERE id = {aid}")
    outdir = tmp_path / "out"
    outdir.mkdir()
    r = cli(w, "root", "attach", "get", str(aid), "--output", str(outdir) + "/")
    assert r.rc == 1 and f"more than the {len(data) - 100} bytes it declared" in r.err, r
    assert os.listdir(outdir) == []


@pytest.mark.parametrize("named", [False, True], ids=["o_tmpfile", "named_tmp"])
def test_cli_get_interrupted_leaves_nothing(world, tmp_path, named):
    """Ctrl-C (SIGINT) or SIGTERM during `crm attach get` leaves no file:
    the unnamed O_TMPFILE goes with the process, and the named temporary
    file of the fallback (forced by CRM_TEST_NAMED_TMP) is removed by the
    signal handler."""
    import signal
    from conftest import CRM
    w = world
    acme = account(w)
    aid = upload(w, "root", acme.id, os.urandom(16 * MiB), name="big.bin")
    cli(w, "root", "whoami")
    home = os.path.join(w.crmd.dir, "cli-root")
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "xdg"),
               CRM_SERVER=f"127.0.0.1:{w.crmd.port}", CRM_CA=w.crmd.ca)
    env.pop("CRM_TEST_NAMED_TMP", None)
    if named:
        env["CRM_TEST_NAMED_TMP"] = "1"
    def interrupted(outdir, sig):
        """One get, signalled as soon as it writes: None when it finished
        first (a fast download: try again), else its return code."""
        p = subprocess.Popen([CRM, "attach", "get", str(aid), "--output", str(outdir) + "/"], env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def writing():
            if named:
                return any(n.startswith("big.bin.") for n in os.listdir(outdir))
            try:
                fds = os.listdir(f"/proc/{p.pid}/fd")
            except OSError:
                return False
            for fd in fds:
                try:
                    if os.readlink(f"/proc/{p.pid}/fd/{fd}").startswith(str(outdir) + "/"):
                        return True
                except OSError:
                    pass
            return False

        deadline = time.monotonic() + 30
        while not writing() and p.poll() is None:
            assert time.monotonic() < deadline, "crm attach get never began writing"
        p.send_signal(sig)
        p.wait(timeout=30)
        err = p.stderr.read()
        if p.returncode == 0:
            assert os.listdir(outdir) == ["big.bin"], os.listdir(outdir)
            (outdir / "big.bin").unlink()
            return None
        assert p.returncode == -sig, (p.returncode, err)
        return p.returncode

    for sig in (signal.SIGINT, signal.SIGTERM):
        outdir = tmp_path / f"out-{sig}"
        outdir.mkdir()
        for _ in range(20):
            if interrupted(outdir, sig) is not None:
                break
        else:
            pytest.fail("every download finished before it could be interrupted")
        assert os.listdir(outdir) == [], os.listdir(outdir)


def test_purge_takes_the_attachments_and_redacts_their_names(world):
    w = world
    acme = account(w)
    aid = upload(w, "root", acme.id, os.urandom(300 * 1024), name="passport scan.pdf")
    staged = ok(begin(w, "root", acme.id, b"half")).attach_begin.attachment_id
    ok(w.do("root", "record_purge", type="account", id=acme.id))
    assert rows(w) == 0 and chunk_rows(w, aid) == 0 and chunk_rows(w, staged) == 0
    trail = su_sql(w.env, w.db, f"SELECT string_agg(coalesce(old_values::text, '') || coalesce(new_values::text, ''), ' ')"
                                f" FROM crm.audit WHERE record_id = {acme.id}")
    assert "passport" not in trail and '"attachment": "[redacted]"' in trail, trail


def test_cli_progress_on_a_terminal_only(world, tmp_path):
    """put and get show their progress on standard error when it is a
    terminal (a pty here), and not when it is a pipe."""
    import pty
    import subprocess
    from conftest import CRM
    w = world
    acme = account(w)
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(2 * MiB))
    cli(w, "root", "whoami")  # logs in
    home = os.path.join(w.crmd.dir, "cli-root")
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "xdg"),
               CRM_SERVER=f"127.0.0.1:{w.crmd.port}", CRM_CA=w.crmd.ca, LANGUAGE="en", LC_ALL="C.UTF-8")

    def on_pty(*args):
        master, slave = pty.openpty()
        p = subprocess.run([CRM, *args], stdout=subprocess.PIPE, stderr=slave, env=env, timeout=60)
        os.close(slave)
        err = b""
        while True:
            try:
                chunk_ = os.read(master, 65536)
            except OSError:
                break
            if not chunk_:
                break
            err += chunk_
        os.close(master)
        return p, err.decode()

    p, err = on_pty("--format", "json", "attach", "put", f"account/{acme.id}", str(src))
    assert p.returncode == 0, err
    assert "sent" in err and "2.0 / 2.0 MiB (100%)" in err, err
    aid = json.loads(p.stdout)["id"]
    p, err = on_pty("attach", "get", str(aid), "--output", str(tmp_path / "copy"))
    assert p.returncode == 0 and "received" in err and "(100%)" in err, err
    assert (tmp_path / "copy").read_bytes() == src.read_bytes()
    r = cli(w, "root", "attach", "get", str(aid), "--output", str(tmp_path / "copy2"))
    assert r.rc == 0 and r.err == "", r
