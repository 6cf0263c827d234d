/**
 * The concrete {@link Model}: a frozen list of files plus name indexes. Built once by the parse stage.
 */
import type { Enum, Message, Model, ProtoFile } from "./types";

/** Every message and enum of a file, nested ones included, depth first in declaration order. */
export function allTypes(file: Pick<ProtoFile, "messages" | "enums">): Array<Message | Enum> {
  const out: Array<Message | Enum> = [];
  const visit = (m: Message): void => {
    out.push(m);
    m.enums.forEach((e) => out.push(e));
    m.messages.forEach(visit);
  };
  file.enums.forEach((e) => out.push(e));
  file.messages.forEach(visit);
  return out;
}

/** Build a read-only {@link Model}. `files` must be ordered dependencies first. */
export function createModel(files: readonly ProtoFile[], targets: readonly string[]): Model {
  const byName = new Map<string, ProtoFile>();
  const types = new Map<string, Message | Enum>();
  for (const f of files) {
    byName.set(f.name, f);
    for (const t of allTypes(f)) types.set(t.fullName, t);
  }
  const model: Model = {
    files: Object.freeze([...files]),
    targets: Object.freeze([...targets]),
    file(name: string): ProtoFile {
      const f = byName.get(name);
      if (!f) throw new Error(`protozmq: no file "${name}" in the model`);
      return f;
    },
    message(fullName: string): Message {
      const t = types.get(fullName);
      if (!t || t.kind !== "message") throw new Error(`protozmq: no message "${fullName}" in the model`);
      return t;
    },
    enum(fullName: string): Enum {
      const t = types.get(fullName);
      if (!t || t.kind !== "enum") throw new Error(`protozmq: no enum "${fullName}" in the model`);
      return t;
    },
    lookup(fullName: string): Message | Enum | undefined {
      return types.get(fullName);
    },
  };
  return Object.freeze(model);
}
