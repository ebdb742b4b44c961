#!/usr/bin/env bash
# all.sh: run every integration script (each ends with "N passed, M failed",
# then ", K skipped" if a check could not run here) and close with the sums,
# so one line reports the whole integration suite.
set -u
cd "$(dirname "$0")"
passed=0 failed=0 skipped=0 rc=0
for script in run.sh dispatcher.sh dispatcher_clients.sh reliability.sh badinput.sh delivery.sh ops.sh deadlines.sh procedure.sh report.sh auth.sh topics.sh readme.sh register.sh search.sh clock.sh monitor.sh handheld.sh resident.sh board.sh assets.sh planned.sh hq.sh; do
	echo "# $script"
	out=$(mktemp)
	bash "$script" 2>&1 | tee "$out"
	[ "${PIPESTATUS[0]}" = 0 ] || rc=1
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	rm -f "$out"
	if [ -z "$last" ]; then
		echo "# $script ended without a summary"
		failed=$((failed + 1))
		rc=1
		continue
	fi
	passed=$((passed + ${last%% passed*}))
	f=${last#*, }
	failed=$((failed + ${f%% failed*}))
	case $last in *skipped*) s=${last##*, } && skipped=$((skipped + ${s%% skipped*})) ;; esac
done
echo "integration: $passed passed, $failed failed, $skipped skipped"
exit $rc
