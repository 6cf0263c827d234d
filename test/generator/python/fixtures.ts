/**
 * Hand-built models of two small `.proto` files (quoted above each) and the FileDescriptorProto bytes
 * protoc 35 (grpcio-tools 1.85) embeds in `_pb2.py` for them, shared by the emitter unit tests.
 */
import {
  enumOf, enumType, enumValue, extension, field, message, method, modelOf, msgType, oneof, protoFile, scalar,
  service,
} from "./model-builder";

/*
syntax = "proto3";
package demo.v1;
import "google/protobuf/timestamp.proto";
option java_package = "com.demo";
message Thing {
  int32 id = 1;
  optional string name = 2;
  repeated int64 vals = 3;
  map<string, Thing> kids = 4;
  oneof pick { string a = 5; Color c = 6; }
  google.protobuf.Timestamp ts = 7;
  string class = 8;
  int32 self = 9;
  enum Color { COLOR_UNSPECIFIED = 0; RED = 1; }
  reserved 20 to 25, 30;
  reserved "foo";
}
enum Top { TOP_A = 0; TOP_B = 1 [deprecated = true]; }
service Svc { rpc Go(Thing) returns (stream Thing); }
*/
export const PROTOC_A =
  "0a07612e70726f746f120764656d6f2e76311a1f676f6f676c652f70726f746f6275662f74696d657374616d702e70726f746f22d902" +
  "0a055468696e67120a0a02696418012001280512110a046e616d651802200128094801880101120c0a0476616c731803200328031226" +
  "0a046b69647318042003280b32182e64656d6f2e76312e5468696e672e4b696473456e747279120b0a0161180520012809480012210a" +
  "016318062001280e32142e64656d6f2e76312e5468696e672e436f6c6f72480012260a02747318072001280b321a2e676f6f676c652e" +
  "70726f746f6275662e54696d657374616d70120d0a05636c617373180820012809120c0a0473656c661809200128051a3b0a094b6964" +
  "73456e747279120b0a036b6579180120012809121d0a0576616c756518022001280b320e2e64656d6f2e76312e5468696e673a023801" +
  "22270a05436f6c6f7212150a11434f4c4f525f554e535045434946494544100012070a03524544100142060a047069636b42070a055f" +
  "6e616d654a040814101a4a04081e101f5203666f6f2a1f0a03546f7012090a05544f505f411000120d0a05544f505f4210011a020801" +
  "322d0a0353766312260a02476f120e2e64656d6f2e76312e5468696e671a0e2e64656d6f2e76312e5468696e673001420a0a08636f6d" +
  "2e64656d6f620670726f746f33";

export function modelA() {
  const thing = message("demo.v1.Thing", {
    file: "a.proto",
    fields: [
      field("id", 1, scalar("int32")),
      field("name", 2, scalar("string"), { cardinality: "optional", proto3Optional: true }),
      field("vals", 3, scalar("int64"), { cardinality: "repeated", packed: true }),
      field("kids", 4, msgType("demo.v1.Thing"), {
        cardinality: "map", map: { key: "string", value: msgType("demo.v1.Thing"), entryName: "KidsEntry" },
      }),
      field("a", 5, scalar("string"), { cardinality: "optional", oneof: "pick" }),
      field("c", 6, enumType("demo.v1.Thing.Color"), { cardinality: "optional", oneof: "pick" }),
      field("ts", 7, msgType("google.protobuf.Timestamp"), { cardinality: "optional" }),
      field("class", 8, scalar("string")),
      field("self", 9, scalar("int32")),
    ],
    oneofs: [oneof("pick", ["a", "c"]), oneof("_name", ["name"], { synthetic: true })],
    enums: [enumOf("demo.v1.Thing.Color", [enumValue("COLOR_UNSPECIFIED", 0), enumValue("RED", 1)])],
    reservedRanges: [{ start: 20, end: 25 }, { start: 30, end: 30 }],
    reservedNames: ["foo"],
  });
  const top = enumOf("demo.v1.Top", [
    enumValue("TOP_A", 0), enumValue("TOP_B", 1, { deprecated: true, options: { deprecated: true } }),
  ]);
  const svc = service("demo.v1.Svc", [method("Go", "demo.v1.Thing", "demo.v1.Thing", { serverStreaming: true })]);
  return modelOf([
    protoFile("google/protobuf/timestamp.proto", {
      package: "google.protobuf", wellKnown: true,
      messages: [message("google.protobuf.Timestamp", {
        fields: [field("seconds", 1, scalar("int64")), field("nanos", 2, scalar("int32"))],
      })],
    }),
    protoFile("a.proto", {
      package: "demo.v1",
      imports: [{ name: "google/protobuf/timestamp.proto", kind: "normal", pos: { file: "a.proto", line: 4, col: 1 } }],
      messages: [thing], enums: [top], services: [svc], options: { java_package: "com.demo" },
    }),
  ]);
}

/*
syntax = "proto2";
package demo.p2;
import "google/protobuf/descriptor.proto";
import public "a.proto";
extend google.protobuf.FileOptions { optional string my_file_opt = 50001; optional Agg agg = 50002; repeated int32 nums = 50003; }
extend google.protobuf.FieldOptions { optional double fopt = 50010; }
message Agg { optional int32 x = 1; optional string y = 2; }
option (my_file_opt) = "hello";
option (agg) = { x: 3 y: "z" };
option (nums) = 1;
option (nums) = 2;
option optimize_for = SPEED;
option java_multiple_files = true;
message P {
  optional int32 a = 1 [default = -0x10];
  optional double d = 2 [default = inf];
  optional float f = 3 [default = 1.1, (fopt) = 2.5];
  optional bytes b = 4 [default = "\001\xffab\"'"];
  optional string s = 5 [default = "héllo\n"];
  optional E e = 6 [default = E_B];
  required int64 r = 7 [json_name = "rr"];
  repeated int32 pk = 8 [packed = true];
  optional group G = 9 { optional int32 gx = 1; }
  map<int32, string> m = 10;
  extensions 100 to 199, 300 to max;
  reserved 20, 22 to 24;
  optional double dd = 11 [default = 1e300];
  optional double d3 = 12 [default = -1.5e-7];
  optional float fnan = 13 [default = nan];
  optional uint64 u = 14 [default = 18446744073709551615];
  optional bool bb = 15 [default = true];
  extend P { optional int32 inner_ext = 150; }
}
extend P { optional string outer_ext = 101; }
enum E { E_A = 0; E_B = 1; reserved 5 to 7, 100 to max; reserved "E_X"; }
*/
export const PROTOC_B =
  "0a07622e70726f746f120764656d6f2e70321a20676f6f676c652f70726f746f6275662f64657363726970746f722e70726f746f1a07" +
  "612e70726f746f221b0a0341676712090a017818012001280512090a017918022001280922ca030a0150120e0a01611801200128053a" +
  "032d3136120e0a01641802200128013a03696e66121b0a01661803200128023a03312e31420bd1b518000000000000044012190a0162" +
  "18042001280c3a0e5c3030315c33373761625c225c2712120a01731805200128093a0768c3a96c6c6f0a121a0a016518062001280e32" +
  "0a2e64656d6f2e70322e453a03455f42120d0a017218072002280352027272120e0a02706b1808200328054202100112170a01671809" +
  "2001280a320c2e64656d6f2e70322e502e47121c0a016d180a2003280b32112e64656d6f2e70322e502e4d456e74727912120a026464" +
  "180b200128013a0631652b33303012140a026433180c200128013a082d312e35652d303712110a04666e616e180d200128023a036e61" +
  "6e121f0a0175180e200128043a14313834343637343430373337303935353136313512100a026262180f200128083a04747275651a0f" +
  "0a0147120a0a0267781801200128051a280a064d456e747279120b0a036b6579180120012805120d0a0576616c75651802200128093a" +
  "0238012a05086410c8012a0908ac02108080808002321e0a09696e6e65725f657874120a2e64656d6f2e70322e5018960120012805" +
  "4a04081410154a04081610192a2a0a014512070a03455f41100012070a03455f4210012204080510072208086410ffffffff072a0345" +
  "5f583a330a0b6d795f66696c655f6f7074121c2e676f6f676c652e70726f746f6275662e46696c654f7074696f6e7318d18603200128" +
  "093a390a03616767121c2e676f6f676c652e70726f746f6275662e46696c654f7074696f6e7318d286032001280b320c2e64656d6f2e" +
  "70322e4167673a2c0a046e756d73121c2e676f6f676c652e70726f746f6275662e46696c654f7074696f6e7318d38603200328053a2d" +
  "0a04666f7074121d2e676f6f676c652e70726f746f6275662e4669656c644f7074696f6e7318da8603200128013a1d0a096f75746572" +
  "5f657874120a2e64656d6f2e70322e50186520012809421e480150018ab5180568656c6c6f92b51805080312017a98b5180198b51802" +
  "5001";

export function modelB() {
  const opt = { cardinality: "optional" } as const;
  const ext = (name: string, n: number, t: ReturnType<typeof scalar>, extendee: string, scope: string, extra = {}) =>
    extension(field(name, n, t, { ...opt, ...extra }), extendee, scope);
  const agg = message("demo.p2.Agg", {
    fields: [field("x", 1, scalar("int32"), opt), field("y", 2, scalar("string"), opt)],
  });
  // The group's message sits where the group field is declared (before the map field).
  const gField = field("g", 9, msgType("demo.p2.P.G", true), opt);
  const gMessage = message("demo.p2.P.G", { group: true, pos: gField.pos, fields: [field("gx", 1, scalar("int32"), opt)] });
  const p = message("demo.p2.P", {
    fields: [
      field("a", 1, scalar("int32"), { ...opt, defaultText: "-16" }),
      field("d", 2, scalar("double"), { ...opt, defaultText: "inf" }),
      field("f", 3, scalar("float"), { ...opt, defaultText: "1.1", options: { "(fopt)": 2.5 } }),
      field("b", 4, scalar("bytes"), { ...opt, defaultText: "\\001\\377ab\\\"\\'" }),
      field("s", 5, scalar("string"), { ...opt, defaultText: "héllo\n" }),
      field("e", 6, enumType("demo.p2.E"), { ...opt, defaultText: "E_B" }),
      field("r", 7, scalar("int64"), { cardinality: "required", jsonName: "rr", explicitJsonName: true }),
      field("pk", 8, scalar("int32"), { cardinality: "repeated", packed: true, options: { packed: true } }),
      gField,
      field("m", 10, scalar("string"), { cardinality: "map", map: { key: "int32", value: scalar("string"), entryName: "MEntry" } }),
      field("dd", 11, scalar("double"), { ...opt, defaultText: "1e300" }),
      field("d3", 12, scalar("double"), { ...opt, defaultText: "-1.5e-7" }),
      field("fnan", 13, scalar("float"), { ...opt, defaultText: "nan" }),
      field("u", 14, scalar("uint64"), { ...opt, defaultText: "18446744073709551615" }),
      field("bb", 15, scalar("bool"), { ...opt, defaultText: "true" }),
    ],
    messages: [gMessage],
    extensionRanges: [{ start: 100, end: 199 }, { start: 300, end: 536870911 }],
    reservedRanges: [{ start: 20, end: 20 }, { start: 22, end: 24 }],
    extensions: [ext("inner_ext", 150, scalar("int32"), "demo.p2.P", "demo.p2.P")],
  });
  const e = enumOf("demo.p2.E", [enumValue("E_A", 0), enumValue("E_B", 1)], {
    closed: true, reservedRanges: [{ start: 5, end: 7 }, { start: 100, end: 2147483647 }], reservedNames: ["E_X"],
  });
  const fo = "google.protobuf.FileOptions";
  const b = protoFile("b.proto", {
    syntax: "proto2", package: "demo.p2",
    imports: [
      { name: "google/protobuf/descriptor.proto", kind: "normal", pos: { file: "b.proto", line: 3, col: 1 } },
      { name: "a.proto", kind: "public", pos: { file: "b.proto", line: 4, col: 1 } },
    ],
    messages: [agg, p], enums: [e],
    extensions: [
      ext("my_file_opt", 50001, scalar("string"), fo, "demo.p2"),
      extension(field("agg", 50002, msgType("demo.p2.Agg"), opt), fo, "demo.p2"),
      ext("nums", 50003, scalar("int32"), fo, "demo.p2", { cardinality: "repeated" }),
      ext("fopt", 50010, scalar("double"), "google.protobuf.FieldOptions", "demo.p2"),
      ext("outer_ext", 101, scalar("string"), "demo.p2.P", "demo.p2"),
    ],
    options: {
      "(my_file_opt)": "hello", "(agg)": { x: 3, y: "z" }, "(nums)": [1, 2], optimize_for: "SPEED",
      java_multiple_files: true,
    },
  });
  const descriptorProto = protoFile("google/protobuf/descriptor.proto", { package: "google.protobuf", syntax: "proto2", wellKnown: true });
  const a = modelA();
  return modelOf([a.file("google/protobuf/timestamp.proto"), descriptorProto, a.file("a.proto"), b]);
}
