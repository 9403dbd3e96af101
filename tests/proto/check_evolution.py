#!/usr/bin/env python3
"""Checks that proto/crm.proto evolves compatibly from proto/snapshot/crm.proto.

Usage: check_evolution.py OLD.proto NEW.proto   (exit 0 = compatible)
       check_evolution.py --self-test           (proves the checker catches breaks)

Rules (proto/README.md): a field number of the old file must survive in the new
one with the same name, type and label, or be reserved; reserved numbers and
names stay unused; enum value numbers are never reused for another name nor
dropped without being reserved; every enum has 0 = *_UNSPECIFIED (the Code enum
of the status table included).
"""
import os
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2


PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")


def load(path):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "set.pb")
        # crm.proto imports options.proto (its field options), which imports
        # descriptor.proto: from proto/ and a descriptor set (gen_fields.py)
        gset = os.path.join(tmp, "google.pb")
        subprocess.run([sys.executable, os.path.join(PROTO_DIR, "gen_fields.py"), "google-set",
                        gset], check=True)
        subprocess.run(["protoc", "--descriptor_set_in", gset,
                        "--proto_path", os.path.dirname(os.path.abspath(path)),
                        "--proto_path", PROTO_DIR,
                        "--include_source_info", "--descriptor_set_out", out,
                        os.path.basename(path)], check=True)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as f:
            fds.ParseFromString(f.read())
        # only the file itself: options.proto and descriptor.proto are not
        # the protocol
        keep = [f for f in fds.file if f.name == os.path.basename(path)]
        del fds.file[:]
        fds.file.extend(keep)
    msgs, enums = {}, {}

    def walk(prefix, m):
        msgs[prefix + m.name] = m
        for e in m.enum_type:
            enums[prefix + m.name + "." + e.name] = e
        for n in m.nested_type:
            walk(prefix + m.name + ".", n)

    for fd in fds.file:
        for m in fd.message_type:
            walk("", m)
        for e in fd.enum_type:
            enums[e.name] = e
    return msgs, enums


def reserved(desc, number, name):
    for r in desc.reserved_range:
        if r.start <= number < r.end:
            return True
    return name in desc.reserved_name


def check(old_path, new_path):
    errors = []
    old_msgs, old_enums = load(old_path)
    new_msgs, new_enums = load(new_path)
    for name, new in new_enums.items():
        zero = [v for v in new.value if v.number == 0]
        if not zero or not zero[0].name.endswith("UNSPECIFIED"):
            errors.append(f"enum {name}: value 0 must be *_UNSPECIFIED")
    for name, old in old_msgs.items():
        new = new_msgs.get(name)
        if new is None:
            errors.append(f"message {name}: removed (keep it; mark its fields reserved)")
            continue
        by_number = {f.number: f for f in new.field}
        for f in old.field:
            nf = by_number.get(f.number)
            if nf is None:
                if not reserved(new, f.number, f.name):
                    errors.append(f"{name}.{f.name} = {f.number}: removed without `reserved {f.number};`")
                continue
            if (nf.type, nf.label, nf.type_name) != (f.type, f.label, f.type_name):
                errors.append(f"{name}.{f.name} = {f.number}: type or label changed")
            if nf.name != f.name:
                errors.append(f"{name}.{f.name} = {f.number}: renamed to {nf.name}")
        for nf in new.field:
            if reserved(new, nf.number, nf.name) or reserved(old, nf.number, nf.name):
                errors.append(f"{name}.{nf.name} = {nf.number}: uses a reserved number or name")
    for name, old in old_enums.items():
        new = new_enums.get(name)
        if new is None:
            errors.append(f"enum {name}: removed")
            continue
        by_number = {v.number: v for v in new.value}
        for v in old.value:
            nv = by_number.get(v.number)
            if nv is None and not reserved(new, v.number, v.name):
                errors.append(f"enum {name}.{v.name} = {v.number}: removed without reserved")
            elif nv is not None and nv.name != v.name:
                errors.append(f"enum {name}.{v.name} = {v.number}: number reused for {nv.name}")
    return errors


MUTATIONS = [
    # (description, old text, new text): each must be reported
    ("field removed", "optional bytes client_name = 2;", ""),
    ("field retyped", "optional bytes client_name = 2;", "optional string client_name = 2;"),
    ("field renumbered", "optional bytes client_name = 2;", "optional bytes client_name = 7;"),
    ("enum value reused", "INTERNAL = 13;", "BROKEN = 13;"),
    ("enum without unspecified", "CODE_UNSPECIFIED = 0;", "CODE_ZERO = 0;"),
    ("reserved reused", "optional bytes client_name = 2;", "reserved 2; optional bytes name = 2;"),
]


def self_test(base):
    text = open(base).read()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for what, old, new in MUTATIONS:
            assert old in text, f"self-test anchor missing: {old}"
            path = os.path.join(tmp, "crm.proto")
            with open(path, "w") as f:
                f.write(text.replace(old, new, 1))
            try:
                errs = check(base, path)
            except subprocess.CalledProcessError:
                errs = ["protoc refused it"]
            print(f"{'caught' if errs else 'MISSED'}: {what}")
            failures += not errs
        # Allowed: adding a field and a message.
        path = os.path.join(tmp, "crm.proto")
        with open(path, "w") as f:
            f.write(text.replace("optional bytes client_name = 2;",
                                 "optional bytes client_name = 2; optional bool extra = 9;", 1)
                    + "\nmessage Added { optional int64 x = 1; }\n")
        errs = check(base, path)
        print(f"{'ok' if not errs else 'WRONGLY REFUSED'}: compatible additions {errs}")
        failures += bool(errs)
    return failures


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(1 if self_test(os.path.join(root, "proto", "crm.proto")) else 0)
    old, new = (sys.argv[1:3] if len(sys.argv) == 3 else
                (os.path.join(root, "proto", "snapshot", "crm.proto"),
                 os.path.join(root, "proto", "crm.proto")))
    errors = check(old, new)
    for e in errors:
        print("incompatible:", e)
    print("proto evolution:", "FAILED" if errors else "compatible with the snapshot")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
