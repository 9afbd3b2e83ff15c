#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The benchmark plots of doc/benchmarks.md: runs the sweeps of the bench programs in a Release
# build, each writing its figures as CSV, then draws them as SVG with gnuplot (doc/plots/plots.gp).
#
#   scripts/plots.sh             sweeps (about 10 minutes; as root, so that cli_startup_bench may
#                                raise fs.inotify.max_user_watches for 200,000 directories), then
#                                draws: doc/plots/*.csv and doc/plots/*.svg, to commit
#   scripts/plots.sh --draw      draws doc/plots/*.svg again from the committed CSV
#   scripts/plots.sh --smoke BUILD OUT
#                                the pipeline on tiny sizes (--quick) with the bench programs of
#                                the build tree BUILD, into OUT (emptied first), and checks the
#                                SVG, then the committed ones; ctest runs it as test
#                                plots_pipeline (its figures mean nothing). Exit status 77, with
#                                the reason, when a sweep cannot run here (no inotifywait, no
#                                pidfd, the inotify watch limit too low)
#
# Run the sweeps on a quiet machine: every figure is a median, but a busy machine moves them.
set -euo pipefail
if [[ ${1:-} == --smoke && $# -eq 3 ]]; then # relative to where it was called from
  smoke_build=$(realpath -m -- "$2") smoke_out=$(realpath -m -- "$3")
fi
cd "$(dirname "$0")/.."

die() { echo "plots.sh: $*" >&2; exit 1; }
skip() { # the test.sh skip record (test/common/skip.hpp), then ctest's skip status
  echo "plots.sh: skipped [$1]: $2"
  [[ -n ${ASIO_FSWATCH_SKIP_LOG:-} ]] && printf 'machine\t%s\tplots_pipeline\t%s\n' "$1" "$2" >> "$ASIO_FSWATCH_SKIP_LOG"
  exit 77
}
command -v gnuplot >/dev/null || die "gnuplot is missing (scripts/install-deps.sh installs gnuplot-nox)"

# The machine and the build, from a CSV's comment lines, for the corner of each plot:
# "2 x AMD EPYC, Linux 6.18, gcc 12.2.0 Release, Boost 1.81.0".
note_of() {
  local cpu kernel build
  cpu=$(sed -n 's/^# nproc: \([0-9]*\) (\(.*\))$/\1 x \2/p' "$1" | head -n1)
  kernel=$(sed -n 's/^# kernel: \([A-Za-z]*\) \([0-9]*\.[0-9]*\).*/\1 \2/p' "$1" | head -n1)
  build=$(sed -n 's/^# build: \([A-Za-z]*\), \([a-z]*\) \([0-9.]*\).*, Boost \([0-9.]*\).*/\2 \3 \1, Boost \4/p' "$1" | head -n1)
  echo "$cpu, $kernel, $build"
}

# draw DATA OUT: the four SVG from DATA's three CSV. A warning of gnuplot's fails; among them a
# line with no point to draw: every line of a plot needs a figure at one point at least (the
# Boost.Asio and Boost.Process lines too, which check() does not require at every point).
draw() {
  local data=$1 out=$2 said
  for csv in startup file_depth child_in_flight; do
    [[ -s $data/$csv.csv ]] || die "$data/$csv.csv is missing: run the sweeps first"
  done
  said=$(gnuplot -e "data='$data'; out='$out'; note='$(note_of "$data/startup.csv")'" doc/plots/plots.gp 2>&1) ||
    die "gnuplot failed: $said"
  [[ -z $said ]] || die "gnuplot warned: $said"
}

# check DATA OUT: each column that plots.gp draws is the figure its title says (a word of the
# column's name, as the bench programs write it); the figures the plots must show, marked + (the
# floors and asio_fswatch's own), are numbers in every row of the CSV (another contender may lack
# a figure at a point, NaN); and each SVG is whole and names each of those lines.
check() {
  local data=$1 out=$2 csv svg title column word required
  declare -A names=(
    [startup]="1=directories|+2=inotifywait: ready|+3=asio-fswatch: ready|+6=inotifywait: peak RSS|+7=asio-fswatch: peak RSS"
    [file_depth]="1=queue depth|2=pread loop|+3=raw io_uring loop|+4=io_uring backend|+5=thread-pool backend|6=Boost.Asio"
    [child_in_flight]="1=children in flight|+2=(the floor)|+3=async_wait(pid), pidfd backend|+4=async_wait(pid), sigchld backend|5=its own async_wait|6=async_wait(process), pidfd backend"
  )
  for csv in "${!names[@]}"; do
    local header
    header=$(grep -v '^#' "$data/$csv.csv" | head -n 1)
    mapfile -t fields < <(printf '%s\n' "$header" | sed 's/^"//; s/"$//; s/","/\n/g')
    IFS='|' read -r -a wanted <<<"${names[$csv]}"
    required=""
    for pair in "${wanted[@]}"; do
      column=${pair%%=*} word=${pair#*=}
      [[ $column == +* ]] && column=${column#+} required+=" $column"
      [[ ${fields[column - 1]:-} == *"$word"* ]] ||
        die "$data/$csv.csv: column $column is '${fields[column - 1]:-}', where plots.gp draws '$word'"
    done
    awk -F, -v columns="$required" -v file="$data/$csv.csv" '
      /^#/ { next }
      !header { header = 1; next }
      { rows++; n = split(columns, c, " ")
        for (i = 1; i <= n; i++)
          if ($c[i] !~ /^[0-9]+(\.[0-9]+)?$/) { printf "%s, row %d: column %d is \"%s\", not a figure\n", file, rows, c[i], $c[i]; bad = 1 } }
      END { if (rows < 2) { printf "%s: %d row(s), a sweep has two or more\n", file, rows; bad = 1 }; exit bad }
    ' "$data/$csv.csv" >&2 || die "a sweep lacks figures (above)"
  done
  declare -A titles=(
    [startup_time]="inotifywait -m -r (the floor)|asio-fswatch watch"
    [startup_memory]="inotifywait -m -r (the floor)|asio-fswatch watch"
    [file_depth]="raw io_uring loop, liburing (the floor)|asio_fswatch, io_uring backend|asio_fswatch, thread-pool backend"
    [child_in_flight]="posix_spawn + waitpid(-1) loop (the floor)|child_watcher, pidfd backend|child_watcher, sigchld backend"
  )
  for svg in "${!titles[@]}"; do
    local file=$out/$svg.svg
    [[ -s $file ]] || die "$file was not drawn"
    tail -n 3 "$file" | grep -q '</svg>' || die "$file is cut short"
    IFS='|' read -r -a wanted <<<"${titles[$svg]}"
    for title in "${wanted[@]}"; do
      grep -qF ">$title<" "$file" || die "$file has no line '$title'"
    done
  done
  echo "plots.sh: the four plots are drawn and whole in $out"
}

case "${1:-}" in
--draw)
  draw doc/plots doc/plots
  check doc/plots doc/plots
  ;;
--smoke)
  [[ $# -eq 3 ]] || die "usage: scripts/plots.sh --smoke BUILD OUT"
  build=$smoke_build out=$smoke_out
  rm -rf "$out"
  mkdir -p "$out"
  # sweep NAME PROGRAM ARGS...: its tables in OUT/NAME.md, its progress in OUT/NAME.log, both
  # shown when it fails.
  sweep() {
    local name=$1
    shift
    "$@" >"$out/$name.md" 2>"$out/$name.log" || die "$* failed (status $?):
$(cat "$out/$name.md" "$out/$name.log")"
  }
  sweep startup "$build/bench/cli_startup_bench" --quick --dirs 10,100 --csv "$out/startup.csv"
  if grep -q '^skipped' "$out/startup.md"; then
    skip inotify "cli_startup_bench: $(grep '^skipped' "$out/startup.md")"
  fi
  sweep file_depth "$build/bench/file_bench" --quick --depths 1,4 --csv "$out/file_depth.csv"
  sweep child_in_flight "$build/bench/child_bench" --quick --in-flight 1,4 --csv "$out/child_in_flight.csv"
  if ! grep -q '^- pidfd_open: available' "$out/child_in_flight.md"; then
    skip pidfd "child_bench: $(grep '^- pidfd_open' "$out/child_in_flight.md"): the plot has a pidfd line"
  fi
  draw "$out" "$out"
  check "$out" "$out"
  # The committed plots: a Release build's sweeps, not --quick's, and each SVG what its CSV
  # draws (compared where this gnuplot is the one that drew them: another draws other bytes).
  for csv in doc/plots/*.csv; do
    grep -q '^# build: Release,' "$csv" || die "$csv is not from a Release build: run scripts/plots.sh"
    ! grep -q -- '--quick' "$csv" || die "$csv is from a --quick run: run scripts/plots.sh"
  done
  mkdir -p "$out/committed"
  draw doc/plots "$out/committed"
  check doc/plots "$out/committed"
  drew=$(sed -n 's/^<desc>Produced by \(.*\) <\/desc>$/\1/p' doc/plots/startup_time.svg)
  here=$(gnuplot --version | sed 's/^gnuplot/GNUPLOT/')
  if [[ $drew != "$here" ]]; then
    echo "plots.sh: skipped the comparison of the committed SVG: drawn by $drew, this is $here"
  else
    for svg in "$out"/committed/*.svg; do
      cmp -s "$svg" "doc/plots/${svg##*/}" ||
        die "doc/plots/${svg##*/} is not what doc/plots/*.csv draw: run scripts/plots.sh --draw and commit"
    done
    echo "plots.sh: the committed SVG are what the committed CSV draw"
  fi
  ;;
"")
  cmake --preset release >/dev/null
  cmake --build build/release -j2 --target asio-fswatch cli_startup_bench file_bench file_bench_asio child_bench
  [[ $(id -u) -eq 0 ]] || echo "plots.sh: not root: cli_startup_bench cannot raise the inotify watch limit" >&2
  bench=build/release/bench
  "$bench/cli_startup_bench" --repeat 5 --dirs 1000,2000,5000,10000,20000,50000,100000,200000 \
    --csv doc/plots/startup.csv | tee build/release/startup_sweep.md
  "$bench/file_bench" --repeat 3 --depths 1,2,4,8,16,32,64,128 --csv doc/plots/file_depth.csv |
    tee build/release/file_depth_sweep.md
  "$bench/child_bench" --repeat 3 --in-flight 1,2,4,8,16,32,64,128,256 --csv doc/plots/child_in_flight.csv |
    tee build/release/child_sweep.md
  draw doc/plots doc/plots
  check doc/plots doc/plots
  ;;
*)
  die "unknown argument '$1' (see the comment at the top of scripts/plots.sh)"
  ;;
esac
