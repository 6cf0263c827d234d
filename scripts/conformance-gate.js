// The conformance gate (issue #3): read what Google's conformance_test_runner (3.21.12) printed for
// one testee and decide whether CI passes. Pure functions, no I/O; scripts/conformance.js runs the
// runner, test/conformance/gate.test.ts feeds these canned output.
//
// The runner runs two suites with the same testee, binary+JSON first, then text format, and after
// each writes a block to stderr:
//
//   CONFORMANCE TEST BEGIN ====================================
//   ERROR, test=<name>: <reason> request=<...>, response=<...>      required test failed, not listed
//   WARNING, test=<name>: <reason> request=<...>, response=<...>    recommended test failed
//   ERROR: test <name> is in the failure list, but test succeeded.  Remove it from the failure list.
//   <header sentence>                                               then one "  <name>" line per test
//   CONFORMANCE SUITE PASSED|FAILED: N successes, N skipped, N expected failures, N unexpected failures.
//
// The runner stops after the first suite that fails, so a failed binary+JSON suite has no text block.
'use strict';

const SUMMARY = /^CONFORMANCE SUITE (PASSED|FAILED): (\d+) successes, (\d+) skipped, (\d+) expected failures, (\d+) unexpected failures\.$/;
const BEGIN = /^CONFORMANCE TEST BEGIN =+$/;
const FAILURE_LINE = /^(ERROR|WARNING), test=(\S+?): (.*?)(?: request=.*)?$/;
const NOW_PASSING = /^ERROR: test (\S+) is in the failure list, but test succeeded\./;
const LIST_HEADERS = [
  ['nonexistent', /^These tests were listed in the failure list, but they don't exist\./],
  ['failed', /^These tests failed\./],
  ['nowPassing', /^These tests succeeded, even though they were listed in the failure list\./],
  ['skippedList', /^These tests were skipped/],
];

/** The suites in the order the runner runs them (conformance_test_main.cc). */
const SUITE_NAMES = ['binary+json', 'text format'];

/**
 * Split the runner's stderr into its suite blocks.
 * @returns {{name: string, passed: boolean, successes: number, skipped: number, expectedFailures: number,
 *   unexpectedFailures: number, errors: {name: string, reason: string}[], warnings: {name: string, reason: string}[],
 *   nowPassing: string[], nonexistent: string[]}[]}
 */
function parseRunnerOutput(text) {
  const suites = [];
  let cur = null;
  let list = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (BEGIN.test(line)) {
      cur = {
        name: SUITE_NAMES[suites.length] || `suite ${suites.length + 1}`,
        passed: false, successes: 0, skipped: 0, expectedFailures: 0, unexpectedFailures: 0,
        errors: [], warnings: [], nowPassing: [], nonexistent: [], complete: false,
      };
      suites.push(cur);
      list = null;
      continue;
    }
    if (cur === null || cur.complete) continue;
    const summary = SUMMARY.exec(line);
    if (summary) {
      cur.passed = summary[1] === 'PASSED';
      cur.successes = Number(summary[2]);
      cur.skipped = Number(summary[3]);
      cur.expectedFailures = Number(summary[4]);
      cur.unexpectedFailures = Number(summary[5]);
      cur.complete = true;
      continue;
    }
    const header = LIST_HEADERS.find(([, re]) => re.test(line));
    if (header) {
      list = header[0];
      continue;
    }
    if (list !== null && /^ {2}\.\/update_failure_list\.py /.test(line)) continue; // the header's own hint
    if (list !== null && /^ {2}\S/.test(line)) {
      const name = line.trim();
      if (list === 'nonexistent' && !cur.nonexistent.includes(name)) cur.nonexistent.push(name);
      if (list === 'nowPassing' && !cur.nowPassing.includes(name)) cur.nowPassing.push(name);
      continue;
    }
    if (line.trim() === '' ) continue;
    list = null;
    const now = NOW_PASSING.exec(line);
    if (now) {
      if (!cur.nowPassing.includes(now[1])) cur.nowPassing.push(now[1]);
      continue;
    }
    const failure = FAILURE_LINE.exec(line);
    if (failure) {
      const entry = { name: failure[2], reason: failure[3] };
      (failure[1] === 'ERROR' ? cur.errors : cur.warnings).push(entry);
    }
  }
  return suites.filter((s) => s.complete).map(({ complete, ...s }) => s); // eslint-disable-line no-unused-vars
}

/**
 * The gate's verdict for one testee.
 *
 * @param {string} stderr what the runner wrote to stderr
 * @param {number|null} exitCode the runner's exit status (null if it was killed)
 * @returns {{ok: boolean, problems: string[], counts: {passed: number, failed: number, skipped: number,
 *   requiredFailed: number, recommendedFailed: number, expectedFailures: number, binaryJsonSkipped: number,
 *   textSkipped: number}, suites: ReturnType<typeof parseRunnerOutput>}}
 */
function judge(stderr, exitCode) {
  const suites = parseRunnerOutput(stderr);
  const problems = [];
  const main = suites[0];
  const text = suites[1];
  if (!main) {
    problems.push('the runner printed no binary+JSON summary (it crashed, or the testee broke the protocol)');
  } else {
    if (main.unexpectedFailures > 0 || main.errors.length > 0) {
      const n = Math.max(main.unexpectedFailures, main.errors.length);
      problems.push(`${n} required test(s) failed that are not in the failure list`);
    }
    if (main.nowPassing.length > 0) {
      problems.push(`${main.nowPassing.length} test(s) in the failure list now pass: remove them from the list`);
    }
    if (main.nonexistent.length > 0) {
      problems.push(`${main.nonexistent.length} test(s) in the failure list do not exist`);
    }
    if (main.skipped > 0) {
      problems.push(`${main.skipped} binary/JSON test(s) were skipped (must be 0: the runner counts a skip as a pass)`);
    }
    if (main.passed && !text) {
      problems.push('the runner printed no text-format summary after a passing binary+JSON suite');
    }
  }
  if (text && !text.passed) {
    problems.push(`the text-format suite failed (${text.unexpectedFailures} unexpected failure(s)); the testee should answer "skipped" there`);
  }
  if (exitCode !== 0 && problems.length === 0) {
    problems.push(`the runner exited with ${exitCode === null ? 'a signal' : exitCode}`);
  }
  const sum = (k) => suites.reduce((n, s) => n + s[k], 0);
  const requiredFailed = sum('expectedFailures') + sum('unexpectedFailures');
  const recommendedFailed = suites.reduce((n, s) => n + s.warnings.length, 0);
  return {
    ok: problems.length === 0,
    problems,
    counts: {
      passed: sum('successes'),
      failed: requiredFailed + recommendedFailed,
      skipped: sum('skipped'),
      requiredFailed,
      recommendedFailed,
      expectedFailures: sum('expectedFailures'),
      binaryJsonSkipped: main ? main.skipped : 0,
      textSkipped: text ? text.skipped : 0,
    },
    suites,
  };
}

/** Test names of a failure-list file's text, as the runner reads them: whitespace removed, `#` comments dropped. */
function parseFailureList(text) {
  return text
    .split('\n')
    .map((l) => l.replace(/\s+/g, '').split('#')[0])
    .filter((l) => l !== '');
}

/** Type words the suite appends to test names that are otherwise the same check (`OneofZeroDouble`). */
const TYPE_SUFFIX = /(Double|Float|Int32|Int64|Uint32|Uint64|Sint32|Sint64|Fixed32|Fixed64|Sfixed32|Sfixed64|Bool|String|Bytes|Enum|Message)$/;

/**
 * A short category for a failing test, for grouping in reports: the input format, the check's name
 * without its type variant, and the output (or `Validator`), e.g.
 * `Required.Proto3.ProtobufInput.PrematureEofInPackedField.SINT64` -> `ProtobufInput PrematureEofInPackedField`,
 * `Recommended.Proto3.JsonInput.OneofZeroDouble.JsonOutput` -> `JsonInput OneofZero* -> JsonOutput`.
 */
function categorize(name) {
  const parts = name.split('.');
  // Level.Syntax.InputFormat.Check[.Variant...][.OutputFormat|.Validator]
  const input = parts[2] || '';
  const last = parts[parts.length - 1];
  const output = /Output$|^Validator$/.test(last) && parts.length > 4 ? last : '';
  const check = (parts[3] || '').replace(/\[\d+\]$/, '').replace(TYPE_SUFFIX, '*');
  return `${input} ${check}${output ? ` -> ${output}` : ''}`;
}

module.exports = { parseRunnerOutput, judge, parseFailureList, categorize };
