#!/usr/bin/env python3
"""gen_fields: what the field options of proto/crm.proto (proto/options.proto,
[(crm.field) = {...}]) say, as files the build uses. protoc-c 1.4 drops
option values from its C output, so they are read here with python3-protobuf
from a descriptor set protoc writes.

  gen_fields.py google-set OUT.pb
      google/protobuf/descriptor.proto as a FileDescriptorSet, from the
      python3-protobuf module (Debian ships no descriptor.proto without
      libprotobuf-dev); protoc and protoc-c take it with --descriptor_set_in.
  gen_fields.py facts SET.pb OUT.json OUT.h [OUT.sql [OUT_HELP.h [OUT_FLAGS.h [OUT_TYPES.h]]]]
      the facts of every record type's fields (messages with a RecordMeta
      `meta`; meta's fields count as the record's own), in field-list order:
      OUT.json for tests (compared with crm.standard_fields), OUT.h a C
      table for the client, OUT.sql an UPDATE of crm.standard_fields that
      sets the facts (label, cli_option, help, max_length, multi_line,
      ref_type, read_only, personal) of the rows a migration inserted,
      writing only rows whose facts differ (crmd compiles it in and
      `crmd migrate` runs it after the modules), OUT_HELP.h the
      help of the options that set each type's own fields (crm TYPE add
      --help), marked for translation, OUT_FLAGS.h crm's flag tables: the
      options that set each type's own fields (cli_option, cli_form,
      kinds, cli_prefix; a list RecordUpdate can edit item by item gets
      --primary-X, --add-X, --remove-X) and the fields add needs one of
      (required_one_of), OUT_TYPES.h the record types (CRM_RECORD_TYPES:
      each RecordType value with the member of Record's oneof kind of
      the same name; they must pair up, or this fails), the one list crmd
      and crm take them from.
"""
import json
import re
import sys

from google.protobuf import descriptor_pb2


def google_set(out):
    fds = descriptor_pb2.FileDescriptorSet()
    descriptor_pb2.DESCRIPTOR.CopyToProto(fds.file.add())
    with open(out, "wb") as f:
        f.write(fds.SerializeToString())


def load(path):
    """The FileDescriptorSet at path, with crm.field options parsed."""
    from google.protobuf import descriptor_pool, message_factory
    raw = descriptor_pb2.FileDescriptorSet()
    with open(path, "rb") as f:
        raw.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in raw.file:
        pool.Add(fd)
    facts_desc = pool.FindMessageTypeByName("crm.FieldFacts")
    ext = pool.FindExtensionByName("crm.field")
    try:
        facts_cls = message_factory.GetMessageClass(facts_desc)
    except AttributeError:  # python3-protobuf 3.x
        facts_cls = message_factory.MessageFactory(pool).GetPrototype(facts_desc)
    return raw, ext, facts_cls


def option_values(opts, number):
    """The serialized values of option `number` in an options message
    (FieldOptions, MessageOptions). The project's options are extensions
    descriptor_pb2 does not know: they arrive as unknown fields, read here
    from the serialized options."""
    data = opts.SerializeToString()
    out = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        num, wt = key >> 3, key & 7
        if wt == 2:
            n, pos = _varint(data, pos)
            if num == number:
                out.append(data[pos:pos + n])
            pos += n
        elif wt == 0:
            _, pos = _varint(data, pos)
        elif wt == 1:
            pos += 8
        elif wt == 5:
            pos += 4
        else:
            raise ValueError(f"unexpected wire type {wt} in options")
    return out


def facts_of(field, ext, facts_cls):
    """The FieldFacts of a FieldDescriptorProto (empty when none)."""
    out = facts_cls()
    for v in option_values(field.options, ext.number):
        out.MergeFromString(v)
    return out


def filter_facts(raw, facts_cls):
    """[(type, FieldFacts)] of the (crm.filter) options of the record
    messages: fields lists filter on that are no field of the message."""
    msgs = {m.name: m for f in raw.file for m in f.message_type}
    members = {f.type_name.rsplit(".", 1)[-1]: f.name
               for f in (msgs["Record"].field if "Record" in msgs else ())}
    out = []
    for m in msgs.values():
        for v in option_values(m.options, FILTER_OPTION) if m.name in members else ():
            x = facts_cls()
            x.MergeFromString(v)
            out.append((members[m.name], x))
    return out


FILTER_OPTION = 50712  # options.proto: extend MessageOptions { filter }


def _varint(b, pos):
    v = shift = 0
    while True:
        c = b[pos]
        pos += 1
        v |= (c & 0x7F) << shift
        if not c & 0x80:
            return v, pos
        shift += 7


def records(raw):
    """{type name: [FieldDescriptorProto...]} for messages with a RecordMeta meta."""
    msgs = {m.name: m for f in raw.file for m in f.message_type}
    out = {}
    meta = msgs.get("RecordMeta")
    # a type's name is its member's name in Record's oneof (NoteRecord is
    # "note"), else the message's name in snake case
    members = {f.type_name.rsplit(".", 1)[-1]: f.name
               for f in (msgs["Record"].field if "Record" in msgs else ())}
    for m in msgs.values():
        mf = [f for f in m.field if f.name == "meta" and f.type_name.endswith(".RecordMeta")]
        if not mf or meta is None:
            continue
        name = members.get(m.name) or re.sub(r"(?<!^)([A-Z])", r"_\1", m.name).lower()
        out[name] = [(f, False) for f in m.field if f is not mf[0]] + [(f, True) for f in meta.field]
    return out


def enum_values(raw, type_name):
    """The value names of the enum type_name (".crm.AccountType") as the
    clients show them: lower case, without the enum's prefix (ACCOUNT_TYPE_)
    and without its zero value (UNSPECIFIED)."""
    for f in raw.file:
        for e in f.enum_type:
            if "." + f.package + "." + e.name != type_name:
                continue
            prefix = re.sub(r"(?<!^)([A-Z])", r"_\1", e.name).upper() + "_"
            return [v.name[len(prefix):].lower() if v.name.startswith(prefix) else v.name.lower()
                    for v in e.value if v.number != 0]
    return []


def collect(path):
    raw, ext, facts_cls = load(path)
    rows = []
    for rtype, fields in sorted(records(raw).items()):
        for f, shared in fields:
            x = facts_of(f, ext, facts_cls)
            if not x.ListFields():
                continue  # a field without facts is not a standard field
            rows.append({
                "record_type": rtype,
                "name": x.name or f.name,
                "field": f.name,
                "label": x.label or None,
                "cli_option": x.cli_option or None,
                "help": x.help,
                "max_length": x.max_length or None,
                "multi_line": x.multi_line,
                "references": x.references or None,
                "read_only": x.read_only,
                "personal": x.personal,
                "sortable": x.sortable,
                "filterable": x.filterable,
                "metavar": x.metavar or None,
                "shared": shared,
                "enum_values": enum_values(raw, f.type_name)
                if f.type == descriptor_pb2.FieldDescriptorProto.TYPE_ENUM else [],
            })
    # the fields lists filter on that are no field of the message: a
    # label and its facts (the option that sets it is its message's:
    # cli_prefix), no C field
    for rtype, x in sorted(filter_facts(raw, facts_cls), key=lambda t: (t[0], t[1].name)):
        rows.append({
            "record_type": rtype, "name": x.name, "field": None, "label": x.label or None,
            "cli_option": x.cli_option or None, "help": x.help,
            "max_length": x.max_length or None,
            "multi_line": False, "references": None, "read_only": False,
            "personal": x.personal, "sortable": False, "filterable": True, "metavar": None,
            "shared": False, "enum_values": [], "filter_only": True,
        })
    return rows


def c_str(s):
    if s is None:
        return "NULL"
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_h(rows, out):
    lines = ["/* Generated by proto/gen_fields.py from the field options of proto/crm.proto.",
             " * Do not edit: change the options. */",
             "#ifndef CRM_FIELD_FACTS_H", "#define CRM_FIELD_FACTS_H", "",
             "#include <stdbool.h>", "#include <stddef.h>", "",
             "struct crm_field_facts {",
             "\tconst char *record_type, *name, *field, *label, *cli_option, *help, *references;",
             "\tunsigned max_length;",
             "\tbool multi_line, read_only, personal, sortable, filterable;",
             "};", "",
             "static const struct crm_field_facts crm_field_facts[] = {"]
    for r in rows:
        if r.get("filter_only"):
            continue  # no field of the message: nothing for the client's table
        lines.append("\t{%s, %s, %s, %s, %s, %s, %s, %du, %s, %s, %s, %s, %s}," % (
            c_str(r["record_type"]), c_str(r["name"]), c_str(r["field"]), c_str(r["label"]),
            c_str(r["cli_option"]), c_str(r["help"]), c_str(r["references"]),
            r["max_length"] or 0, *("true" if r[k] else "false" for k in (
                "multi_line", "read_only", "personal", "sortable", "filterable"))))
    lines += ["};", "#define CRM_N_FIELD_FACTS (sizeof(crm_field_facts) / sizeof(crm_field_facts[0]))",
              "", "#endif", ""]
    with open(out, "w") as f:
        f.write("\n".join(lines))


HELP_COL = 30   # where the text of an option's help starts, as in commands.c
HELP_WIDTH = 80


def help_lines(r):
    """The help of one option as lines of text (without newlines)."""
    opt = "  --" + r["cli_option"]
    if r["metavar"]:
        opt += r["metavar"] if r["metavar"].startswith("[=") else " " + r["metavar"]
    text = r["help"]
    if len(text) > 1 and not text[1].isupper():
        text = text[0].lower() + text[1:]
    words, lines = text.split(), []
    line = opt + " " * (HELP_COL - len(opt)) if len(opt) <= HELP_COL - 1 else None
    if line is None:
        lines.append(opt)
        line = " " * HELP_COL
    fresh = True
    for w in words:
        if not fresh and len(line) + 1 + len(w) > HELP_WIDTH - 1:
            lines.append(line)
            line, fresh = " " * HELP_COL, True
        line += ("" if fresh else " ") + w
        fresh = False
    lines.append(line)
    return lines


def write_help(rows, out):
    """CRM_HELP_<TYPE>_FIELDS: the help of the options that set a type's own
    fields, as string literals marked for translation (N_)."""
    text = ["/* Generated by proto/gen_fields.py from the field options of proto/crm.proto.",
            " * Do not edit: change the options (help, cli_option, metavar). */",
            "#ifndef CRM_FIELD_HELP_H", "#define CRM_FIELD_HELP_H", "",
            "#ifndef N_", "#define N_(s) s /* marks text for translation (xgettext -kN_) */",
            "#endif", ""]
    for rtype in sorted({r["record_type"] for r in rows}):
        text.append("#define CRM_HELP_%s_FIELDS \\" % rtype.upper())
        for r in rows:
            if (r["record_type"] != rtype or r["shared"] or not r["cli_option"] or r["read_only"]
                    or r.get("filter_only")):
                continue  # a filter-only field's option is its message's (cli_prefix)
            for l in help_lines(r):
                text.append("\tN_(%s) \\" % c_str(l + "\n"))
        text.append('\t""')
        text.append("")
    # the labels people see of the standard fields, and of the record types
    # (as crm.record_types has them by default: the name with a capital,
    # plural with an s), for the catalog: the clients show the server's
    # label in the user's language through it; and the names of the values
    # of enum fields ("prospect"), which the desktop shows the same way
    labels = sorted({r["label"] for r in rows if r["label"]})
    labels += [v for r in rows for v in r["enum_values"]]
    types = sorted({r["record_type"] for r in rows})
    for t in types:
        cap = t[:1].upper() + t[1:]
        labels += [cap, cap + "s"]
    text.append("#define CRM_LABELS \\")
    for l in sorted(set(labels)):
        text.append("\tN_(%s) \\" % c_str(l))
    text.append('\t""')
    text.append("")
    text += ["#endif", ""]
    with open(out, "w") as f:
        f.write("\n".join(text))


def fail(rtype, f, why):
    raise SystemExit(f"gen_fields.py: {rtype}.{f.name}: {why}")


def cli_flags(rtype, f, x, forms, msgs, update):
    """The rows of crm's flag table (option, path, kind, kinds) that set
    the record's own field f with facts x."""
    repeated = f.label == f.LABEL_REPEATED
    message = f.type == f.TYPE_MESSAGE
    if x.cli_prefix:
        if x.cli_option or repeated or not message:
            fail(rtype, f, "cli_prefix is for a single message without a cli_option")
        parts = msgs[f.type_name.rsplit(".", 1)[-1]].field
        return [(x.cli_prefix + "-" + p.name.replace("_", "-"), f.name + "." + p.name, "VALUE", None)
                for p in parts]
    if not x.cli_option or x.read_only:
        return []
    form = forms.values_by_number[x.cli_form].name[len("CLI_FORM_"):]
    form = "VALUE" if form == "UNSPECIFIED" else form
    if form == "SWITCH" and (repeated or f.type != f.TYPE_BOOL or not x.metavar.startswith("[=")):
        fail(rtype, f, "a switch is a single bool whose metavar is [=...]")
    if form == "MINUTES" and (repeated or f.type != f.TYPE_INT64):
        fail(rtype, f, "minutes is for a single int64")
    if form in ("TYPED", "PAIR") and not (repeated and message):
        fail(rtype, f, form.lower() + " is for a list of messages")
    if (form == "TYPED") != bool(x.kinds):
        fail(rtype, f, "kinds go with cli_form TYPED, and it with them")
    kinds = list(x.kinds) or None
    rows = [(x.cli_option, f.name, form, kinds)]
    # a list RecordUpdate edits item by item (add_emails, remove_emails,
    # primary_email, as crm_rec_list_ops sends them)
    if repeated and "add_" + f.name in update:
        if "primary_" + f.name.removesuffix("s") in update:
            rows.append(("primary-" + x.cli_option, f.name, "PRIMARY", None))
        rows.append(("add-" + x.cli_option, f.name, "ADD", kinds))
        if "remove_" + f.name in update:
            rows.append(("remove-" + x.cli_option, f.name, "REMOVE", None))
    return rows


def cli_tables(path):
    """{type name: (flag rows, fields add needs one of)} for crm."""
    raw, ext, facts_cls = load(path)
    msgs = {m.name: m for f in raw.file for m in f.message_type}
    update = {f.name for f in msgs["RecordUpdate"].field}
    forms = facts_cls.DESCRIPTOR.enum_types_by_name["CliForm"]
    out = {}
    for rtype, fields in sorted(records(raw).items()):
        flags, needs = [], []
        for f, shared in fields:
            if shared:
                continue  # RecordMeta's: crm's common flags (--tag, --external-id)
            x = facts_of(f, ext, facts_cls)
            flags += cli_flags(rtype, f, x, forms, msgs, update)
            if x.required_one_of:
                needs.append(f.name)
        if not flags:
            raise SystemExit(f"gen_fields.py: {rtype}: no field has a cli_option")
        seen = [r[0] for r in flags]
        if len(set(seen)) != len(seen):
            raise SystemExit(f"gen_fields.py: {rtype}: an option sets two fields: {seen}")
        out[rtype] = (flags, needs)
    return out


def write_flags(tables, out):
    """CRM_REC_<TYPE>_FLAGS (the rows of struct crm_rec_flag) and
    CRM_REC_<TYPE>_NEEDS (add: one of these fields), for client/crm."""
    text = ["/* Generated by proto/gen_fields.py from the field options of proto/crm.proto.",
            " * Do not edit: change the options (cli_option, cli_form, kinds, cli_prefix,",
            " * required_one_of). crm's flag tables (client/crm/cmd_record.h): the options",
            " * of crm TYPE add|edit that set each type's own fields, and the fields add",
            " * needs one of. */",
            "#ifndef CRM_REC_FLAGS_H", "#define CRM_REC_FLAGS_H", "",
            "/* The record types that have tables here: X(account, ACCOUNT) ... */",
            "#define CRM_REC_FLAG_TYPES(X) " + " ".join("X(%s, %s)" % (t, t.upper()) for t in tables),
            ""]
    for rtype, (flags, needs) in tables.items():
        text.append("#define CRM_REC_%s_FLAGS \\" % rtype.upper())
        for i, (opt, fpath, kind, kinds) in enumerate(flags):
            k = "NULL" if kinds is None else \
                "(const char *const[]){%s, NULL}" % ", ".join(c_str(v) for v in kinds)
            text.append("\t{%s, %s, CRM_REC_%s, %s}%s" % (
                c_str(opt), c_str(fpath), kind, k, ", \\" if i + 1 < len(flags) else ""))
        text.append("#define CRM_REC_%s_NEEDS %s" % (
            rtype.upper(), ", ".join([c_str(n) for n in needs] + ["NULL"])))
        text.append("")
    text += ["#endif", ""]
    with open(out, "w") as f:
        f.write("\n".join(text))


def record_types(raw):
    """The record types, in RecordType order: each value of RecordType but
    0 (RECORD_TYPE_NOTE -> "note") with the member of Record's oneof kind
    of that name, whose message has a RecordMeta meta. Exits when a value
    has no member, a member no value, or a member's message no meta."""
    enums = {e.name: e for f in raw.file for e in f.enum_type}
    msgs = {m.name: m for f in raw.file for m in f.message_type}
    if "RecordType" not in enums or "Record" not in msgs:
        raise SystemExit("gen_fields.py: crm.proto has no enum RecordType or message Record")
    rec = msgs["Record"]
    kinds = [o for o, d in enumerate(rec.oneof_decl) if d.name == "kind"]
    members = {f.name: f for f in rec.field
               if kinds and f.HasField("oneof_index") and f.oneof_index == kinds[0]}
    def has_meta(member):
        m = msgs.get(member.type_name.rsplit(".", 1)[-1])
        return m is not None and any(f.name == "meta" and f.type_name.endswith(".RecordMeta")
                                     for f in m.field)

    names, errors = [], []
    for v in sorted(enums["RecordType"].value, key=lambda v: v.number):
        if v.number == 0:
            continue
        if not v.name.startswith("RECORD_TYPE_"):
            errors.append(f"RecordType {v.name} does not start with RECORD_TYPE_")
            continue
        name = v.name[len("RECORD_TYPE_"):].lower()
        if name not in members:
            errors.append(f"RecordType {v.name} has no member {name} in Record's oneof kind")
        elif not has_meta(members[name]):
            errors.append(f"Record.{name}: its message has no RecordMeta meta")
        names.append(name)
    for m in members:
        if m not in names:
            errors.append(f"Record.{m} (oneof kind) has no RecordType RECORD_TYPE_{m.upper()}")
    if errors:
        raise SystemExit("gen_fields.py: the record types do not pair up: " + "; ".join(errors))
    return names


def write_types(names, out):
    """CRM_RECORD_TYPES(X): X(name, NAME) for every record type."""
    text = ["/* Generated by proto/gen_fields.py from proto/crm.proto. Do not edit: a",
            " * record type is a value of RecordType and the member of Record's oneof",
            " * kind of the same name (the generator fails the build when they do not",
            " * pair up). crmd's table of the types it serves (server/handlers/records.c)",
            " * and crm's list of its type tables (crm_rec_<name>, client/crm/cmd_<name>.c)",
            " * are made from it. */",
            "#ifndef CRM_RECORD_TYPES_H", "#define CRM_RECORD_TYPES_H", "",
            "/* In RecordType order: X(account, ACCOUNT) ... */",
            "#define CRM_RECORD_TYPES(X) " + " ".join("X(%s, %s)" % (t, t.upper()) for t in names),
            "#define CRM_N_RECORD_TYPES %d" % len(names),
            "", "#endif", ""]
    with open(out, "w") as f:
        f.write("\n".join(text))


def sql_lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return "'" + v.replace("'", "''") + "'"


def write_sql(rows, out):
    vals = ",\n".join("\t(%s)" % ", ".join(sql_lit(r[k]) for k in (
        "record_type", "name", "label", "cli_option", "help", "max_length", "multi_line",
        "references", "read_only", "personal")) for r in rows)
    text = ("-- Generated by proto/gen_fields.py from the field options of proto/crm.proto:\n"
            "-- the facts of the standard fields. crmd compiles it in (server/migrations.cmake)\n"
            "-- and `crmd migrate` runs it after the modules, before it decides whether to run\n"
            "-- crm.refresh_generated(). It only updates the rows a migration inserted (kind,\n"
            "-- col, sort_expr, position are SQL's own; a field with no row is left out) and\n"
            "-- only those whose facts differ, so a migrate with nothing new writes nothing.\n"
            "-- Do not edit: change the options.\n"
            "UPDATE crm.standard_fields s\n"
            "SET label = v.label, cli_option = v.cli_option, help = v.help, max_length = v.max_length,\n"
            "    multi_line = v.multi_line, ref_type = v.ref_type, read_only = v.read_only,\n"
            "    personal = v.personal\n"
            "FROM (VALUES\n" + vals + "\n"
            ") AS v(record_type, name, label, cli_option, help, max_length, multi_line, ref_type,\n"
            "       read_only, personal)\n"
            "WHERE s.record_type = v.record_type AND s.name = v.name\n"
            "  AND (s.label, s.cli_option, s.help, s.max_length, s.multi_line, s.ref_type, s.read_only,\n"
            "       s.personal) IS DISTINCT FROM (v.label, v.cli_option, v.help, v.max_length::integer,\n"
            "       v.multi_line, v.ref_type, v.read_only, v.personal);\n")
    with open(out, "w") as f:
        f.write(text)


def main(argv):
    if len(argv) == 3 and argv[1] == "google-set":
        google_set(argv[2])
        return 0
    if len(argv) in (5, 6, 7, 8, 9) and argv[1] == "facts":
        rows = collect(argv[2])
        with open(argv[3], "w") as f:
            json.dump(rows, f, indent=1, ensure_ascii=False)
            f.write("\n")
        write_h(rows, argv[4])
        if len(argv) >= 6:
            write_sql(rows, argv[5])
        if len(argv) >= 7:
            write_help(rows, argv[6])
        if len(argv) >= 8:
            write_flags(cli_tables(argv[2]), argv[7])
        if len(argv) == 9:
            write_types(record_types(load(argv[2])[0]), argv[8])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
