/**
 * The `protozmq` command line: argument and config-file wiring around `generate.ts`. No generation
 * logic lives here.
 */
import * as fs from "fs";
import * as path from "path";
import yargs from "yargs";
import { SchemaError, formatDiagnostic } from "./model/diagnostics";
import { checkOutput, generate, newTypeCheckMemo, writeOutput, type GenerateOptions } from "./generate";
import type { TypeCheckMemo } from "./emit/ts";

/** Name of the config file `protozmq generate` reads when run without inputs. */
export const CONFIG_FILE = "protozmq.config.json";

/** Shape of `protozmq.config.json`. Paths are relative to the config file. */
export interface ConfigFile {
  inputs?: string[];
  include?: string[];
  tsOut?: string;
  pyOut?: string;
  runtimeImport?: string;
  typeCheck?: boolean;
}

export interface CliIO {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const defaultIO: CliIO = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
};

class UsageError extends Error {}

function readConfig(file: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`${file}: cannot read config: ${(e as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new UsageError(`${file}: config must be a JSON object`);
  const known = new Set(["inputs", "include", "tsOut", "pyOut", "runtimeImport", "typeCheck", "$schema"]);
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) throw new UsageError(`${file}: unknown config key "${key}" (known: ${[...known].filter((k) => k !== "$schema").join(", ")})`);
  }
  const c = parsed as ConfigFile;
  for (const key of ["inputs", "include"] as const) {
    const v = c[key];
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== "string"))) {
      throw new UsageError(`${file}: "${key}" must be an array of strings`);
    }
  }
  for (const key of ["tsOut", "pyOut", "runtimeImport"] as const) {
    if (c[key] !== undefined && typeof c[key] !== "string") throw new UsageError(`${file}: "${key}" must be a string`);
  }
  if (c.typeCheck !== undefined && typeof c.typeCheck !== "boolean") throw new UsageError(`${file}: "typeCheck" must be true or false`);
  return c;
}

interface GenerateArgs {
  files: string[];
  include: string[];
  "ts-out"?: string;
  "py-out"?: string;
  "runtime-import"?: string;
  config?: string;
  check: boolean;
  watch: boolean;
  "type-check"?: boolean;
}

/** Merge command-line arguments over the config file (arguments win). */
function resolveOptions(args: GenerateArgs): { options: GenerateOptions; outDirs: string[] } {
  // An explicit command line (input files given) is taken as complete: the config file in the working
  // directory applies only to a bare `protozmq generate`, or when named with --config.
  const configPath = args.config ?? (args.files.length === 0 && fs.existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  const config = configPath !== undefined ? readConfig(configPath) : {};
  const base = configPath !== undefined ? path.dirname(configPath) : ".";
  const rel = (p: string): string => path.normalize(path.join(base, p));
  const inputs = args.files.length > 0 ? args.files : (config.inputs ?? []).map(rel);
  if (inputs.length === 0) {
    throw new UsageError(`no input files: pass .proto files or directories, or create ${CONFIG_FILE} (see --help)`);
  }
  const includeDirs = args.include.length > 0 ? args.include : (config.include ?? []).map(rel);
  const tsOut = args["ts-out"] ?? (config.tsOut !== undefined ? rel(config.tsOut) : undefined);
  const pyOut = args["py-out"] ?? (config.pyOut !== undefined ? rel(config.pyOut) : undefined);
  if (tsOut === undefined && pyOut === undefined) throw new UsageError("nothing to generate: give --ts-out and/or --py-out");
  const runtimeImport = args["runtime-import"] ?? config.runtimeImport;
  const typeCheck = args["type-check"] ?? config.typeCheck;
  const options: GenerateOptions = {
    inputs, includeDirs,
    ...(typeCheck === false ? { typeCheck } : {}),
    ...(tsOut !== undefined ? { tsOut } : {}),
    ...(pyOut !== undefined ? { pyOut } : {}),
    ...(runtimeImport !== undefined ? { runtimeImport } : {}),
  };
  return { options, outDirs: [tsOut, pyOut].filter((d): d is string => d !== undefined) };
}

/**
 * One generate/check pass. Returns the exit code. `memo` (watch mode) carries what the TS
 * self-check learned in earlier passes, so a pass checks only what changed.
 */
function runOnce(args: GenerateArgs, io: CliIO, memo?: TypeCheckMemo): number {
  try {
    const resolved = resolveOptions(args);
    const { outDirs } = resolved;
    // The memo serves only a pass that type-checks TS (the config file may change between passes).
    const checking = memo !== undefined && resolved.options.tsOut !== undefined && resolved.options.typeCheck !== false;
    const options: GenerateOptions = checking ? { ...resolved.options, typeCheckMemo: memo } : resolved.options;
    const files = generate(options);
    if (args.check) {
      const r = checkOutput(files, outDirs);
      const problems = [
        ...r.missing.map((p) => `missing: ${p}`),
        ...r.stale.map((p) => `stale: ${p}`),
        ...r.orphaned.map((p) => `orphaned: ${p}`),
      ];
      if (problems.length > 0) {
        io.err(`${problems.join("\n")}\nprotozmq: ${problems.length} generated file(s) out of date; run \`protozmq generate\``);
        return 1;
      }
      io.out(`protozmq: ${files.length} generated files are up to date`);
      return 0;
    }
    const { written, removed } = writeOutput(files, outDirs);
    const checked = options.typeCheckMemo !== undefined ? `, ${options.typeCheckMemo.lastChecked} TS modules type-checked` : "";
    io.out(`protozmq: ${files.length} files (${written.length} written, ${removed.length} removed${checked})`);
    return 0;
  } catch (e) {
    if (e instanceof SchemaError) {
      io.err(e.diagnostics.map(formatDiagnostic).join("\n"));
      io.err(`protozmq: ${e.diagnostics.length} error${e.diagnostics.length === 1 ? "" : "s"}`);
      return 1;
    }
    if (e instanceof UsageError) {
      io.err(`protozmq: ${e.message}`);
      return 1;
    }
    const err = e as Error;
    io.err(`protozmq: internal error: ${err.message}${process.env["PROTOZMQ_DEBUG"] ? `\n${err.stack ?? ""}` : "\n(set PROTOZMQ_DEBUG=1 for a stack trace)"}`);
    return 2;
  }
}

/**
 * Regenerate whenever a `.proto` under the inputs or include dirs changes, debounced. Resolves on
 * SIGINT, or when `signal` aborts (tests).
 */
function watch(args: GenerateArgs, io: CliIO, signal?: AbortSignal): Promise<number> {
  let dirs: string[];
  let memo: TypeCheckMemo | undefined;
  try {
    const { options } = resolveOptions(args);
    // Each pass then type-checks only the TS modules that changed and those importing them.
    if (options.tsOut !== undefined && options.typeCheck !== false) memo = newTypeCheckMemo();
    dirs = [...new Set([...options.inputs, ...options.includeDirs].map((p) => (fs.statSync(p).isDirectory() ? p : path.dirname(p))))];
  } catch (e) {
    io.err(`protozmq: ${(e as Error).message}`);
    return Promise.resolve(1);
  }
  runOnce(args, io, memo);
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const watchers = dirs.map((d) =>
      fs.watch(d, { recursive: true }, (_event, name) => {
        if (name !== null && !String(name).endsWith(".proto")) return;
        if (timer) clearTimeout(timer);
        // Editors save in bursts (write, rename, chmod); one regeneration per burst is enough.
        timer = setTimeout(() => {
          io.out(`protozmq: change detected, regenerating`);
          runOnce(args, io, memo);
        }, 150);
      }),
    );
    io.out(`protozmq: watching ${dirs.join(", ")} (Ctrl-C to stop)`);
    const stop = (): void => {
      watchers.forEach((w) => w.close());
      if (timer) clearTimeout(timer);
      process.off("SIGINT", stop);
      resolve(0);
    };
    process.once("SIGINT", stop);
    signal?.addEventListener("abort", stop, { once: true });
  });
}

/**
 * Run the CLI with `argv` (without `node` and the script). Resolves to the exit code.
 * @example
 *   await runCli(["generate", "schemas", "-I", "schemas", "--ts-out", "gen/ts", "--check"]);
 */
export async function runCli(argv: readonly string[], io: CliIO = defaultIO, opts: { signal?: AbortSignal } = {}): Promise<number> {
  let code = 0;
  const version = (JSON.parse(fs.readFileSync(path.join(__dirname, findPackageJson()), "utf8")) as { version: string }).version;
  const parser = yargs([...argv])
    .scriptName("protozmq")
    .usage("$0 <command> [options]")
    .command<GenerateArgs>(
      "generate [files..]",
      "Compile .proto files to TypeScript and Python",
      (y) =>
        y
          .positional("files", { type: "string", array: true, default: [], describe: ".proto files or directories" })
          .option("include", { alias: "I", type: "string", array: true, default: [], describe: "Import search directory (repeatable)" })
          .option("ts-out", { type: "string", describe: "Output directory for TypeScript" })
          .option("py-out", { type: "string", describe: "Output directory for Python" })
          .option("runtime-import", { type: "string", describe: "Module generated TS imports the runtime from (default: protozmq)" })
          .option("config", { type: "string", describe: `Config file (default: ./${CONFIG_FILE} if present)` })
          .option("check", { type: "boolean", default: false, describe: "Write nothing; exit 1 listing stale or missing files" })
          .option("watch", { type: "boolean", default: false, describe: "Regenerate when a .proto file changes" })
          .option("type-check", {
            type: "boolean",
            describe: "Type-check generated TS in memory before writing (default; --no-type-check skips it: "
              + "faster on large schema sets, and your own tsc build still checks the code)",
          })
          // Not yargs' conflicts(): both flags have defaults, which conflicts() counts as given.
          .check((a) => (a.check && a.watch ? "--check and --watch cannot be used together" : true))
          .example("$0 generate schemas -I schemas --ts-out generated/ts --py-out generated/python", "Compile every .proto under schemas/")
          .example("$0 generate", `Use the settings in ./${CONFIG_FILE}`)
          .example("$0 generate --check", "CI: fail if generated/ is out of date")
          .example("$0 generate --no-type-check", "Skip the in-memory TS check (large schema sets)"),
      async (args) => {
        code = args.watch ? await watch(args, io, opts.signal) : runOnce(args, io);
      },
    )
    .demandCommand(1, "give a command, e.g. protozmq generate --help")
    .strict()
    .version(version)
    .help()
    .alias("h", "help")
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg: string | undefined, err: unknown) => {
      // Command handlers catch their own errors, so anything here is a usage problem (bad flags, a
      // failed .check()), reported in one line without a stack trace.
      io.err(`protozmq: ${msg || (err instanceof Error ? err.message : String(err))}\nRun protozmq --help for usage.`);
      code = 1;
    });
  let output = "";
  await parser.parseAsync([...argv], {}, (_err, _argv, text) => {
    output = text;
  });
  if (output) (code === 0 ? io.out : io.err)(output);
  return code;
}

/** package.json sits two levels up from both generator/cli.ts and dist/generator/cli.js's parent. */
function findPackageJson(): string {
  for (const rel of ["../package.json", "../../package.json"]) {
    if (fs.existsSync(path.join(__dirname, rel))) return rel;
  }
  return "../package.json";
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`protozmq: ${(e as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
