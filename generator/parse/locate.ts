/**
 * Source positions for a `.proto` file.
 *
 * protobufjs's reflection objects do not remember where they were declared, but every diagnostic must
 * name `file:line:col`. This module re-tokenizes the source (a small, forgiving tokenizer that only needs
 * to find declarations, not validate them: protobufjs does that) and records the position of each
 * declaration under a key:
 *
 *   message / enum / service       `Outer.Inner`
 *   field, oneof (in a message)     `Outer.Inner/field_name`
 *   field's type token              `Outer.Inner/field_name:type`
 *   field by number (last wins)     `Outer.Inner/#7`
 *   enum value                      `Outer.Color/RED`
 *   method, its input/output type   `Svc/Method`, `Svc/Method:in`, `Svc/Method:out`
 *   method written with a body      `Svc/Method:body` (`rpc X(A) returns (B) { ... }`)
 *   extension field (extend block)  `<scope>/+field_name`, `<scope>/+field_name:type`
 *
 * plus the imports and the syntax/edition statement, in source order, and the trailing comment of
 * each declaration (protobufjs keeps it only when there is no leading comment).
 */

export interface Pos {
  readonly line: number;
  readonly col: number;
}

export interface LocatedImport {
  readonly name: string;
  readonly kind: "normal" | "public" | "weak";
  readonly pos: Pos;
}

/** The literal of a `[default = ...]` option as written (`-0x10`, `inf`, a string literal's raw text with escapes). */
export interface RawDefault {
  readonly text: string;
  readonly kind: "ident" | "string" | "number" | "punct";
}

export interface Locations {
  readonly decls: ReadonlyMap<string, Pos>;
  /** For keys declared more than once (a duplicate name), the position of the last declaration. */
  readonly lastDecls: ReadonlyMap<string, Pos>;
  /** Raw `[default = ...]` literals by field key (`Msg/field`). */
  readonly defaults: ReadonlyMap<string, RawDefault>;
  readonly imports: readonly LocatedImport[];
  /** Position and value of an `edition = "..."` statement, if the file has one. */
  readonly edition?: { readonly value: string; readonly pos: Pos };
  /** Positions of `group` field declarations (illegal in proto3; reported before protobufjs sees them). */
  readonly groups: readonly Pos[];
  /** Position of the `syntax` statement, if any. */
  readonly syntaxPos?: Pos;
  /** Comment text before the first statement (a file header), if any. */
  readonly headerComment?: string;
  /**
   * Trailing comments by declaration key (message, enum, service, field, oneof, enum value, method):
   * a comment that starts on the line of the `;` or `{` ending the declaration's head, after it,
   * protoc's trailing comment on the same line. Text normalised as protobufjs does.
   */
  readonly trailing: ReadonlyMap<string, string>;
  /** Find the declaration position for a key, falling back to the file start. */
  at(key: string): Pos;
}

interface Token {
  readonly text: string;
  readonly kind: "ident" | "string" | "number" | "punct";
  readonly line: number;
  readonly col: number;
}

interface CommentToken {
  readonly line: number;
  readonly col: number;
  readonly text: string;
}

/** Comment text as protobufjs gives it (alternate comment mode): per line, `*` and `/` prefixes and blanks trimmed. */
function commentText(body: string): string {
  return body.split("\n").map((l) => l.replace(/^\s*\*?\/*/, "").trim()).join("\n").trim();
}

/** Tokenize proto source, comments apart. Unterminated strings/comments just end the token stream. */
export function tokenize(src: string): { tokens: Token[]; comments: CommentToken[]; headerComment?: string } {
  const tokens: Token[] = [];
  const comments: CommentToken[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const header: string[] = [];
  const advanceNewlines = (from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      if (src.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === "\n") {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") {
      i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      const end = src.indexOf("\n", i);
      const stop = end < 0 ? src.length : end;
      if (tokens.length === 0) header.push(src.slice(i + 2, stop).replace(/^ /, ""));
      comments.push({ line, col: i - lineStart + 1, text: commentText(src.slice(i + 2, stop)) });
      i = stop;
      continue;
    }
    if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end < 0 ? src.length : end + 2;
      if (tokens.length === 0) header.push(src.slice(i + 2, stop - 2).trim());
      comments.push({ line, col: i - lineStart + 1, text: commentText(src.slice(i + 2, Math.max(i + 2, stop - 2))) });
      advanceNewlines(i, stop);
      i = stop;
      continue;
    }
    const col = i - lineStart + 1;
    const startLine = line;
    if (c === '"' || c === "'") {
      // Keep the literal's raw text (escapes included); decodeProtoString interprets it when needed.
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
      tokens.push({ text: src.slice(i + 1, Math.min(j, src.length)), kind: "string", line: startLine, col });
      i = j + 1;
      continue;
    }
    const ident = /^[A-Za-z_.][A-Za-z0-9_.]*/.exec(src.slice(i, i + 512));
    if (ident && !(c === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      tokens.push({ text: ident[0], kind: "ident", line: startLine, col });
      i += ident[0].length;
      continue;
    }
    const num = /^(?:0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)/.exec(src.slice(i, i + 128));
    if (num && num[0].length > 0) {
      tokens.push({ text: num[0], kind: "number", line: startLine, col });
      i += num[0].length;
      continue;
    }
    tokens.push({ text: c, kind: "punct", line: startLine, col });
    i++;
  }
  const headerComment = header.length > 0 ? header.join("\n").trim() : undefined;
  return headerComment === undefined ? { tokens, comments } : { tokens, comments, headerComment };
}

type ScopeKind = "file" | "message" | "enum" | "service" | "oneof" | "extend";
interface Scope {
  readonly kind: ScopeKind;
  /** Local path of the enclosing message/enum/service (`Outer.Inner`), "" at file level. */
  readonly path: string;
}

const LABELS = new Set(["optional", "required", "repeated"]);

/** Scan a file's text and return declaration positions. Never throws on malformed input. */
export function locate(src: string): Locations {
  const { tokens, comments, headerComment } = tokenize(src);
  const decls = new Map<string, Pos>();
  const defaults = new Map<string, RawDefault>();
  const lastDecls = new Map<string, Pos>();
  const groups: Pos[] = [];
  const imports: LocatedImport[] = [];
  let edition: { value: string; pos: Pos } | undefined;
  let syntaxPos: Pos | undefined;
  const stack: Scope[] = [{ kind: "file", path: "" }];
  let i = 0;

  const peek = (k = 0): Token | undefined => tokens[i + k];
  const pos = (t: Token | undefined): Pos => (t ? { line: t.line, col: t.col } : { line: 1, col: 1 });
  const record = (key: string, t: Token | undefined): void => {
    if (!decls.has(key)) decls.set(key, pos(t));
    else lastDecls.set(key, pos(t));
  };
  const join = (a: string, b: string): string => (a === "" ? b : `${a}.${b}`);
  /** Skip to the end of a statement: the next `;` at bracket depth 0, or a balanced `{...}` block. */
  const skipStatement = (): void => {
    let depth = 0;
    while (i < tokens.length) {
      const t = tokens[i++]!;
      if (t.text === "{" || t.text === "[" || t.text === "(") depth++;
      else if (t.text === "}" || t.text === "]" || t.text === ")") {
        depth--;
        if (depth <= 0 && t.text === "}") return;
      } else if (t.text === ";" && depth <= 0) return;
    }
  };
  /**
   * Record the raw text of a `[default = ...]` option starting the search at token offset `from`:
   * protobufjs parses defaults into JS numbers, which loses int64 precision and the spelling protoc keeps.
   */
  const captureDefault = (key: string, from: number): void => {
    if (peek(from)?.text !== "[") return;
    for (let k = from + 1; peek(k) && peek(k)!.text !== "]" && peek(k)!.text !== ";"; k++) {
      if (peek(k)!.text === "default" && peek(k + 1)?.text === "=") {
        const neg = peek(k + 2)?.text === "-";
        const v = peek(k + (neg ? 3 : 2));
        if (v) defaults.set(key, { text: (neg ? "-" : "") + v.text, kind: v.kind });
        return;
      }
    }
  };

  while (i < tokens.length) {
    const scope = stack[stack.length - 1]!;
    const t = tokens[i]!;
    if (t.text === "}") {
      if (stack.length > 1) stack.pop();
      i++;
      continue;
    }
    if (t.text === ";") {
      i++;
      continue;
    }
    if (scope.kind === "file" && (t.text === "syntax" || t.text === "edition")) {
      const value = peek(2);
      if (t.text === "edition" && value) edition = { value: Buffer.from(decodeProtoString(value.text)).toString("utf8"), pos: pos(t) };
      else syntaxPos = pos(t);
      skipStatement();
      continue;
    }
    if (scope.kind === "file" && t.text === "import") {
      let kind: LocatedImport["kind"] = "normal";
      let k = 1;
      if (peek(1)?.text === "public" || peek(1)?.text === "weak") {
        kind = peek(1)!.text as "public" | "weak";
        k = 2;
      }
      const name = peek(k);
      if (name?.kind === "string") imports.push({ name: Buffer.from(decodeProtoString(name.text)).toString("utf8"), kind, pos: pos(t) });
      skipStatement();
      continue;
    }
    if (t.text === "option" || t.text === "package" || t.text === "reserved" || t.text === "extensions") {
      skipStatement();
      continue;
    }
    if (scope.kind === "enum") {
      if (t.kind === "ident" && peek(1)?.text === "=") {
        record(`${scope.path}/${t.text}`, t);
        const neg = peek(2)?.text === "-";
        const num = peek(neg ? 3 : 2);
        if (num) decls.set(`${scope.path}/#${neg ? "-" : ""}${num.text}`, pos(t));
      }
      skipStatement();
      continue;
    }
    if (scope.kind === "service") {
      if (t.text === "rpc" && peek(1)) {
        const name = peek(1)!.text;
        record(`${scope.path}/${name}`, t);
        // rpc Name ( [stream] In ) returns ( [stream] Out )
        let k = 3;
        if (peek(k)?.text === "stream") k++;
        record(`${scope.path}/${name}:in`, peek(k));
        while (peek(k) && peek(k)!.text !== "returns" && peek(k)!.text !== ";") k++;
        k += 2;
        if (peek(k)?.text === "stream") k++;
        record(`${scope.path}/${name}:out`, peek(k));
        while (peek(k) && peek(k)!.text !== ")") k++;
        if (peek(k + 1)?.text === "{") record(`${scope.path}/${name}:body`, peek(k + 1));
      }
      skipStatement();
      continue;
    }
    if (t.text === "message" || t.text === "enum" || t.text === "service") {
      const name = peek(1);
      if (name && peek(2)?.text === "{") {
        const path = join(scope.path, name.text);
        record(path, t);
        stack.push({ kind: t.text as ScopeKind, path });
        i += 3;
        continue;
      }
    }
    if (t.text === "oneof" && peek(2)?.text === "{") {
      record(`${scope.path}/${peek(1)!.text}`, t);
      stack.push({ kind: "oneof", path: scope.path });
      i += 3;
      continue;
    }
    if (t.text === "extend") {
      let k = 1;
      while (peek(k) && peek(k)!.text !== "{") k++;
      stack.push({ kind: "extend", path: scope.path });
      i += k + 1;
      continue;
    }
    // A field: [label] (group Name | map<K,V> | Type) name = N [opts] (; | { group body })
    const start = t;
    let k = 0;
    if (LABELS.has(t.text)) k++;
    const prefix = scope.kind === "extend" ? "/+" : "/";
    if (peek(k)?.text === "group" && peek(k + 1)) {
      const groupName = peek(k + 1)!.text;
      const fieldKey = `${scope.path}${prefix}${groupName.toLowerCase()}`;
      groups.push(pos(start));
      record(fieldKey, start);
      record(`${fieldKey}:type`, peek(k + 1));
      const path = join(scope.path, groupName);
      record(path, start);
      // Move to the group's body and enter it as a message scope.
      i += k + 2;
      while (i < tokens.length && tokens[i]!.text !== "{" && tokens[i]!.text !== ";") i++;
      if (tokens[i]?.text === "{") {
        stack.push({ kind: "message", path });
        i++;
      }
      continue;
    }
    if (peek(k)?.text === "map" && peek(k + 1)?.text === "<") {
      let m = k + 2;
      while (peek(m) && peek(m)!.text !== ">") m++;
      const name = peek(m + 1);
      if (name) {
        record(`${scope.path}${prefix}${name.text}`, start);
        record(`${scope.path}${prefix}${name.text}:type`, peek(k));
      }
      i += m + 2;
      skipStatement();
      continue;
    }
    const typeTok = peek(k);
    const nameTok = peek(k + 1);
    if (typeTok?.kind === "ident" && nameTok?.kind === "ident" && peek(k + 2)?.text === "=") {
      const key = `${scope.path}${prefix}${nameTok.text}`;
      record(key, start);
      record(`${key}:type`, typeTok);
      // The last declaration with a number wins, so a duplicate number is reported where it repeats.
      const num = peek(k + 3);
      if (num) decls.set(`${scope.path}${prefix}#${num.text}`, pos(start));
      captureDefault(key, k + 4);
      i += k + 3;
      skipStatement();
      continue;
    }
    skipStatement();
  }

  const at = (key: string): Pos => decls.get(key) ?? { line: 1, col: 1 };
  return {
    decls,
    trailing: trailingComments(tokens, comments, decls),
    lastDecls,
    defaults,
    groups,
    imports,
    at,
    ...(edition ? { edition } : {}),
    ...(syntaxPos ? { syntaxPos } : {}),
    ...(headerComment !== undefined ? { headerComment } : {}),
  };
}

/**
 * The trailing comment of each declaration in `decls` (keys of sub-positions, `:type`, `#7`, `+ext`,
 * are skipped): from the declaration's first token, the head ends at the first `;` or `{` outside
 * brackets; a comment starting after it on the same line, with no token between, trails it.
 */
function trailingComments(tokens: readonly Token[], comments: readonly CommentToken[], decls: ReadonlyMap<string, Pos>): Map<string, string> {
  const out = new Map<string, string>();
  if (comments.length === 0) return out;
  const byLine = new Map<number, CommentToken>();
  for (const c of comments) if (!byLine.has(c.line)) byLine.set(c.line, c);
  const index = new Map<string, number>();
  tokens.forEach((t, i) => index.set(`${t.line}:${t.col}`, i));
  for (const [key, pos] of decls) {
    if (/[:#+]/.test(key)) continue;
    const start = index.get(`${pos.line}:${pos.col}`);
    if (start === undefined) continue;
    let depth = 0;
    for (let k = start; k < tokens.length; k++) {
      const t = tokens[k]!;
      if (t.text === "(" || t.text === "[") depth++;
      else if (t.text === ")" || t.text === "]") depth--;
      else if (depth <= 0 && t.text === "}") break;
      else if (depth <= 0 && (t.text === ";" || t.text === "{")) {
        const c = byLine.get(t.line);
        const next = tokens[k + 1];
        if (c !== undefined && c.col > t.col && c.text !== "" && !(next !== undefined && next.line === t.line && next.col < c.col)) {
          out.set(key, c.text);
        }
        break;
      }
    }
  }
  return out;
}

const SIMPLE_ESCAPES: { readonly [c: string]: number } = {
  a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92, "'": 39, '"': 34, "?": 63,
};

/**
 * Decode the raw text of a proto string literal to bytes with protoc's rules: `\n`-style escapes,
 * octal `\0`-`\377` (1 to 3 digits), hex `\x` (1 or 2 digits) give raw bytes; `\u`/`\U` and plain
 * characters are UTF-8 encoded.
 */
export function decodeProtoString(raw: string): Uint8Array {
  const out: number[] = [];
  const utf8 = (s: string): void => {
    out.push(...Buffer.from(s, "utf8"));
  };
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== "\\" || i + 1 >= raw.length) {
      const cp = raw.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      utf8(ch);
      i += ch.length - 1;
      continue;
    }
    const e = raw[++i]!;
    if (SIMPLE_ESCAPES[e] !== undefined) {
      out.push(SIMPLE_ESCAPES[e]!);
    } else if (/[0-7]/.test(e)) {
      let digits = e;
      while (digits.length < 3 && /[0-7]/.test(raw[i + 1] ?? "")) digits += raw[++i];
      out.push(parseInt(digits, 8) & 0xff);
    } else if ((e === "x" || e === "X") && /[0-9a-fA-F]/.test(raw[i + 1] ?? "")) {
      let digits = "";
      while (digits.length < 2 && /[0-9a-fA-F]/.test(raw[i + 1] ?? "")) digits += raw[++i];
      out.push(parseInt(digits, 16));
    } else if ((e === "u" || e === "U") && /^[0-9a-fA-F]+$/.test(raw.slice(i + 1, i + 1 + (e === "u" ? 4 : 8)))) {
      const n = e === "u" ? 4 : 8;
      utf8(String.fromCodePoint(parseInt(raw.slice(i + 1, i + 1 + n), 16)));
      i += n;
    } else {
      utf8(e); // unknown escape: protoc warns and keeps the character
    }
  }
  return Uint8Array.from(out);
}
