# SPDX-License-Identifier: BSL-1.0
# The benchmark plots, as SVG, from the CSV the sweeps write (scripts/plots.sh runs this):
#   gnuplot -e "data='DIR'; out='DIR'; note='machine and build'" doc/plots/plots.gp
# Reads DIR/startup.csv (cli_startup_bench --dirs), DIR/file_depth.csv (file_bench --depths) and
# DIR/child_in_flight.csv (child_bench --in-flight); writes startup_time.svg, startup_memory.svg,
# file_depth.svg and child_in_flight.svg. In each CSV, lines that begin with "#" say where the
# figures come from, the first other line names the columns, and NaN is a figure a run did not
# give (left out of the line).

if (!exists("data")) data = "doc/plots"
if (!exists("out")) out = data
if (!exists("note")) note = ""

set terminal svg size 760,520 font "sans,12" background "white" noenhanced
set datafile separator ","
set datafile missing "NaN"
set key autotitle columnheader
set key top left opaque box
set grid xtics ytics mxtics mytics lc "#dddddd"
set style data linespoints
set pointsize 0.9
set label 1 note at screen 0.99, 0.975 right font "sans,9" textcolor "#666666"
set format y "%g"

# The floor is black; asio_fswatch's own lines are the strong colours.
floor = "lw 2 lc '#000000' pt 7"
ours1 = "lw 2.5 lc '#d1495b' pt 5"
ours2 = "lw 2.5 lc '#00798c' pt 9"
other1 = "lw 1.5 lc '#edae49' pt 11 dt 2"
other2 = "lw 1.5 lc '#66a182' pt 13 dt 2"

# Startup against tree size, from cli_startup_bench --dirs.
set logscale x 10
set logscale y 10
set autoscale xfix
set offsets graph 0.04, graph 0.04, 0, 0
set xlabel "directories in the tree"
set format x "%.0f"
set output out . "/startup_time.svg"
set title "Time until every watch is set (ready), against tree size"
set ylabel "time to ready (ms, median)"
plot data . "/startup.csv" using 1:2 title "inotifywait -m -r (the floor)" @floor, \
     ""                    using 1:3 title "asio-fswatch watch" @ours1

set output out . "/startup_memory.svg"
set title "Peak memory (RSS) until ready, against tree size"
set ylabel "peak resident memory (MiB, median)"
plot data . "/startup.csv" using 1:6 title "inotifywait -m -r (the floor)" @floor, \
     ""                    using 1:7 title "asio-fswatch watch" @ours1

# Random 4 KiB reads against queue depth, from file_bench --depths.
set logscale x 2
unset logscale y
set yrange [0:*]
set format x "%g"
set xlabel "operations in flight (queue depth)"
set output out . "/file_depth.svg"
set title "Random 4 KiB reads of a page-cached file, against queue depth"
set ylabel "thousand reads per second (median)"
set key at screen 0.5, screen 0.02 center bottom maxrows 3 width -8
set bmargin 8
plot data . "/file_depth.csv" using 1:($3/1000) title "raw io_uring loop, liburing (the floor)" @floor, \
     ""                       using 1:($4/1000) title "asio_fswatch, io_uring backend" @ours1, \
     ""                       using 1:($5/1000) title "asio_fswatch, thread-pool backend" @ours2, \
     ""                       using 1:($6/1000) title "Boost.Asio random_access_file (io_uring)" @other1, \
     ""                       using 1:($2/1000) title "pread loop, one at a time (no depth)" @other2

# Spawn and wait against children in flight, from child_bench --in-flight.
set xlabel "children running at once"
set output out . "/child_in_flight.svg"
set title "Spawning /bin/true and waiting for it, against children in flight"
set ylabel "children per second (median)"
plot data . "/child_in_flight.csv" using 1:2 title "posix_spawn + waitpid(-1) loop (the floor)" @floor, \
     ""                            using 1:3 title "child_watcher, pidfd backend" @ours1, \
     ""                            using 1:4 title "child_watcher, sigchld backend" @ours2, \
     ""                            using 1:5 title "Boost.Process v2, its own async_wait" @other1, \
     ""                            using 1:6 title "Boost.Process v2 + child_watcher (pidfd)" @other2
set output
