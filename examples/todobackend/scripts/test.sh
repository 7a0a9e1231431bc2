#!/bin/sh
# Runs test suites from the compiled tests in dist/test/<suite>/ and writes a JUnit report for each to
# reports/<suite>.xml (the test image's CMD; the compose files pass the suites to run).
#   sh scripts/test.sh                 unit, then integration
#   sh scripts/test.sh acceptance      the acceptance suite (needs BASE_URL)
# Every named suite runs even when an earlier one failed, so each leaves its report. The exit status is
# the first failing suite's own status from node's test runner, never masked: 0 only if all passed.
set -u
cd "$(dirname "$0")/.." || exit 2

REPORTS_DIR=${REPORTS_DIR:-reports}
[ "$#" -gt 0 ] || set -- unit integration

for suite in "$@"; do
  if [ ! -d "dist/test/$suite" ]; then
    echo "test.sh: no compiled suite dist/test/$suite (known: $(ls dist/test 2>/dev/null | grep -vx support | tr '\n' ' '))" >&2
    exit 2
  fi
done

mkdir -p "$REPORTS_DIR" || exit 2
status=0
for suite in "$@"; do
  echo "== $suite tests =="
  # One reporter for the log, one for the report. Suites share nothing but the database, so node may
  # run their files in parallel.
  node --test \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=junit --test-reporter-destination="$REPORTS_DIR/$suite.xml" \
    "dist/test/$suite"
  code=$?
  echo "== $suite tests: exit $code, report $REPORTS_DIR/$suite.xml =="
  if [ "$status" -eq 0 ]; then status=$code; fi
done
exit "$status"
