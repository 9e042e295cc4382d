#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every translatable string has a translation in every language of po/LINGUAS,
# POTFILES.in is sorted and lists every file with translatable strings.
# Usage: check-translations.sh SOURCE_ROOT
set -eu
top=$1
po="$top/po"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# POTFILES.in sorted and complete
grep -v '^#' "$po/POTFILES.in" | sed '/^$/d' > "$tmp/listed"
LC_ALL=C sort "$tmp/listed" > "$tmp/sorted"
if ! cmp -s "$tmp/listed" "$tmp/sorted"; then
  echo "po/POTFILES.in is not sorted:"; diff "$tmp/listed" "$tmp/sorted" || true; fail=1
fi
( cd "$top" && grep -rlE '(^|[^A-Za-z0-9_])(_|N_|C_|NC_) ?\("|translatable="yes"' app data \
    --include='*.c' --include='*.ui' --include='*.in' --include='*.xml' 2>/dev/null | LC_ALL=C sort ) > "$tmp/marked"
for f in $(cat "$tmp/marked"); do
  grep -qxF "$f" "$tmp/listed" || { echo "$f has translatable strings but is not in po/POTFILES.in"; fail=1; }
done
for f in $(cat "$tmp/listed"); do
  [ -f "$top/$f" ] || { echo "po/POTFILES.in lists $f, which does not exist"; fail=1; }
done

# A fresh template from the sources, merged into every translation.
( cd "$top" && xgettext --from-code=UTF-8 --add-comments=TRANSLATORS --keyword=_ --keyword=N_ \
    --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dngettext:2,3 -f "$po/POTFILES.in" -o "$tmp/thaw.pot" )
for lang in $(grep -v '^#' "$po/LINGUAS"); do
  msgmerge --quiet --no-fuzzy-matching -o "$tmp/$lang.po" "$po/$lang.po" "$tmp/thaw.pot"
  msgfmt --check -o /dev/null "$tmp/$lang.po" || { echo "$lang.po does not compile"; fail=1; }
  untranslated=$(msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep -c '^msgid ' || true)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$tmp/$lang.po" | grep -c '^msgid ' || true)
  # msgattrib prints the header entry too when it prints anything
  [ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
  [ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
  if [ "$untranslated" -ne 0 ] || [ "$fuzzy" -ne 0 ]; then
    echo "$lang: $untranslated untranslated and $fuzzy fuzzy messages:"
    msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep -A1 '^msgid ' | head -40
    fail=1
  else
    echo "$lang: complete ($(grep -c '^msgid ' "$tmp/thaw.pot") messages)"
  fi
done
exit $fail
