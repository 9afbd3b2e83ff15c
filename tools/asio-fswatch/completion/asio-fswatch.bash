# SPDX-License-Identifier: BSL-1.0
# Bash completion for asio-fswatch (installed as
# /usr/share/bash-completion/completions/asio-fswatch).
#
# Only bash's builtins are needed (complete, compgen, compopt, COMP_WORDS, COMP_CWORD,
# COMPREPLY); the bash-completion package is not. When it is loaded, its _comp_command_offset
# (or the older _command_offset) completes the arguments of run's COMMAND as that command's own
# completion would; without it they complete as file names.
#
# The lists below follow what tools/asio-fswatch/*.cpp accepts; test/cli/man_completion_test.sh
# fails when a command's --help names an option that is not offered here.

# _asio_fswatch_words WORDS...: COMPREPLY gets those of WORDS that begin with $cur, each after
# $prefix (the part of the word already completed: "--backend=", or "create," in a list).
_asio_fswatch_words() {
  local word
  COMPREPLY=()
  for word in "$@"; do
    [[ $word == "$cur"* ]] && COMPREPLY+=("$prefix$word")
  done
  return 0
}

# _asio_fswatch_list WORDS...: one more item of a comma-separated list (-e create,modify).
_asio_fswatch_list() {
  local prefix=$prefix cur=$cur
  if [[ $cur == *,* ]]; then
    prefix+=${cur%,*},
    cur=${cur##*,}
  fi
  _asio_fswatch_words "$@"
}

# _asio_fswatch_paths -f|-d: file names (directories included) or directory names, with the
# '/' after a directory and the quoting that file names need.
_asio_fswatch_paths() {
  local name
  COMPREPLY=()
  compopt -o filenames 2>/dev/null # fails outside a completion (a test calling us directly)
  while IFS= read -r name; do
    COMPREPLY+=("$prefix$name")
  done < <(compgen "$1" -- "$cur")
  return 0
}

# _asio_fswatch_value OPTION [--check]: COMPREPLY for the value of OPTION (with --check, only
# the status); returns 1 when OPTION takes no value.
_asio_fswatch_value() {
  local kind
  case $1 in
  --backend | --ignore-file | --fromfile | --watch | -e | --event | --fs-events | --signal | \
    --busy-signal | --on-busy-update)
    kind=$1 ;;
  --exclude | --include | --exclude-regex | --include-regex | --excludei | --includei | --ext | \
    --poll-interval | --settle | --settle-max | --debounce | --grace | --format | --timefmt | \
    -t | --timeout)
    kind=text ;; # a glob, a regular expression, a number, a format: nothing to offer
  *)
    return 1 ;;
  esac
  [[ ${2-} == --check ]] && return 0
  COMPREPLY=()
  case $kind in
  --backend)
    _asio_fswatch_words auto native poll ;; # as --help names them (inotify: Linux builds only)
  --ignore-file) # a file's name, read in every directory (not a path)
    _asio_fswatch_words .gitignore .ignore ;;
  --fromfile) # a file of PATHs, or - for standard input
    if [[ -z $cur ]]; then COMPREPLY=(-); else _asio_fswatch_paths -f; fi ;;
  --watch)
    _asio_fswatch_paths -f ;;
  -e | --event)
    _asio_fswatch_list create delete delete_self modify attrib moved_from moved_to move close_write \
      created removed modified attributes renamed exchanged overflow ;;
  --fs-events)
    _asio_fswatch_list created removed modified renamed exchanged attributes \
      create remove modify rename metadata ;;
  --signal | --busy-signal)
    _asio_fswatch_words TERM INT HUP QUIT KILL USR1 USR2 ;;
  --on-busy-update)
    _asio_fswatch_words restart queue signal do-nothing ;;
  esac
  return 0
}

_asio_fswatch() {
  local cur=${COMP_WORDS[COMP_CWORD]} cword=$COMP_CWORD prefix=
  COMPREPLY=()

  if ((cword <= 1)); then
    if [[ $cur == -* ]]; then
      _asio_fswatch_words --help -h --version
    else
      _asio_fswatch_words watch run snapshot since demo
    fi
    return 0
  fi

  local command=${COMP_WORDS[1]} options
  case $command in
  watch)
    options='--json --no-recursive --exclude --include --ignore-file --initial --backend
      --poll-interval --settle --settle-max -m --monitor -r --recursive --one-shot -e --event
      --format --timefmt -c --csv -0 --null --no-newline -q --quiet -t --timeout --fromfile
      --exclude-regex --include-regex --excludei --includei -h --help' ;;
  run)
    options='--watch --ext --exclude --include --fs-events --backend --poll-interval --ignore-file
      --no-ignore-files --no-default-ignores --debounce --signal --grace --on-busy-update
      --busy-signal --postpone --clear --exit-on-success --shell -h --help' ;;
  snapshot)
    options='--exclude --ignore-file -h --help' ;;
  since)
    options='--json -0 --null --update --exclude --ignore-file -h --help' ;;
  demo)
    options='--fast -h --help' ;;
  *)
    return 0 ;;
  esac

  # The words between the command and the one completed.
  local -a args=("${COMP_WORDS[@]:2:cword-2}")
  local word i
  if [[ $command == watch ]]; then
    # watch reads --option=value, which readline splits into "--option", "=", "value": put
    # them back together, and complete the value of such a word as the option's.
    args=()
    for ((i = 2; i < cword; ++i)); do
      word=${COMP_WORDS[i]}
      if ((${#args[@]} > 0)) && [[ $word == = || ${COMP_WORDS[i - 1]} == = ]]; then
        args[${#args[@]} - 1]+=$word
      else
        args+=("$word")
      fi
    done
    local equals_option=
    if ((cword >= 3)) && [[ $cur == = ]]; then # just after the '='
      equals_option=${COMP_WORDS[cword - 1]} cur=
    elif ((cword >= 4)) && [[ ${COMP_WORDS[cword - 1]} == = ]]; then
      equals_option=${COMP_WORDS[cword - 2]}
    elif [[ $cur == --*=* ]]; then # '=' is no word break here: the word holds it all
      equals_option=${cur%%=*} prefix=${cur%%=*}= cur=${cur#*=}
    fi
    if [[ $equals_option == -* ]]; then
      _asio_fswatch_value "$equals_option"
      return 0
    fi
  fi

  # Where the operands stand: after "--", and for run from its first word that is not an
  # option (COMMAND; command_start is its index in COMP_WORDS, valid for run, whose words are
  # not joined above).
  local operands=0 ended=0 command_start=-1 position=1 expects_value=0
  for word in "${args[@]}"; do
    ((++position))
    if ((expects_value)); then
      expects_value=0
    elif ((ended || command_start >= 0)); then
      ((++operands))
    elif [[ $word == -- ]]; then
      ended=1
      [[ $command == run ]] && command_start=$((position + 1))
    elif [[ $word == -?* ]]; then
      if [[ $word != --*=* ]] && _asio_fswatch_value "$word" --check; then
        expects_value=1
      fi
    else
      ((++operands))
      [[ $command == run ]] && command_start=$position
    fi
  done

  if ((expects_value)); then
    _asio_fswatch_value "${args[${#args[@]} - 1]}"
    return 0
  fi
  if ((!ended && command_start < 0)) && [[ $cur == -* ]]; then
    # shellcheck disable=SC2086 # the option lists split on white space
    _asio_fswatch_words $options
    return 0
  fi

  case $command in
  watch) # PATH..., or @PATH: a path left out
    if [[ $cur == @* ]]; then
      prefix=@ cur=${cur#@}
    fi
    _asio_fswatch_paths -f ;;
  run) # COMMAND [ARGS...]
    if ((command_start < 0 || command_start == cword)); then
      COMPREPLY=()
      while IFS= read -r word; do
        COMPREPLY+=("$word")
      done < <(compgen -c -- "$cur")
    elif declare -F _comp_command_offset >/dev/null; then
      _comp_command_offset "$command_start"
    elif declare -F _command_offset >/dev/null; then
      _command_offset "$command_start"
    else
      _asio_fswatch_paths -f
    fi ;;
  snapshot) # DIR FILE
    case $operands in
    0) _asio_fswatch_paths -d ;;
    1) _asio_fswatch_paths -f ;;
    esac ;;
  since) # FILE DIR
    case $operands in
    0) _asio_fswatch_paths -f ;;
    1) _asio_fswatch_paths -d ;;
    esac ;;
  esac
  return 0
}

complete -F _asio_fswatch asio-fswatch
