/**
 * Run a Python helper process from the repo's virtual environment and talk to it in JSON lines.
 * Used by the cross-language tests: the other language is always a real process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "child_process";
import * as path from "path";
import * as readline from "readline";

export const REPO = path.join(__dirname, "../..");
export const VENV_PYTHON = path.join(REPO, ".venv", "bin", "python");

export class JsonLinePeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  private stderr = "";
  private exited: string | undefined;

  constructor(script: string, args: readonly string[]) {
    this.child = spawn(VENV_PYTHON, [script, ...args], { cwd: REPO, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.child.on("exit", (code, signal) => {
      this.exited = `python peer exited (${code ?? signal}): ${this.stderr.slice(-2000)}`;
      for (const w of this.waiting.splice(0)) w.reject(new Error(this.exited));
    });
    readline.createInterface({ input: this.child.stdout }).on("line", (line) => {
      const w = this.waiting.shift();
      if (w) w.resolve(JSON.parse(line));
    });
  }

  /** Send one request and wait for its answer (requests are answered in order). */
  request<T = unknown>(req: unknown, timeoutMs = 20000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`python peer did not answer in ${timeoutMs} ms: ${this.stderr.slice(-2000)}`)), timeoutMs);
      this.waiting.push({
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      if (req !== undefined) this.child.stdin.write(`${toJsonKeepingNegativeZero(req)}\n`);
    });
  }

  /** Wait for the first line the peer prints on its own (its "ready" line). */
  ready(timeoutMs = 30000): Promise<unknown> {
    return this.request(undefined, timeoutMs);
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

const NEG_ZERO = "\u0000-0\u0000";

/** JSON.stringify turns -0 into 0; the codec tests need -0.0 to reach Python intact. */
export function toJsonKeepingNegativeZero(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (Object.is(v, -0) ? NEG_ZERO : v));
  return text.split(JSON.stringify(NEG_ZERO)).join("-0.0");
}
