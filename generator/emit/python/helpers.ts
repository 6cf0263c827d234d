/**
 * The Handlebars setup of the Python emitter: one private instance, every helper registered here,
 * templates compiled with `noEscape` (we print code, not HTML) and `strict` (a misspelt variable is an
 * error, not an empty string).
 */
import Handlebars from "handlebars";

const hbs = Handlebars.create();

/**
 * A Python docstring body: backslashes doubled and `"""` broken up so comment text can never end the
 * string early; a trailing `"` gets a space so it does not merge with the closing quotes.
 */
export function docstringText(text: string): string {
  let t = text.replace(/\\/g, "\\\\").replace(/"""/g, '\\"\\"\\"');
  if (t.endsWith('"')) t += " ";
  return t;
}

/** A triple-quoted docstring, indented by `indent` (first line not indented: the caller places it). */
export function docstring(text: string, indent: string): string {
  const lines = docstringText(text.replace(/\s+$/, "")).split("\n");
  if (lines.length === 1) return `"""${lines[0]}"""`;
  return ['"""' + lines[0], ...lines.slice(1).map((l) => (l === "" ? "" : indent + l)), indent + '"""'].join("\n");
}

/**
 * Text of a docstring: the `.proto` comment (leading, then trailing), `extra` paragraphs, then an
 * origin line; undefined when there is nothing to say.
 */
export function docText(
  comments: { leading?: string; trailing?: string }, origin?: string, extra: readonly string[] = [],
): string | undefined {
  const parts = [comments.leading, comments.trailing].filter((c): c is string => c !== undefined && c.trim() !== "");
  parts.push(...extra);
  if (origin !== undefined) parts.push(origin);
  return parts.length === 0 ? undefined : parts.map((p) => p.trim()).join("\n\n");
}

/** Indent every non-empty line of `text` by `n` spaces. */
export function indentLines(text: string, n: number): string {
  const pad = " ".repeat(n);
  return text.split("\n").map((l) => (l === "" ? l : pad + l)).join("\n");
}

hbs.registerHelper("docstring", (text: string, indent: number) => docstring(text, " ".repeat(indent)));
hbs.registerHelper("indent", (text: string, n: number) => indentLines(text, n));
hbs.registerHelper("join", (items: readonly string[], sep: string) => items.join(sep));

const compiled = new Map<string, Handlebars.TemplateDelegate>();

/** Render `template` with `context`; compiled templates are cached by source text. */
export function render(template: string, context: object): string {
  let fn = compiled.get(template);
  if (fn === undefined) {
    fn = hbs.compile(template, { noEscape: true, strict: true });
    compiled.set(template, fn);
  }
  return fn(context);
}

/** Register a partial (a template other templates include with `{{> name}}`). */
export function registerPartial(name: string, template: string): void {
  hbs.registerPartial(name, hbs.compile(template, { noEscape: true, strict: true }));
}

/** Drop trailing whitespace (indented partials indent blank lines too). */
export function trimLineEnds(text: string): string {
  return text.replace(/[ \t]+$/gm, "");
}

/** The width generated Python is wrapped to (prose in docstrings, calls and signatures). */
export const PY_WIDTH = 100;

/** Break generated prose into lines of at most `width` characters (schema comments are kept as written). */
export function wrapText(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  return [...lines, line].join("\n");
}

/**
 * `head(item, item)tail` at `indent`, formatted as black does: on one line when it fits, else the
 * items on one line of their own, else one item per line with a trailing comma. For calls and `def`s.
 */
export function bracketed(indent: string, head: string, items: readonly string[], tail: string): string {
  const one = `${indent}${head}(${items.join(", ")})${tail}`;
  if (one.length <= PY_WIDTH || items.length === 0) return one;
  const inner = `${indent}    ${items.join(", ")}`;
  if (inner.length <= PY_WIDTH || items.length === 1) return `${indent}${head}(\n${inner}\n${indent})${tail}`;
  return `${indent}${head}(\n${items.map((i) => `${indent}    ${i},`).join("\n")}\n${indent})${tail}`;
}

/**
 * A `def` (or `async def`) line, wrapped like {@link bracketed}; a return annotation that still
 * does not fit goes in parentheses on a line of its own, as black does. `end` is `:` or `: ...`.
 */
export function pyDef(indent: string, head: string, params: readonly string[], returns: string, end = ":"): string {
  const text = bracketed(indent, head, params, ` -> ${returns}${end}`);
  const last = text.slice(text.lastIndexOf("\n") + 1);
  if (last.length <= PY_WIDTH) return text;
  const parenthesized = `\n${indent}    ${returns}\n${indent})${end}`;
  const oneLine = `${indent}${head}(${params.join(", ")}) -> (`;
  if (oneLine.length <= PY_WIDTH) return oneLine + parenthesized;
  const split = bracketed(indent, head, params, " -> (");
  return split + parenthesized;
}
