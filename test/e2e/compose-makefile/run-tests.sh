# The "test suite": a line of output, a JUnit report in /reports, the exit code asked for.
mkdir -p /reports
failures=0
[ "$EXIT_CODE" = 0 ] || failures=1
echo "<testsuite name=\"todo\" tests=\"1\" failures=\"$failures\"></testsuite>" > /reports/unittests.xml
echo "ran 1 test, $failures failed"
exit "$EXIT_CODE"
