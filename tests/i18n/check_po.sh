#!/bin/bash
# tests/i18n/check_po.sh POT PO...: fails when a catalog is incomplete or out
# of date with the sources: any untranslated or fuzzy entry once the fresh
# crm.pot (made from the sources by the build) is merged in, any entry the
# sources no longer have (obsolete), or a format that does not match
# (msgfmt --check). The merge is a dry run: the .po files are not changed.
# The fix: `ninja crm-po-update`, then translate (docs/i18n.md).
set -euo pipefail
pot=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for po in "$@"; do
	name=$(basename "$po")
	if ! msgfmt --check -o /dev/null "$po" 2>"$tmp/err"; then
		echo "FAIL $name: msgfmt --check:" >&2
		cat "$tmp/err" >&2
		status=1
	fi
	msgmerge --quiet --no-fuzzy-matching -o "$tmp/$name" "$po" "$pot"
	stats=$(msgfmt --statistics -o /dev/null "$tmp/$name" 2>&1)
	if [[ "$stats" == *untranslated* || "$stats" == *fuzzy* ]]; then
		echo "FAIL $name: $stats; these need a translation:" >&2
		msgattrib --untranslated --no-obsolete "$tmp/$name" | grep -A3 '^msgid ' | head -60 >&2 || true
		msgattrib --only-fuzzy --no-obsolete "$tmp/$name" | grep -A3 '^msgid ' | head -30 >&2 || true
		status=1
	fi
	if grep -q '^#, .*fuzzy' "$po"; then
		echo "FAIL $name: has fuzzy entries" >&2
		status=1
	fi
	obsolete=$(msgattrib --only-obsolete "$tmp/$name" | grep -c '^#~ msgid' || true)
	if [ "$obsolete" != 0 ]; then
		echo "FAIL $name: $obsolete entries the sources no longer have (run ninja crm-po-update)" >&2
		status=1
	fi
	[ $status != 0 ] || echo "ok $name: $stats"
done
exit $status
