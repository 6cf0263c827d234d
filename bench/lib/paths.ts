/** Where things are. No side effects: the orchestrator imports it before bench/.gen exists. */
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");
/** The git-ignored directory of code generated at bench time (bench/lib/prepare.ts). */
export const GEN = path.join(ROOT, "bench", ".gen");
