/**
 * The Python emitter: for each target `.proto` file, a `_pb2.py` module built on the official
 * protobuf runtime (byte-compatible with protoc's) and a `.pyi` stub for type checkers; for a file
 * with services, also a `_pzmq.py` module of typed clients, servicers and events on the protozmq
 * runtime. Well-known types are never generated: Python imports them from `google.protobuf`.
 */
import type { GeneratedFile, Model } from "../../model/types";
import { pyModulePath, pyServiceModulePath } from "../../model/names";
import { renderPb2 } from "./pb2";
import { renderPyi } from "./pyi";
import { renderServices } from "./service";

export { PY_PROTOBUF_MIN_VERSION } from "./pb2";
export { PY_RUNTIME_API } from "./service";
export { buildFileDescriptor, serializeFileDescriptor } from "./descriptor";

export function emitPython(model: Model): GeneratedFile[] {
  const out: GeneratedFile[] = [];
  for (const name of model.targets) {
    const file = model.file(name);
    if (file.wellKnown) continue;
    const base = pyModulePath(file);
    out.push({ path: `${base}.py`, content: renderPb2(model, file) });
    out.push({ path: `${base}.pyi`, content: renderPyi(model, file) });
    const services = renderServices(model, file);
    if (services !== undefined) out.push({ path: `${pyServiceModulePath(file)}.py`, content: services });
  }
  return out;
}
