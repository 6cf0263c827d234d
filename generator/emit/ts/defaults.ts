/**
 * proto2 `[default = ...]` values as TS expressions. The IR keeps the text protoc stores in
 * `default_value`: decimal integers, `inf`/`-inf`/`nan` and `%g` floats, `true`/`false`, the
 * enum value name, the raw string, or C-escaped bytes.
 */
import type { Field } from "../../model/types";
import type { FileContext } from "./context";
import { enumMember, isInt64 } from "./fields";

/** The TS expression for a field's proto2 default, or undefined when it has none. */
export function defaultExpr(ctx: FileContext, f: Field): string | undefined {
  const text = f.defaultText;
  if (text === undefined) return undefined;
  const v = f.type;
  if (v.kind === "enum") return enumMember(ctx, v.typeName, text);
  if (v.kind !== "scalar") return undefined;
  const s = v.scalar;
  if (isInt64(s)) {
    const n = BigInt(text);
    return f.jstype === "string" ? JSON.stringify(n.toString()) : f.jstype === "number" ? n.toString() : `${n}n`;
  }
  switch (s) {
    case "bool": return text === "true" ? "true" : "false";
    case "string": return JSON.stringify(text);
    case "bytes": return `new Uint8Array([${[...unCEscape(text)].join(", ")}])`;
    case "float": case "double": {
      if (text === "inf") return "Infinity";
      if (text === "-inf") return "-Infinity";
      if (text === "nan") return "NaN";
      const n = Number(text);
      if (Number.isNaN(n)) throw new Error(`emit/ts: bad float default ${JSON.stringify(text)} on ${f.name}`);
      return Object.is(n, -0) ? "-0" : String(n);
    }
    default: {
      const n = Number(text);
      if (!Number.isInteger(n)) throw new Error(`emit/ts: bad integer default ${JSON.stringify(text)} on ${f.name}`);
      return String(n);
    }
  }
}

/** Undo protoc's `CEscape` (octal, hex and single-character escapes) into bytes. */
export function unCEscape(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "\\") {
      // Unescaped characters are printable ASCII in protoc's output; encode others as UTF-8 anyway.
      out.push(...new TextEncoder().encode(c));
      continue;
    }
    const n = text[++i];
    if (n === undefined) break;
    if (n >= "0" && n <= "7") {
      let digits = n;
      while (digits.length < 3 && text[i + 1] !== undefined && text[i + 1]! >= "0" && text[i + 1]! <= "7") digits += text[++i];
      out.push(parseInt(digits, 8) & 0xff);
    } else if (n === "x") {
      let digits = "";
      while (digits.length < 2 && /[0-9a-fA-F]/.test(text[i + 1] ?? "")) digits += text[++i];
      out.push(parseInt(digits, 16));
    } else {
      const simple: Record<string, number> = { n: 10, r: 13, t: 9, a: 7, b: 8, f: 12, v: 11, "\\": 92, "'": 39, '"': 34, "?": 63 };
      out.push(simple[n] ?? n.charCodeAt(0));
    }
  }
  return Uint8Array.from(out);
}
