/** Turning the inputs a user names (files and directories) into the list of `.proto` files to compile. */
import * as fs from "fs";
import * as path from "path";

/** Expand directories to the `.proto` files below them, sorted for stable output. */
export function expandInputs(inputs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) {
      out.push(p); // reported as "file not found" by the parser, with the name the user typed
    } else if (st.isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) {
        if (e === "node_modules" || e.startsWith(".")) continue;
        const child = path.join(p, e);
        if (fs.statSync(child).isDirectory() || e.endsWith(".proto")) walk(child);
      }
    } else {
      out.push(p);
    }
  };
  inputs.forEach(walk);
  return out;
}
