#!/usr/bin/env node
// `npm test`: every test suite, TypeScript and Python, with one summary line at the end.
//
//   1. node scripts/venv.js             (create/refresh .venv when its inputs changed)
//   2. npx jest                         (test/**/*.test.ts; see jest.config.js)
//   3. .venv/bin/python -m pytest       (test/**/test_*.py; see pytest.ini)
//
// Both runners always run and print their own output. The script exits non-zero if either
// fails; pytest's exit code 5 ("no tests collected") counts as a failure too. The last line it
// prints is `N passed, N failed` (plus `, N skipped` when some were), summed over both runners
// from jest's --json report and pytest's JUnit XML. Never reads stdin; works under CI=true.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ensureVenv } = require('./venv');

const ROOT = path.resolve(__dirname, '..');
const PYTEST_NO_TESTS = 5;

function banner(title) {
  console.log(`\n=== ${title} ===`);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) {
    console.error(`could not run ${command}: ${result.error.message}`);
    return 127;
  }
  return result.status ?? 128;
}

// Counts from jest's --json output file. Suites that failed to run at all (syntax errors, import
// errors) have no test results, so each counts as one failure.
function jestCounts(file, status) {
  let report;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return { passed: 0, failed: 1, skipped: 0, note: 'jest wrote no report' };
  }
  const counts = {
    passed: report.numPassedTests,
    failed: report.numFailedTests + report.numRuntimeErrorTestSuites,
    skipped: report.numPendingTests + report.numTodoTests,
  };
  if (status !== 0 && counts.failed === 0) {
    counts.failed = 1;
    counts.note = `jest exited with ${status} (no tests found, or a failure outside a test)`;
  }
  return counts;
}

// Counts from pytest's JUnit XML: one <testsuite tests= failures= errors= skipped=> element.
function pytestCounts(file, status) {
  let xml;
  try {
    xml = fs.readFileSync(file, 'utf8');
  } catch {
    return { passed: 0, failed: 1, skipped: 0, note: 'pytest wrote no report' };
  }
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const [, attrs] of xml.matchAll(/<testsuite\s([^>]*)>/g)) {
    const attr = (name) => Number((attrs.match(new RegExp(`\\b${name}="(\\d+)"`)) || [])[1] || 0);
    const failed = attr('failures') + attr('errors');
    counts.failed += failed;
    counts.skipped += attr('skipped');
    counts.passed += attr('tests') - failed - attr('skipped');
  }
  if (status === PYTEST_NO_TESTS) {
    counts.failed += 1;
    counts.note = 'pytest collected no tests (exit code 5)';
  } else if (status !== 0 && counts.failed === 0) {
    counts.failed = 1;
    counts.note = `pytest exited with ${status}`;
  }
  return counts;
}

function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'protozmq-test-'));
  const jestReport = path.join(tmp, 'jest.json');
  const pytestReport = path.join(tmp, 'pytest.xml');

  banner('python environment');
  let python;
  try {
    python = ensureVenv({ root: ROOT });
  } catch (err) {
    console.error(`[venv] error: ${err.message}`);
  }

  banner('jest (TypeScript)');
  const jestStatus = run('npx', ['jest', '--json', `--outputFile=${jestReport}`]);
  const jest = jestCounts(jestReport, jestStatus);

  banner('pytest (Python)');
  let pytest;
  let pytestStatus;
  if (python) {
    pytestStatus = run(python, ['-m', 'pytest', `--junitxml=${pytestReport}`]);
    pytest = pytestCounts(pytestReport, pytestStatus);
  } else {
    pytestStatus = 1;
    pytest = { passed: 0, failed: 1, skipped: 0, note: 'no Python environment, pytest not run' };
  }

  fs.rmSync(tmp, { recursive: true, force: true });

  banner('summary');
  for (const [name, counts, status] of [['jest', jest, jestStatus], ['pytest', pytest, pytestStatus]]) {
    const note = counts.note ? ` (${counts.note})` : '';
    console.log(`${name} (exit ${status}): passed ${counts.passed}, failed ${counts.failed}, skipped ${counts.skipped}${note}`);
  }
  const passed = jest.passed + pytest.passed;
  const failed = jest.failed + pytest.failed;
  const skipped = jest.skipped + pytest.skipped;
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return jestStatus === 0 && pytestStatus === 0 && failed === 0 ? 0 : 1;
}

process.exitCode = main();
