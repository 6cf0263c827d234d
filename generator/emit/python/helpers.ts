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
