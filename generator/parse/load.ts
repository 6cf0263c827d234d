/**
 * Finding, reading and syntax-parsing `.proto` files, following imports through include directories.
 * Each file is parsed by protobufjs into its own Root so errors stay attributable to one file.
 */
import * as fs from "fs";
import * as path from "path";
import * as protobuf from "protobufjs";
import type { Diagnostic } from "../model/diagnostics";
import { locate, type Locations, type Pos } from "./locate";

/**
 * Directory of the `.proto` files bundled with the compiler: Google's well-known types
 * (`google/protobuf/*.proto`) and protozmq's own options (`protozmq/options.proto`). It is searched
 * after the user's include directories.
 */
export const BUNDLED_INCLUDE_DIR = [
  path.join(__dirname, "include"), // running from source (generator/parse/)
  path.join(__dirname, "..", "..", "..", "generator", "parse", "include"), // compiled (dist/generator/parse/)
].find((d) => fs.existsSync(d)) ?? path.join(__dirname, "include");

export interface LoadedFile {
  /** Import name, relative to its include directory. */
  readonly name: string;
  /** Absolute path on disk. */
  readonly absPath: string;
  /** Path to show in diagnostics: relative to the working directory when that is shorter. */
  readonly displayPath: string;
  readonly source: string;
  readonly locations: Locations;
  readonly parsed: protobuf.IParserResult;
  readonly syntax: "proto2" | "proto3";
  readonly wellKnown: boolean;
  /** Import names this file depends on, resolved (only the ones that were found). */
  readonly deps: readonly string[];
}

export interface LoadResult {
  /** Successfully parsed files, dependencies before dependents. */
  readonly files: readonly LoadedFile[];
  /** Import names of the requested files. */
  readonly targets: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

const PARSE_OPTIONS: protobuf.IParseOptions = { keepCase: true, alternateCommentMode: true };

function displayPathOf(absPath: string): string {
  const rel = path.relative(process.cwd(), absPath);
  if (rel === "") return ".";
  return rel.startsWith("..") || path.isAbsolute(rel) ? absPath : rel.split(path.sep).join("/");
}

/** The import name of a file given on the command line: its path relative to the first include dir holding it. */
export function importNameFor(absPath: string, includeDirs: readonly string[]): string {
  for (const dir of includeDirs) {
    const rel = path.relative(dir, absPath);
    if (!rel.startsWith("..") && !path.isAbsolute(rel)) return rel.split(path.sep).join("/");
  }
  return path.basename(absPath);
}

/**
 * protobufjs keeps fields, nested types and enum values in plain objects, so a member named
 * `__proto__` would set the object's prototype instead of being stored: the member silently vanishes.
 * We parse with the identifier swapped for a placeholder of the same length (positions stay exact)
 * and swap it back when building the IR (`unmangleProto`).
 */
export const PROTO_PLACEHOLDER = "__Pr0t0__";
const PROTO_RE = /\b__proto__\b/g;
const PLACEHOLDER_RE = new RegExp(PROTO_PLACEHOLDER, "g");

function mangleProto(source: string): string {
  return source.includes("__proto__") ? source.replace(PROTO_RE, PROTO_PLACEHOLDER) : source;
}

/** Restore `__proto__` in every string of a built value (deeply; returns the same value when untouched). */
export function unmangleProto<T>(value: T): T {
  if (typeof value === "string") return (value.includes(PROTO_PLACEHOLDER) ? value.replace(PLACEHOLDER_RE, "__proto__") : value) as T;
  if (Array.isArray(value)) return value.map((v) => unmangleProto(v)) as T;
  if (typeof value === "object" && value !== null) {
    const out: { [k: string]: unknown } = {};
    for (const [k, v] of Object.entries(value)) {
      // defineProperty, because assigning to out["__proto__"] would set the prototype.
      Object.defineProperty(out, unmangleProto(k), { value: unmangleProto(v), enumerable: true, writable: true, configurable: true });
    }
    return out as T;
  }
  return value;
}

/** Turn a protobufjs error (`illegal token 'x' (line 3)`, `duplicate name 'a' in Type .p.M`) into a diagnostic. */
function parseErrorToDiagnostic(err: unknown, file: { displayPath: string; source: string; locations: Locations }): Diagnostic {
  const raw = err instanceof Error ? err.message : String(err);
  const at = (pos: Pos, message: string): Diagnostic => ({ file: file.displayPath, line: pos.line, col: pos.col, message });
  const illegal = /^illegal (\S+) '(.*?)'(?:, '(.*)' expected)? \((?:.*, )?line (\d+)\)$/.exec(raw);
  if (illegal) {
    const [, what, token, expected, lineStr] = illegal as unknown as [string, string, string, string | undefined, string];
    // protobufjs's tokenizer counts lines lazily and can report the line before the token, so look
    // for the token from the reported line on.
    const lines = file.source.split("\n");
    let line = Number(lineStr);
    let idx = -1;
    if (token !== "") {
      const re = new RegExp(`(?<![A-Za-z0-9_])${token.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9_])`);
      for (let l = line; l <= Math.min(line + 2, lines.length); l++) {
        const m = re.exec(lines[l - 1] ?? "");
        if (m) {
          line = l;
          idx = m.index;
          break;
        }
      }
    }
    let msg = token === "" ? `unexpected end of file` : what === "token" ? `unexpected "${token}"` : `invalid ${what} "${token}"`;
    if (expected !== undefined) msg += ` (expected "${expected}")`;
    if (what === "type" && idx >= 0 && /map\s*<\s*$/.test((lines[line - 1] ?? "").slice(0, idx))) {
      msg = `map key type "${token}" is not allowed: keys must be an integer type, bool or string`;
    }
    return at({ line, col: idx >= 0 ? idx + 1 : 1 }, msg);
  }
  const named = /^(duplicate name|name) '([^']+)' (?:in|is reserved in) (?:Type|Enum|Namespace|Service|OneOf) \.?(.*)$/.exec(raw);
  if (named) {
    const [, kind, name, owner] = named as unknown as [string, string, string, string];
    const local = localPath(owner, file);
    const key = `${local}/${name}`;
    const nestedKey = local === "" ? name : `${local}.${name}`;
    const { decls, lastDecls } = file.locations;
    const pos = lastDecls.get(key) ?? decls.get(key) ?? lastDecls.get(nestedKey) ?? decls.get(nestedKey);
    const message = kind === "name" ? `field name "${name}" is reserved in ${owner}` : `"${name}" is already defined in ${owner}`;
    return at(pos ?? { line: 1, col: 1 }, message);
  }
  const id = /^(duplicate id|id) (-?\d+) (?:in|is reserved in) (Type|Enum) \.?(.*)$/.exec(raw);
  if (id) {
    const [, kind, num, ownerKind, owner] = id as unknown as [string, string, string, string, string];
    const local = localPath(owner, file);
    const pos = file.locations.decls.get(`${local}/#${num}`) ?? file.locations.decls.get(local);
    const what = ownerKind === "Enum" ? "enum value number" : "field number";
    const message = kind === "id"
      ? `${what} ${num} is reserved in ${owner}`
      : ownerKind === "Enum"
        ? `enum value number ${num} is already used in ${owner}; set option allow_alias = true; to allow aliases`
        : `field number ${num} is already used in ${owner}`;
    return at(pos ?? { line: 1, col: 1 }, message);
  }
  return at({ line: 1, col: 1 }, raw);
}

/**
 * protobufjs stops at the first duplicate or reserved field it meets. To still report every other
 * problem in the file, blank out the offending statement (keeping line/column positions) and parse
 * again. Syntax errors are not recoverable this way: they end the file's parse.
 */
function parseRecovering(
  original: string, file: { displayPath: string; source: string; locations: Locations }, diagnostics: Diagnostic[],
): protobuf.IParserResult | undefined {
  let source = original;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      return protobuf.parse(source, new protobuf.Root(), PARSE_OPTIONS);
    } catch (e) {
      const diag = parseErrorToDiagnostic(e, file);
      diagnostics.push(diag);
      const recoverable = /^(duplicate (name|id)|(id \d+|name '[^']*') is reserved)/.test(e instanceof Error ? e.message : "");
      if (!recoverable) return undefined;
      const blanked = blankStatement(source, diag.line, diag.col);
      if (blanked === source) return undefined;
      source = blanked;
    }
  }
  return undefined;
}

/** Replace the statement starting at line:col, up to and including its `;`, with spaces. */
function blankStatement(source: string, line: number, col: number): string {
  let offset = 0;
  for (let l = 1; l < line; l++) offset = source.indexOf("\n", offset) + 1;
  const start = offset + col - 1;
  const end = source.indexOf(";", start);
  if (end < 0 || offset === 0 && line > 1) return source;
  return source.slice(0, start) + source.slice(start, end + 1).replace(/[^\n]/g, " ") + source.slice(end + 1);
}

/** Strip the package from a protobufjs full name so it matches locator keys. */
function localPath(owner: string, file: { source: string }): string {
  const pkg = /^\s*package\s+([A-Za-z0-9_.]+)\s*;/m.exec(file.source)?.[1];
  return pkg && owner.startsWith(`${pkg}.`) ? owner.slice(pkg.length + 1) : owner;
}

/**
 * Load the requested files and everything they import. Never throws for schema problems: they come back
 * as diagnostics, and files that failed are left out (their dependents still load, so one run reports
 * as much as possible).
 */
export function loadFiles(inputs: readonly string[], includeDirs: readonly string[]): LoadResult {
  const dirs = includeDirs.map((d) => path.resolve(d));
  const diagnostics: Diagnostic[] = [];
  const loaded = new Map<string, LoadedFile | null>();
  const order: LoadedFile[] = [];
  const targets: string[] = [];

  const resolveImport = (name: string): { absPath: string; wellKnown: boolean } | undefined => {
    for (const dir of dirs) {
      const p = path.join(dir, name);
      if (fs.existsSync(p) && fs.statSync(p).isFile()) return { absPath: p, wellKnown: false };
    }
    const bundled = path.join(BUNDLED_INCLUDE_DIR, name);
    if ((name.startsWith("google/protobuf/") || name.startsWith("protozmq/")) && fs.existsSync(bundled)) {
      return { absPath: bundled, wellKnown: true };
    }
    return undefined;
  };

  // Depth-first so dependencies land in `order` before their dependents; `visiting` detects cycles.
  const visiting: string[] = [];
  const visit = (name: string, absPath: string, wellKnown: boolean): void => {
    if (loaded.has(name)) return;
    const displayPath = displayPathOf(absPath);
    let source: string;
    try {
      source = fs.readFileSync(absPath, "utf8");
    } catch (e) {
      diagnostics.push({ file: displayPath, line: 1, col: 1, message: `cannot read file: ${(e as Error).message}` });
      loaded.set(name, null);
      return;
    }
    source = mangleProto(source);
    const locations = locate(source);
    if (locations.edition) {
      const { line, col } = locations.edition.pos;
      diagnostics.push({
        file: displayPath, line, col,
        message: `editions (edition = "${locations.edition.value}") are not supported yet; use syntax = "proto3" or "proto2"`,
      });
      loaded.set(name, null);
      return;
    }
    const isProto3 = /^\s*syntax\s*=\s*["']proto3["']/m.test(source);
    if (isProto3 && locations.groups.length > 0) {
      // protobufjs reports a group in proto3 as a confusing syntax error further down; say what it is.
      for (const g of locations.groups) {
        diagnostics.push({ file: displayPath, line: g.line, col: g.col, message: "groups are not allowed in proto3; use a nested message field instead" });
      }
      loaded.set(name, null);
      return;
    }
    const parsed = parseRecovering(source, { displayPath, source, locations }, diagnostics);
    if (!parsed) {
      loaded.set(name, null);
      return;
    }
    loaded.set(name, null); // placeholder while visiting, replaced below
    visiting.push(name);
    const deps: string[] = [];
    for (const imp of locations.imports) {
      const cycleAt = visiting.indexOf(imp.name);
      if (cycleAt >= 0) {
        const cycle = [...visiting.slice(cycleAt), imp.name].join(" -> ");
        diagnostics.push({ file: displayPath, line: imp.pos.line, col: imp.pos.col, message: `import cycle: ${cycle}` });
        deps.push(imp.name); // still visible, so the cycle is the only error reported for it
        continue;
      }
      const found = resolveImport(imp.name);
      if (!found) {
        const searched = dirs.map(displayPathOf).join(", ") || "(no include directories)";
        diagnostics.push({
          file: displayPath, line: imp.pos.line, col: imp.pos.col,
          message: `import "${imp.name}" not found (searched -I ${searched})`,
        });
        continue;
      }
      visit(imp.name, found.absPath, found.wellKnown);
      if (loaded.get(imp.name)) deps.push(imp.name);
    }
    visiting.pop();
    const syntax = (parsed as { syntax?: string }).syntax === "proto3" || /^\s*syntax\s*=\s*["']proto3["']/m.test(source) ? "proto3" : "proto2";
    const file: LoadedFile = { name, absPath, displayPath, source, locations, parsed, syntax, wellKnown, deps };
    loaded.set(name, file);
    order.push(file);
  };

  for (const input of inputs) {
    const absPath = path.resolve(input);
    if (!fs.existsSync(absPath)) {
      diagnostics.push({ file: input, line: 1, col: 1, message: "file not found" });
      continue;
    }
    const name = importNameFor(absPath, dirs);
    if (!targets.includes(name)) targets.push(name);
    visit(name, absPath, false);
  }
  return { files: order, targets: targets.filter((t) => loaded.get(t)), diagnostics };
}
