#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The benchmark plots of doc/benchmarks.md: runs the sweeps of the bench programs in a Release
# build, each writing its figures as CSV, then draws them as SVG with gnuplot (doc/plots/plots.gp).
#
#   scripts/plots.sh             sweeps (about 15 minutes; as root, so that cli_startup_bench may
#                                raise fs.inotify.max_user_watches for 200,000 directories), then
#                                draws: doc/plots/*.csv and doc/plots/*.svg, to commit
#   scripts/plots.sh --draw      draws doc/plots/*.svg again from the committed CSV
#   scripts/plots.sh --smoke BUILD OUT
#                                the pipeline on tiny sizes (--quick) with the bench programs of
#                                the build tree BUILD, into OUT, and checks the SVG; ctest runs it
#                                as test plots_pipeline (its figures mean nothing)
#
# Run the sweeps on a quiet machine: every figure is a median, but a busy machine moves them.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "plots.sh: $*" >&2; exit 1; }
command -v gnuplot >/dev/null || die "gnuplot is missing (scripts/install-deps.sh installs gnuplot-nox)"

# The machine and the build, from a CSV's comment lines, for the corner of each plot.
note_of() {
  local cpu kernel build
  cpu=$(sed -n 's/^# nproc: \([0-9]*\) (\(.*\))$/\1 x \2/p' "$1" | head -n1)
  kernel=$(sed -n 's/^# kernel: Linux \([0-9]*\.[0-9]*\).*/Linux \1/p' "$1" | head -n1)
  build=$(sed -n 's/^# build: \([A-Za-z]*\), gcc \([0-9.]*\), Boost \([0-9.]*\).*/gcc \2 \1, Boost \3/p' "$1" | head -n1)
  echo "$cpu, $kernel, $build"
}

# draw DATA OUT: the four SVG from DATA's three CSV. A warning of gnuplot's (a line with no point
# to draw among them) fails.
draw() {
  local data=$1 out=$2 said
  for csv in startup file_depth child_in_flight; do
    [[ -s $data/$csv.csv ]] || die "$data/$csv.csv is missing: run the sweeps first"
  done
  said=$(gnuplot -e "data='$data'; out='$out'; note='$(note_of "$data/startup.csv")'" doc/plots/plots.gp 2>&1) ||
    die "gnuplot failed: $said"
  [[ -z $said ]] || die "gnuplot warned: $said"
}

# check DATA OUT: the figures the plots must show are numbers in every row of the CSV (the floors
# and asio_fswatch's own; another contender may be unavailable here, NaN), and each SVG is whole
# and names each of those lines.
check() {
  local data=$1 out=$2 csv svg title
  declare -A columns=([startup]="2 3 6 7" [file_depth]="3 4 5" [child_in_flight]="2 3 4")
  for csv in "${!columns[@]}"; do
    awk -F, -v columns="${columns[$csv]}" -v file="$data/$csv.csv" '
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
  build=$2 out=$3
  mkdir -p "$out"
  "$build/bench/cli_startup_bench" --quick --dirs 10,100 --csv "$out/startup.csv" >"$out/startup.md"
  "$build/bench/file_bench" --quick --depths 1,4 --csv "$out/file_depth.csv" >"$out/file_depth.md" 2>"$out/file_depth.log"
  "$build/bench/child_bench" --quick --in-flight 1,4 --csv "$out/child_in_flight.csv" >"$out/child_in_flight.md" 2>"$out/child_in_flight.log"
  grep -q '^skipped' "$out/startup.md" && die "cli_startup_bench skipped: $(grep '^skipped' "$out/startup.md")"
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
