/**
 * TSDoc for generated declarations: the `.proto` comment, then where the element came from
 * (`@generated from field: int32 id = 1;`, protobuf-es style) and `@deprecated` when marked so.
 */
import type { CodeBlockWriter, JSDocStructure, OptionalKind } from "ts-morph";
import type { Comments } from "../../model/types";

/**
 * Make schema text safe inside a `/** *\/` block: `*\/` must not close the comment, and `/*` is
 * escaped too (ts-morph's writer otherwise treats it as a nested comment opening and mangles the block).
 */
export function escapeComment(text: string): string {
  return text.replace(/\*\//g, "*\\/").replace(/\/\*/g, "/\\*").replace(/\r\n?/g, "\n");
}

/** One JSDoc block: the leading comment (trailing comment appended), extra lines, then tags. */
export function docs(
  comments: Comments,
  origin: string,
  options: { deprecated?: boolean; extra?: readonly string[] } = {},
): OptionalKind<JSDocStructure>[] {
  const parts: string[] = [];
  const text = [comments.leading, comments.trailing]
    .filter((c): c is string => c !== undefined && c.trim() !== "")
    .map((c) => dedent(c))
    .join("\n\n");
  if (text !== "") parts.push(escapeComment(text));
  for (const e of options.extra ?? []) parts.push(escapeComment(e));
  const tags: { tagName: string; text: string }[] = [{ tagName: "generated", text: escapeComment(origin) }];
  if (options.deprecated === true) tags.push({ tagName: "deprecated", text: "" });
  return [{ description: parts.join("\n\n") + (parts.length > 0 ? "\n" : ""), tags }];
}

/** Drop trailing blank lines and the common indentation protoc leaves after `//`. */
function dedent(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").replace(/\s+$/, "").split("\n");
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join("\n");
}

/** Write one JSDoc block (from {@link docs}) with a writer, for docs inside generated expressions. */
export function writeDoc(w: CodeBlockWriter, d: OptionalKind<JSDocStructure>): void {
  const desc = typeof d.description === "string" ? d.description.replace(/\n$/, "") : "";
  const lines = desc === "" ? [] : [...desc.split("\n"), ""];
  for (const t of d.tags ?? []) lines.push(`@${t.tagName}${typeof t.text === "string" && t.text !== "" ? ` ${t.text}` : ""}`);
  if (lines.length === 1) {
    w.writeLine(`/** ${lines[0]} */`);
    return;
  }
  w.writeLine("/**");
  for (const l of lines) w.writeLine(l === "" ? " *" : ` * ${l}`);
  w.writeLine(" */");
}
