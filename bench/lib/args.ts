/**
 * The command line of `npm run bench` (bench/run.ts), parsed without side effects so that tests can
 * call it. Errors are `UsageError`s that name the option and its valid values.
 */
import { Lang, LANGS, Mode } from "./rpc";

export const MODES: readonly Mode[] = ["unpinned", "pinned", "same-cpu"];
export const SECTIONS = ["rpc", "codec", "codegen"] as const;

export const USAGE = "usage: npm run bench -- [--quick] [--modes unpinned,pinned,same-cpu] [--sections rpc,codec,codegen] [--langs ts,py]";

/** A bad command line: bench/run.ts prints the message and the usage, without a stack, and exits 2. */
export class UsageError extends Error {}

export interface Args {
  quick: boolean;
  /** Undefined: the default, which depends on the machine (pinned needs two CPUs). */
  modes: Mode[] | undefined;
  sections: string[];
  /** The languages of the client programs to run, in the order of `LANGS` (see `Lang`). */
  langs: Lang[];
  help: boolean;
}

/** Splits a comma-separated value and checks each item against `valid`. */
function list<T extends string>(option: string, value: string, valid: readonly T[]): T[] {
  const items = value.split(",");
  for (const v of items) {
    if (!(valid as readonly string[]).includes(v)) throw new UsageError(`${option}: unknown value "${v}" (valid: ${valid.join(", ")})`);
  }
  return items as T[];
}

export function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, modes: undefined, sections: [...SECTIONS], langs: [...LANGS], help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === "--quick") a.quick = true;
    else if (arg === "--modes") a.modes = list(arg, value(), MODES);
    else if (arg === "--sections") a.sections = list(arg, value(), SECTIONS);
    else if (arg === "--langs") {
      const langs = list(arg, value(), LANGS);
      a.langs = LANGS.filter((l) => langs.includes(l));
    } else if (arg === "--help" || arg === "-h") a.help = true;
    else throw new UsageError(`unknown argument ${arg} (try --help)`);
  }
  return a;
}
