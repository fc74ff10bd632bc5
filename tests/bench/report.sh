#!/bin/bash
# One summary of the last benchmark runs: the final tables (and their
# notes) of commit.sh, replicate.sh and churn.sh, each under a heading
# with the date of its run, into tests/bench/results/report.md and
# stdout.
#
# Usage: tests/bench/report.sh [RESULTS_DIR]	# tests/bench/results
#
# It reads RESULTS_DIR/PART.out, the standard output of each script,
# which the make targets (make bench, bench-commit, bench-replicate,
# bench-churn) keep there; for replicate.sh, whose tables also end
# RESULTS_DIR/latest-replicate.txt, that file when replicate.out is
# missing.  The summary of a part is everything after
# its last result line ("# ...", "commit n=...", "replicate n=...",
# "churn n=...", "churn_raw n=..."): the markdown tables and notes the
# script prints at its end.  A part that has not run is said so.  Exit
# 1 if no part has a summary.

set -u

cd "$(dirname "$0")/../.." || exit 2
RES="${1:-tests/bench/results}"
OUT="$RES/report.md"

# the summary block of one .out file: after the last result line,
# leading blank lines dropped
summary() {
	awk '
	    /^(# |commit n=|replicate n=|replicate_rss_growth |churn n=|churn_raw n=)/ {
		n = 0; delete b; next
	    }
	    { b[++n] = $0 }
	    END {
		for (i = 1; i <= n && b[i] ~ /^[ \t]*$/; i++)
			;
		for (; i <= n; i++)
			print b[i]
	    }' "$1"
}

found=0
{
	echo "# ctsyncd benchmark report"
	echo
	echo "Written $(date -u +%FT%TZ) on $(uname -r), $(nproc) CPUs," \
	    "load $(cut -d' ' -f1-3 /proc/loadavg) now.  Only the ratios" \
	    "mean much: the absolute times move with the load of the machine."
	for part in commit replicate churn; do
		f="$RES/$part.out"
		[ -s "$f" ] || [ "$part" != replicate ] ||
		    f="$RES/latest-replicate.txt"
		echo
		echo "## $part (tests/bench/$part.sh)"
		echo
		if [ ! -s "$f" ]; then
			echo "Not run (no $f)."
			continue
		fi
		when="$(date -u -r "$f" +%FT%TZ)"
		hdr="$(grep -m1 '^# .*benchmark' "$f")"
		s="$(summary "$f")"
		echo "Run finished $when ($f)."
		[ -z "$hdr" ] || echo "${hdr#\# }"
		echo
		if [ -n "$s" ] && grep -q '^|' <<< "$s"; then
			echo "$s"
			found=1
		else
			echo "No table: the run did not finish (see $f)."
		fi
	done
} > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
cat "$OUT"
[ "$found" = 1 ]
