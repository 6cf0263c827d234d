/**
 * The conformance gate's reading of conformance_test_runner output (scripts/conformance-gate.js), on
 * canned output in the 3.21.12 runner's format. The live check of the same rules against the real
 * runner and fake testees is `npm run conformance -- --self-check`.
 */
import * as path from "path";

interface Failure { name: string; reason: string }
interface Suite {
  name: string; passed: boolean; successes: number; skipped: number; expectedFailures: number;
  unexpectedFailures: number; errors: Failure[]; warnings: Failure[]; nowPassing: string[]; nonexistent: string[];
}
interface Verdict {
  ok: boolean;
  problems: string[];
  counts: { passed: number; failed: number; skipped: number; requiredFailed: number; recommendedFailed: number;
    expectedFailures: number; binaryJsonSkipped: number; textSkipped: number };
  suites: Suite[];
}
interface Gate {
  parseRunnerOutput(text: string): Suite[];
  judge(stderr: string, exitCode: number | null): Verdict;
  parseFailureList(text: string): string[];
  categorize(name: string): string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain CommonJS script
const gate = require(path.join(__dirname, "../../scripts/conformance-gate.js")) as Gate;

const BEGIN = "\nCONFORMANCE TEST BEGIN ====================================\n\n";
const summary = (ok: boolean, s: number, k: number, e: number, u: number): string =>
  `CONFORMANCE SUITE ${ok ? "PASSED" : "FAILED"}: ${s} successes, ${k} skipped, ${e} expected failures, ${u} unexpected failures.\n\n`;
const TEXT_SUITE = BEGIN + summary(true, 0, 120, 0, 0);

describe("conformance gate", () => {
  test("a clean run passes and is counted", () => {
    const v = gate.judge(BEGIN + summary(true, 2017, 0, 0, 0) + TEXT_SUITE, 0);
    expect(v.ok).toBe(true);
    expect(v.counts).toMatchObject({ passed: 2017, failed: 0, skipped: 120, binaryJsonSkipped: 0, textSkipped: 120 });
  });

  test("skipped binary/JSON tests fail the gate although the runner says PASSED", () => {
    const v = gate.judge(BEGIN + summary(true, 0, 2017, 0, 0) + TEXT_SUITE, 0);
    expect(v.ok).toBe(false);
    expect(v.problems.join("\n")).toMatch(/2017 binary\/JSON test\(s\) were skipped/);
  });

  test("recommended failures are counted but do not fail the gate", () => {
    const out = BEGIN +
      "WARNING, test=Recommended.Proto3.JsonInput.FieldNameDuplicate: Should have failed to parse, but didn't. request=json_payload: \"{}\", response=json_payload: \"{}\"\n" +
      summary(true, 2016, 0, 0, 0) + TEXT_SUITE;
    const v = gate.judge(out, 0);
    expect(v.ok).toBe(true);
    expect(v.counts.recommendedFailed).toBe(1);
    expect(v.counts.failed).toBe(1);
    expect(v.suites[0]!.warnings).toEqual([
      { name: "Recommended.Proto3.JsonInput.FieldNameDuplicate", reason: "Should have failed to parse, but didn't." },
    ]);
  });

  test("unlisted required failures fail the gate; the runner stops before the text suite", () => {
    const out = BEGIN +
      "ERROR, test=Required.Proto3.JsonInput.DurationJsonInputTooLarge: Should have failed to parse, but didn't. request=x, response=y\n" +
      "\nThese tests failed.  If they can't be fixed right now, you can add them to the failure list so the overall suite can succeed.  Add them to the failure list by running:\n" +
      "  ./update_failure_list.py failing.txt --add failing_tests.txt\n\n" +
      "  Required.Proto3.JsonInput.DurationJsonInputTooLarge\n\n" +
      summary(false, 2016, 0, 0, 1);
    const v = gate.judge(out, 1);
    expect(v.ok).toBe(false);
    expect(v.suites).toHaveLength(1);
    expect(v.suites[0]!.errors.map((e) => e.name)).toEqual(["Required.Proto3.JsonInput.DurationJsonInputTooLarge"]);
    expect(v.problems.join("\n")).toMatch(/1 required test\(s\) failed/);
  });

  test("listed tests that pass or do not exist fail the gate", () => {
    const out = BEGIN +
      "ERROR: test Required.Proto3.ProtobufInput.ValidDataScalar.INT32[0].ProtobufOutput is in the failure list, but test succeeded.  Remove it from the failure list.\n" +
      "\nThese tests were listed in the failure list, but they don't exist.  Remove them from the failure list by running:\n" +
      "  ./update_failure_list.py f.txt --remove nonexistent_tests.txt\n\n  Required.NoSuchTest\n\n" +
      "\nThese tests succeeded, even though they were listed in the failure list.  Remove them from the failure list by running:\n" +
      "  ./update_failure_list.py f.txt --remove succeeding_tests.txt\n\n  Required.Proto3.ProtobufInput.ValidDataScalar.INT32[0].ProtobufOutput\n\n" +
      summary(false, 2017, 0, 0, 0);
    const v = gate.judge(out, 1);
    expect(v.ok).toBe(false);
    expect(v.suites[0]!.nowPassing).toEqual(["Required.Proto3.ProtobufInput.ValidDataScalar.INT32[0].ProtobufOutput"]);
    expect(v.suites[0]!.nonexistent).toEqual(["Required.NoSuchTest"]);
  });

  test("no summary at all (runner crashed) fails the gate", () => {
    const v = gate.judge("[libprotobuf FATAL conformance_test_runner.cc:331] FindFailures: error reading from test program\n", null);
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatch(/no binary\+JSON summary/);
  });

  test("a failing text-format suite fails the gate", () => {
    const v = gate.judge(BEGIN + summary(true, 2017, 0, 0, 0) + BEGIN + summary(false, 0, 100, 0, 20), 1);
    expect(v.ok).toBe(false);
    expect(v.problems.join("\n")).toMatch(/text-format suite failed/);
  });

  test("failure lists read like the runner reads them", () => {
    expect(gate.parseFailureList("# header\n\nRequired.A  # why\n  Required.B\n#Required.C\n")).toEqual(["Required.A", "Required.B"]);
  });

  test("categories drop the type variant", () => {
    expect(gate.categorize("Recommended.Proto3.JsonInput.OneofZeroDouble.JsonOutput")).toBe("JsonInput OneofZero* -> JsonOutput");
    expect(gate.categorize("Required.Proto2.ProtobufInput.PrematureEofInPackedField.SINT64")).toBe("ProtobufInput PrematureEofInPackedField");
    expect(gate.categorize("Required.Proto3.JsonInput.DurationHas3FractionalDigits.Validator")).toBe("JsonInput DurationHas3FractionalDigits -> Validator");
  });
});
