#!/usr/bin/env node
// `npm run conformance`: Google's protobuf conformance suite against protozmq's generated codecs
// (issue #3; docs/CONFORMANCE.md).
//
//   npm run conformance [-- options]
//     --testee ts|python     run one testee only (default: both)
//     --runner PATH          use this conformance_test_runner instead of building one
//     --no-generate          reuse the generated code in .cache/conformance/generated
//     --self-check           run the gate against fake testees (test/conformance/fake-testee.js)
//                            and check that it rejects what it must; no generated code needed
//
// Steps: build or find the runner (scripts/conformance.sh, cached in .cache/conformance/), generate
// TS and Python from test/conformance/protos/ (test/conformance/generate.js), make sure .venv exists
// (scripts/venv.js), then run the runner once per testee with its committed failure list and judge
// the output (scripts/conformance-gate.js). The gate fails when a required test fails that is not in
// the list, when a listed test passes (or does not exist), or when any binary/JSON test is skipped.
// Prints passed/failed/skipped per testee; the runner's full output is kept in
// .cache/conformance/last-<testee>.log. Never reads stdin; works under CI=true.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { judge, categorize, parseFailureList } = require('./conformance-gate');

const ROOT = path.resolve(__dirname, '..');
const DIR = path.join(ROOT, 'test', 'conformance');
const CACHE = path.join(ROOT, '.cache', 'conformance');
/** A testee that has not answered the whole suite in this time is killed (the suite takes seconds). */
const TIMEOUT_MS = 10 * 60 * 1000;
/** At most this many groups of failing tests are printed; the log has them all. */
const MAX_GROUPS = 40;

const TESTEES = {
  ts: { program: path.join(DIR, 'run-testee'), failureList: path.join(DIR, 'failing_tests_ts.txt') },
  python: { program: path.join(DIR, 'run-testee-python'), failureList: path.join(DIR, 'failing_tests_python.txt') },
};

function log(msg) {
  console.log(`[conformance] ${msg}`);
}

function parseArgs(argv) {
  const opts = { testees: Object.keys(TESTEES), runner: undefined, generate: true, selfCheck: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--testee') {
      const t = argv[++i];
      if (!TESTEES[t]) throw new Error(`--testee must be one of ${Object.keys(TESTEES).join(', ')}`);
      opts.testees = [t];
    } else if (a === '--runner') opts.runner = path.resolve(argv[++i]);
    else if (a === '--no-generate') opts.generate = false;
    else if (a === '--self-check') opts.selfCheck = true;
    else throw new Error(`unknown argument ${a} (see the top of scripts/conformance.js)`);
  }
  return opts;
}

/** Build the runner if needed; its path. */
function findRunner(explicit) {
  if (explicit) return explicit;
  const t0 = Date.now();
  const r = spawnSync('bash', [path.join(__dirname, 'conformance.sh')], {
    cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`scripts/conformance.sh failed (exit ${r.status})`);
  const runner = r.stdout.trim().split('\n').pop();
  log(`runner: ${path.relative(ROOT, runner)} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  return runner;
}

/**
 * Run the runner on one program; resolves with its stderr and exit code. The runner and the testee
 * it forks share a new process group, which is killed on timeout.
 */
function runSuite(runner, program, failureList) {
  const args = [];
  if (failureList) args.push('--failure_list', failureList);
  args.push(program);
  return new Promise((resolve) => {
    // The runner writes failing_tests.txt & co. into its working directory: keep them out of the repo.
    const workDir = path.join(ROOT, '.cache', 'conformance', 'work');
    fs.mkdirSync(workDir, { recursive: true });
    const child = spawn(runner, args.map((a) => (a.startsWith('-') ? a : path.resolve(ROOT, a))), {
      cwd: workDir, stdio: ['ignore', 'ignore', 'pipe'], detached: true,
    });
    const chunks = [];
    child.stderr.on('data', (c) => chunks.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, TIMEOUT_MS);
    child.on('error', (e) => chunks.push(Buffer.from(`\nconformance.js: cannot run ${runner}: ${e.message}\n`)));
    child.on('close', (code) => {
      clearTimeout(timer);
      let stderr = Buffer.concat(chunks).toString('utf8');
      if (timedOut) stderr += `\nconformance.js: killed after ${TIMEOUT_MS / 1000}s\n`;
      resolve({ stderr, code: timedOut ? null : code });
    });
  });
}

function shorten(s, n = 160) {
  return s.length > n ? `${s.slice(0, n - 3)}...` : s;
}

/** Print one testee's verdict; returns whether the gate passed. */
function report(name, verdict, elapsed, logFile) {
  const c = verdict.counts;
  log(`${name}: passed ${c.passed}, failed ${c.failed}, skipped ${c.skipped} ` +
    `(failed: ${c.requiredFailed} required of which ${c.expectedFailures} listed, ${c.recommendedFailed} recommended; ` +
    `skipped: ${c.binaryJsonSkipped} binary/JSON, ${c.textSkipped} text format) in ${elapsed.toFixed(1)}s`);
  const main = verdict.suites[0];
  if (main) {
    const groups = new Map();
    for (const f of [...main.errors.map((e) => ({ ...e, level: 'required' })), ...main.warnings.map((w) => ({ ...w, level: 'recommended' }))]) {
      const key = `${f.level}: ${categorize(f.name)}`;
      const g = groups.get(key) || { n: 0, example: f };
      g.n++;
      groups.set(key, g);
    }
    const sorted = [...groups].sort((a, b) => b[1].n - a[1].n);
    for (const [key, g] of sorted.slice(0, MAX_GROUPS)) {
      log(`  ${String(g.n).padStart(4)} ${key}  e.g. ${g.example.name}: ${shorten(g.example.reason)}`);
    }
    if (sorted.length > MAX_GROUPS) log(`  ... and ${sorted.length - MAX_GROUPS} more groups (see the runner output)`);
    for (const t of main.nowPassing) log(`  now passes, remove from the list: ${t}`);
    for (const t of main.nonexistent) log(`  listed but no such test: ${t}`);
  }
  for (const p of verdict.problems) log(`  GATE: ${p}`);
  log(`${name}: ${verdict.ok ? 'gate passed' : 'GATE FAILED'} (runner output: ${path.relative(ROOT, logFile)})`);
  return verdict.ok;
}

/** How long a testee may take to answer its first request (it may generate code first). */
const PROBE_TIMEOUT_MS = 180 * 1000;

/**
 * Ask the testee for its failure set, as the runner's first request does, before handing it to the
 * runner: a testee that cannot start would otherwise be respawned for each of ~2,000 tests.
 * Resolves with an error message, or null when the testee sent back a framed response.
 */
function probeTestee(program) {
  const type = Buffer.from('conformance.FailureSet');
  // ConformanceRequest { protobuf_payload: "" (1), requested_output_format: PROTOBUF (3), message_type (4) }
  const req = Buffer.concat([Buffer.from([0x0a, 0x00, 0x18, 0x01, 0x22, type.length]), type]);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(req.length, 0);
  return new Promise((resolve) => {
    const child = spawn(program, [], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let out = Buffer.alloc(0);
    let err = '';
    let done = false;
    const finish = (problem) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdin.end();
      if (problem !== null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      const tail = err.trim().split('\n').slice(-15).map((l) => shorten(l, 300)).join('\n');
      resolve(problem === null ? null : `${problem}${tail ? `; its stderr ends:\n${tail}` : ''}`);
    };
    const timer = setTimeout(() => finish(`no answer within ${PROBE_TIMEOUT_MS / 1000}s`), PROBE_TIMEOUT_MS);
    child.on('error', (e) => finish(`cannot start: ${e.message}`));
    child.stderr.on('data', (c) => { err += c.toString('utf8'); });
    child.stdout.on('data', (c) => {
      out = Buffer.concat([out, c]);
      if (out.length >= 4 && out.length >= 4 + out.readUInt32LE(0)) {
        finish(null); // any framed answer: judging it is the runner's job
      }
    });
    child.on('exit', (code, signal) => finish(`exited (${signal ?? code}) before answering`));
    child.stdin.on('error', () => { /* reported through exit */ });
    child.stdin.write(Buffer.concat([head, req]));
  });
}

async function runTestee(runner, name, program, failureList) {
  const t0 = Date.now();
  const problem = await probeTestee(program);
  if (problem !== null) {
    const verdict = { ok: false, problems: [`the testee does not work: ${problem}`], counts: judge('', 1).counts, suites: [] };
    const logFile = path.join(CACHE, `last-${name}.log`);
    fs.mkdirSync(CACHE, { recursive: true });
    fs.writeFileSync(logFile, `conformance.js: the runner was not started: ${problem}\n`);
    return { verdict, ok: report(name, verdict, (Date.now() - t0) / 1000, logFile) };
  }
  const { stderr, code } = await runSuite(runner, program, failureList);
  fs.mkdirSync(CACHE, { recursive: true });
  const logFile = path.join(CACHE, `last-${name}.log`);
  fs.writeFileSync(logFile, stderr);
  const verdict = judge(stderr, code);
  return { verdict, ok: report(name, verdict, (Date.now() - t0) / 1000, logFile) };
}

/** The gate must reject a testee that skips everything and a list naming a passing test, and accept a complete list. */
async function selfCheck(runner) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'protozmq-conformance-'));
  const fake = (mode) => {
    const p = path.join(tmp, `fake-${mode}`);
    fs.writeFileSync(p, `#!/bin/sh\nexec "${process.execPath}" "${path.join(DIR, 'fake-testee.js')}" ${mode}\n`, { mode: 0o755 });
    return p;
  };
  const checks = [];
  const expect = (what, cond) => {
    checks.push(cond);
    log(`self-check: ${cond ? 'ok  ' : 'FAIL'} ${what}`);
  };

  const skip = await runTestee(runner, 'fake-skip', fake('skip'), undefined);
  expect('a testee that skips everything fails the gate (the runner itself says PASSED)',
    !skip.ok && skip.verdict.suites[0]?.passed === true && skip.verdict.problems.some((p) => p.includes('skipped')));

  const echo = await runTestee(runner, 'fake-echo', fake('echo'), undefined);
  const failing = echo.verdict.suites[0]?.errors.map((e) => e.name) ?? [];
  expect('required failures that are not listed fail the gate', !echo.ok && failing.length > 0);

  const list = path.join(tmp, 'failing.txt');
  fs.writeFileSync(list, `# everything the echo testee fails\n${failing.join('\n')}\n`);
  const listed = await runTestee(runner, 'fake-echo-listed', fake('echo'), list);
  expect('the same failures, listed, pass the gate', listed.ok && listed.verdict.counts.expectedFailures === failing.length);

  const passing = 'Required.Proto3.ProtobufInput.ValidDataScalar.INT32[0].ProtobufOutput';
  const probe = fs.readFileSync(path.join(CACHE, 'last-fake-echo.log'), 'utf8').includes(passing);
  fs.writeFileSync(list, `${failing.join('\n')}\n${passing}\nRequired.NoSuchTest\n`);
  const stale = await runTestee(runner, 'fake-echo-stale', fake('echo'), list);
  expect('a listed test that passes, and a listed test that does not exist, fail the gate',
    !probe && !stale.ok && stale.verdict.suites[0]?.nowPassing.includes(passing) &&
    stale.verdict.suites[0]?.nonexistent.includes('Required.NoSuchTest'));

  fs.rmSync(tmp, { recursive: true, force: true });
  const ok = checks.every(Boolean);
  log(ok ? 'self-check passed: the gate rejects what it must' : 'SELF-CHECK FAILED');
  return ok;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const runner = findRunner(opts.runner);
  if (opts.selfCheck) return (await selfCheck(runner)) ? 0 : 1;

  let genErrors = {};
  if (opts.generate) {
    const t0 = Date.now();
    genErrors = require(path.join(DIR, 'generate.js')).generate(opts.testees);
    const failed = Object.keys(genErrors);
    log(`generated ${opts.testees.filter((t) => !failed.includes(t)).join(' and ') || 'nothing'} from test/conformance/protos` +
      `${failed.length ? `; FAILED for ${failed.join(', ')}` : ''} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  }
  if (opts.testees.includes('python')) {
    require('./venv').ensureVenv({ root: ROOT });
  }
  let ok = true;
  for (const name of opts.testees) {
    const t = TESTEES[name];
    if (genErrors[name]) {
      const lines = genErrors[name].trim().split('\n');
      log(`${name}: GATE FAILED: protozmq could not generate the conformance protos:`);
      for (const l of lines.slice(0, 30)) log(`  ${l}`);
      if (lines.length > 30) log(`  ... (${lines.length - 30} more lines)`);
      ok = false;
      continue;
    }
    const listed = parseFailureList(fs.readFileSync(t.failureList, 'utf8')).length;
    log(`${name}: running ${path.relative(ROOT, t.program)} (${listed} test(s) in ${path.relative(ROOT, t.failureList)})`);
    const r = await runTestee(runner, name, t.program, t.failureList);
    ok = r.ok && ok;
  }
  log(ok ? 'conformance gate passed' : 'CONFORMANCE GATE FAILED');
  return ok ? 0 : 1;
}

main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(`[conformance] error: ${err.message}`);
    process.exitCode = 1;
  },
);
