/** Tables for the console (aligned text) and for Markdown (docs/BENCHMARKS.md). */

export interface Table {
  title: string;
  headers: string[];
  /** Columns aligned left (the others align right). */
  left: number[];
  rows: string[][];
  /** Lines printed under the table. */
  notes?: string[];
}

export function textTable(t: Table): string {
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (t.left.includes(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  const out = [t.title, line(t.headers), widths.map((w) => "-".repeat(w)).join("  "), ...t.rows.map(line)];
  for (const n of t.notes ?? []) out.push(n);
  return out.join("\n");
}

export function markdownTable(t: Table): string {
  const esc = (c: string): string => c.replace(/\|/g, "\\|");
  const out = [`#### ${t.title}`, "", `| ${t.headers.map(esc).join(" | ")} |`];
  out.push(`|${t.headers.map((_, i) => (t.left.includes(i) ? " --- " : " ---: ")).join("|")}|`);
  for (const r of t.rows) out.push(`| ${r.map(esc).join(" | ")} |`);
  if (t.notes !== undefined && t.notes.length > 0) out.push("", ...t.notes);
  return out.join("\n");
}

/** A number with 3 significant digits (no exponent), or "—". */
export function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "—";
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** A ratio as `1.23×`, or "" when there is none. */
export function ratio(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? "" : `${x.toFixed(2)}×`;
}

export function bytesLabel(n: number): string {
  if (n >= 1 << 20) return `${n / (1 << 20)} MiB`;
  if (n >= 1024) return `${n / 1024} KiB`;
  return `${n} B`;
}
