#!/usr/bin/python3
"""Writes the seed corpus of fuzz_frame into corpus/frame/.

Each seed is a byte stream as a client sends it: 4-byte big-endian length
plus a ClientFrame, one or several. The messages come from proto/crm.proto
through protoc --python_out into a temporary directory, so the seeds follow
the protocol as it is. Run it after changing crm.proto:

    /usr/bin/python3 tests/fuzz/make_frame_seeds.py

Needs Debian's protobuf-compiler and python3-protobuf.
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "..", "..", "proto")
OUT = os.path.join(HERE, "corpus", "frame")


def load_crm_pb2(tmp):
    # crm.proto's field options import descriptor.proto, given as a
    # descriptor set (proto/gen_fields.py; see proto/README.md)
    gset = os.path.join(tmp, "google_descriptor.pb")
    subprocess.run([sys.executable, os.path.join(PROTO_DIR, "gen_fields.py"), "google-set", gset],
                   check=True)
    subprocess.run(["protoc", "--descriptor_set_in=" + gset, "--proto_path=" + PROTO_DIR,
                    "--python_out=" + tmp, os.path.join(PROTO_DIR, "crm.proto"),
                    os.path.join(PROTO_DIR, "options.proto")], check=True)
    sys.path.insert(0, tmp)
    import crm_pb2  # noqa: E402 (generated just above)
    return crm_pb2


def frame(msg_bytes):
    return struct.pack(">I", len(msg_bytes)) + msg_bytes


def seeds(pb):
    def cf(**kw):
        return pb.ClientFrame(**kw).SerializeToString()

    hello = cf(id=1, hello=pb.Hello(protocol=pb.Version(major=1, minor=0),
                                     client_name=b"crm/0.1.0"))
    ping = cf(id=2, ping=pb.Ping())
    deep = cf(id=3, ping=pb.Ping(deep=True, payload=b"payload \xe6\xbc\xa2\xe5\xad\x97"))
    def note(body):
        return pb.RecordCreate(record=pb.Record(note=pb.NoteRecord(body=body)))

    create = cf(id=4, idempotency_key=b"key-0001",
                record_create=note("a note \U0001F600\nline two".encode()))
    get = cf(id=5, record_get=pb.RecordGet(type=pb.RECORD_TYPE_NOTE, id=42))
    sleep = cf(id=6, sleep=pb.Sleep(ms=100))
    # Field 500, a request type from the future: UNIMPLEMENTED.
    unknown = cf(id=7) + bytes([0xA2, 0x1F, 0x00])
    return {
        "hello": frame(hello),
        "ping": frame(ping),
        "ping_deep": frame(deep),
        "record_create_keyed": frame(create),
        "record_get": frame(get),
        "sleep": frame(sleep),
        "unknown_request": frame(unknown),
        "empty_frame": frame(b""),
        "no_request": frame(cf(id=8)),
        "bad_utf8": frame(cf(id=9, record_create=note(b"\xed\xa0\x80"))),
        "key_on_ping": frame(cf(id=10, idempotency_key=b"k", ping=pb.Ping())),
        "session": frame(hello) + frame(ping) + frame(create) + frame(get) + frame(deep),
        "truncated": frame(hello)[:-3],
        "oversized_header": struct.pack(">I", 0x7FFFFFFF) + b"\x08\x01",
        # What crm_wire_prescan refuses before unpacking.
        "id_zero": frame(cf(id=0, ping=pb.Ping())),
        "filters_over_cap": frame(cf(id=11, record_list=pb.RecordList(
            filters=[pb.Filter() for _ in range(201)]))),
        "filters_nested": frame(cf(id=12, record_list=pb.RecordList(
            filters=[pb.Filter(values=[b"v"] * 20) for _ in range(20)]))),
        "id_repeated": frame(b"\x08\x01" * 201 + cf(ping=pb.Ping())),
        "group_wire_type": frame(b"\x08\x0d\x0b\x0c"),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pb = load_crm_pb2(tmp)
        for name, data in seeds(pb).items():
            with open(os.path.join(OUT, name), "wb") as f:
                f.write(data)
    print("wrote", len(os.listdir(OUT)), "seeds to", OUT)


if __name__ == "__main__":
    main()
