#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The man page (doc/man/asio-fswatch.1) and the bash completion
# (tools/asio-fswatch/completion/asio-fswatch.bash) against the tool they describe:
# - every command that `asio-fswatch --help` lists, and every option that a command's --help
#   names, has an entry (a .TP tag) in that command's section of the man page and is offered by
#   the completion after `asio-fswatch COMMAND -`;
# - the completion completes commands, options, the values of --backend, --on-busy-update,
#   --signal, --fs-events and -e (each value it offers is one the tool accepts) and paths;
# - groff renders the page without a warning (skipped, kind build, where groff is missing).
# The options of a --help text: each long option it names anywhere (--signal's is --signal,
# --format=FMT is --format), and each short one at the head of an option line ("  -c, --csv")
# or beside its long form ("-r, --recursive"); not a short option in prose, such as run's
# "(entr -s)" or "/bin/sh -c", which belong to other programs.
# Usage: man_completion_test.sh PATH/TO/asio-fswatch [MAN_PAGE [COMPLETION_SCRIPT]]
set -uo pipefail
tool=${1:?path to asio-fswatch}
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
man_page=${2:-$source_dir/doc/man/asio-fswatch.1}
completion=${3:-$source_dir/tools/asio-fswatch/completion/asio-fswatch.bash}
[[ $man_page == /* ]] || man_page=$PWD/$man_page # the test changes directory further down
[[ $completion == /* ]] || completion=$PWD/$completion
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/common.sh"

for file in "$man_page" "$completion"; do
  [[ -r $file ]] || { echo "FAIL: cannot read $file" >&2; exit 1; }
done

help_options() { # help_options FILE: the options the --help text in FILE names, one per line
  {
    grep -oE -- '(^|[^A-Za-z0-9_-])--[a-z0-9][a-z0-9-]*' "$1" | sed -E 's/^[^-]//'
    option_column "$1"
    grep -oE -- '(^|[ (])-[A-Za-z0-9], --[a-z]' "$1" | grep -oE -- '-[A-Za-z0-9],' | tr -d ,
  } | sort -u
}
option_column() { # option_column FILE: the options heading the option lines ("  -e, --event LIST")
  awk '/^  -/ {
    for (i = 1; i <= NF; ++i) {
      t = $i; sub(/,$/, "", t)
      if (t ~ /^--?[A-Za-z0-9][a-z0-9-]*$/) print t
      else if (t !~ /^[A-Z][A-Z0-9.]*$/) break   # past the option and its argument
    }
  }' "$1"
}

# roff to text, enough for the tags: "\fB\-\-event\fR \fILIST\fR" is "--event LIST".
unroff() { sed -E 's/^\.[A-Z]+ //; s/\\-/-/g; s/\\f(\[[A-Z]*\]|[BIRP])//g; s/\\&//g; s/"//g'; }
man_section() { # man_section NAME: the lines of ".SS NAME" or ".SH NAME", up to the next heading
  awk -v name="$1" '/^\.S[HS] / { inside = ($2 == name); next } inside' "$man_page"
}
man_tags() { # man_tags NAME: the tags (the line after each .TP) of that section, as text
  man_section "$1" | awk 'tag { print; tag = 0; next } /^\.TP/ { tag = 1 }' | unroff
}
has_word() { # has_word FILE WORD: WORD, an option or a command, stands alone in FILE
  grep -qE -- "(^|[^A-Za-z0-9-])$2([^A-Za-z0-9-]|$)" "$1"
}

# The completion, sourced into this shell; its function is the one `complete -p` names.
# shellcheck source=../../tools/asio-fswatch/completion/asio-fswatch.bash
source "$completion"
completer=$(complete -p asio-fswatch 2>/dev/null | sed -nE 's/.* -F ([^ ]+) .*/\1/p')
check "completion: 'complete -p asio-fswatch' names a function" test -n "$completer"
[[ -n $completer ]] || { echo "$passed passed, $failed failed"; exit 1; }
complete_line() { # complete_line WORD...: COMPREPLY for the last WORD of `WORD...`
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE="$*" COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  "$completer" asio-fswatch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
  : >"$work/reply"
  ((${#COMPREPLY[@]} == 0)) || printf '%s\n' "${COMPREPLY[@]}" >"$work/reply"
}
offers() { grep -qxF -- "$1" "$work/reply"; }           # offers WORD: in the last reply
offers_not() { ! grep -qxF -- "$1" "$work/reply"; }

# Commands: those `asio-fswatch --help` lists, under "Commands:" up to the blank line.
"$tool" --help >"$work/help" 2>&1
awk '/^Commands:/ { inside = 1; next } inside && /^$/ { exit } inside && /^  [a-z]/ { print $1 }' \
  "$work/help" >"$work/commands"
check "help lists commands" test -s "$work/commands"
man_section SYNOPSIS | unroff >"$work/synopsis"
complete_line asio-fswatch ""
cp "$work/reply" "$work/command_reply"
while read -r command; do
  check "man page: SYNOPSIS has 'asio-fswatch $command'" grep -qE "^asio-fswatch $command( |$)" "$work/synopsis"
  check "man page: COMMANDS has a subsection '.SS $command'" grep -qx "\.SS $command" "$man_page"
  check "completion: 'asio-fswatch <TAB>' offers '$command'" grep -qxF -- "$command" "$work/command_reply"
done <"$work/commands"

# The tool's own options: the option lines of its --help, and --help itself.
{ option_column "$work/help"; echo --help; } | sort -u >"$work/top_options"
man_tags OPTIONS >"$work/top_tags"
complete_line asio-fswatch -
while read -r option; do
  check "man page: OPTIONS has an entry for $option" has_word "$work/top_tags" "$option"
  check "completion: 'asio-fswatch -<TAB>' offers $option" offers "$option"
done <"$work/top_options"

# Each command's options: those its --help names, and --help itself.
while read -r command; do
  "$tool" "$command" --help >"$work/$command.help" 2>&1 </dev/null
  check "$command --help: exit 0" test $? = 0
  { help_options "$work/$command.help"; echo --help; } | sort -u >"$work/$command.options"
  man_tags "$command" >"$work/$command.tags"
  check "man page: '.SS $command' has option entries" test -s "$work/$command.tags"
  complete_line asio-fswatch "$command" -
  count=0
  while read -r option; do
    count=$((count + 1))
    check "man page: section '$command' has a .TP entry for $option (named by '$command --help')" \
      has_word "$work/$command.tags" "$option"
    check "completion: 'asio-fswatch $command -<TAB>' offers $option (named by '$command --help')" \
      offers "$option"
  done <"$work/$command.options"
  echo "$command: $count options in its --help: $(tr '\n' ' ' <"$work/$command.options")"
done <"$work/commands"
check "watch --help names at least 30 options (is the parsing right?)" \
  test "$(wc -l <"$work/watch.options")" -ge 30

# Option names in the page's text are escaped (\-): a plain '-' may be rendered as a hyphen
# (U+2010), which cannot be pasted into a shell.
grep -nE '(^|[[:space:](])--?[A-Za-z0-9]' "$man_page" | grep -vE '^[0-9]+:\.\\"' >"$work/plain_hyphens"
check "man page: option names spelled with \\- (plain: $(head -c 200 "$work/plain_hyphens"))" \
  test ! -s "$work/plain_hyphens"

# Completion behaviour.
complete_line asio-fswatch wa
check "completion: 'asio-fswatch wa' gives watch" offers watch
check "completion: 'asio-fswatch wa' gives watch alone" test "$(wc -l <"$work/reply")" = 1
complete_line asio-fswatch watch --exc
for option in --exclude --exclude-regex --excludei; do
  check "completion: 'watch --exc' gives $option" offers "$option"
done
check "completion: 'watch --exc' gives only --exc..." test -z "$(grep -v -- '^--exc' "$work/reply")"
complete_line asio-fswatch run --backend ""
for backend in auto native poll; do
  check "completion: 'run --backend' gives $backend" offers "$backend"
done
complete_line asio-fswatch watch --backend = p # readline splits --backend=p at the '='
check "completion: 'watch --backend=p' gives poll" offers poll
complete_line asio-fswatch run --on-busy-update ""
check "completion: 'run --on-busy-update' gives do-nothing" offers do-nothing
complete_line asio-fswatch watch -e create,mo
check "completion: 'watch -e create,mo' gives create,modify" offers create,modify
complete_line asio-fswatch run --watch src --debounce ""
check "completion: nothing for a number ('run --debounce')" test ! -s "$work/reply"

# Every value the completion offers is one the tool takes: each is given before --help, which
# then exits 0 (a refused value exits 2 first).
value_accepted() { # value_accepted COMMAND OPTION WORD...: each completion of OPTION is accepted
  local command=$1 option=$2 value
  shift 2
  complete_line asio-fswatch "$command" "$option" ""
  test -s "$work/reply" || { echo "no values offered for $command $option" >&2; return 1; }
  while read -r value; do
    "$tool" "$command" "$option" "$value" --help >/dev/null 2>"$work/value.err" </dev/null ||
      { echo "$command $option $value: refused: $(cat "$work/value.err")" >&2; return 1; }
  done <"$work/reply"
}
check "completion: the values of watch --backend are accepted" value_accepted watch --backend
check "completion: the values of run --backend are accepted" value_accepted run --backend
check "completion: the values of run --on-busy-update are accepted" value_accepted run --on-busy-update
check "completion: the values of run --signal are accepted" value_accepted run --signal
check "completion: the values of run --busy-signal are accepted" value_accepted run --busy-signal
check "completion: the values of run --fs-events are accepted" value_accepted run --fs-events
check "completion: the values of watch -e are accepted" value_accepted watch -e
check "completion: the values of watch --ignore-file are accepted" value_accepted watch --ignore-file

# Paths and commands, in a directory with a subdirectory and a file.
mkdir -p "$work/tree/subdir" && : >"$work/tree/file.txt"
cd "$work/tree" || exit 1
complete_line asio-fswatch watch ""
check "completion: 'watch <TAB>' offers the subdirectory" offers subdir
check "completion: 'watch <TAB>' offers the file" offers file.txt
complete_line asio-fswatch watch --json s
check "completion: 'watch --json s' offers subdir" offers subdir
complete_line asio-fswatch watch @s
check "completion: 'watch @s' offers @subdir" offers @subdir
complete_line asio-fswatch watch --fromfile f
check "completion: 'watch --fromfile f' offers the file" offers file.txt
complete_line asio-fswatch snapshot ""
check "completion: 'snapshot <TAB>' (DIR) offers the subdirectory" offers subdir
check "completion: 'snapshot <TAB>' (DIR) does not offer a file" offers_not file.txt
complete_line asio-fswatch since file.txt ""
check "completion: 'since FILE <TAB>' (DIR) offers the subdirectory" offers subdir
check "completion: 'since FILE <TAB>' (DIR) does not offer a file" offers_not file.txt
complete_line asio-fswatch run -- tru
check "completion: 'run -- tru' offers the command true" offers true
complete_line asio-fswatch run --watch subdir --postpone tru
check "completion: 'run --watch subdir --postpone tru' offers true (COMMAND without --)" offers true
complete_line asio-fswatch run --watch subdir -- true -
check "completion: after COMMAND, no run options" offers_not --postpone
complete_line asio-fswatch watch -- -
check "completion: after --, no watch options" offers_not --json
cd "$work" || exit 1

# Rendering: groff with every warning on; lexgrog (man-db) reads the NAME line as whatis does.
if command -v groff >/dev/null; then
  groff -man -Tutf8 -ww -z "$man_page" >"$work/groff.out" 2>&1
  check "groff -man -ww: exit 0" test $? = 0
  check "groff -man -ww: no warning ($(tr '\n' ' ' <"$work/groff.out" | head -c 300))" test ! -s "$work/groff.out"
else
  # Kind build, not machine: the page is data for packaging, whose build (Debian's
  # dh_installman, lintian) renders it; a machine without groff runs everything else here.
  log_skip build groff "groff is not installed (Debian: groff-base): the man page was not rendered"
fi
if command -v lexgrog >/dev/null; then
  quietly() { "$@" >/dev/null; }
  check "lexgrog reads the NAME line" quietly lexgrog "$man_page"
fi

echo "$passed passed, $failed failed"
((failed == 0)) || {
  echo "Each option that a command's --help names needs a .TP entry in that command's .SS section of" >&2
  echo "$man_page and a place in the option list of $completion." >&2
  exit 1
}
