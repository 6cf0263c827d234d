/** What the bench ran on: printed at the top of every report and stored in the JSON. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zmq from "zeromq";
import { ROOT } from "./paths";
import { PYTHON, runSync } from "./procs";

export interface Machine {
  cpuModel: string;
  cores: number;
  hypervisor: string | undefined;
  memoryGiB: number;
  os: string;
  node: string;
  python: string;
  libzmqJs: string;
  libzmqPy: string;
  pyzmq: string;
  protobufPy: string;
  grpcio: string;
  loadAverage: number[];
}

/** An installed package's version, read from node_modules (some packages do not export package.json). */
function pkgVersion(name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  let hypervisor: string | undefined;
  try {
    const info = fs.readFileSync("/proc/cpuinfo", "utf8");
    if (/^flags.*\bhypervisor\b/m.test(info)) hypervisor = "virtual machine";
  } catch {
    // not Linux
  }
  const py = runSync(PYTHON, [
    "-c",
    [
      "import sys, zmq, grpc, google.protobuf as pb",
      "from google.protobuf.internal import api_implementation as a",
      "print(sys.version.split()[0]); print(zmq.zmq_version()); print(zmq.__version__)",
      "print(pb.__version__ + ' (' + a.Type() + ')'); print(grpc.__version__)",
    ].join("\n"),
  ]).trim().split("\n");
  return {
    cpuModel: cpus[0]?.model.trim() ?? "?",
    cores: cpus.length,
    hypervisor,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    python: py[0] ?? "?",
    libzmqJs: `${zmq.version} (zeromq.js ${pkgVersion("zeromq")})`,
    libzmqPy: `${py[1] ?? "?"} (pyzmq ${py[2] ?? "?"})`,
    pyzmq: py[2] ?? "?",
    protobufPy: py[3] ?? "?",
    grpcio: py[4] ?? "?",
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** One paragraph naming the machine, for the console and for docs/BENCHMARKS.md. */
export function machineLine(m: Machine): string {
  return [
    `${m.cpuModel}, ${m.cores} cores${m.hypervisor !== undefined ? ` (${m.hypervisor})` : ""}, ${m.memoryGiB} GiB; ${m.os}`,
    `node ${m.node}, @grpc/grpc-js ${pkgVersion("@grpc/grpc-js")}, protobufjs ${pkgVersion("protobufjs")}, @bufbuild/protobuf ${pkgVersion("@bufbuild/protobuf")}`,
    `Python ${m.python}, protobuf ${m.protobufPy}, grpcio ${m.grpcio}; libzmq ${m.libzmqJs} / ${m.libzmqPy}`,
    `load average at start ${m.loadAverage.join(" ")}`,
  ].join("\n");
}
