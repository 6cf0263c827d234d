/**
 * Negative type tests: every `@ts-expect-error` line must keep failing to compile. Type-checked
 * by compile.test.ts (CommonJS and ESM) and by `npm run typecheck`; never executed.
 */
import { type PartialMessage } from "protozmq";
import { Mood, Round, type Lobby } from "./gen/negative.js";

export function positive(): Round[] {
  const lobby: Lobby = { players: ["a"] };
  const r: Round = Round.create({ number: 1, startedAtMs: 5n, idStr: "18446744073709551615", hint: undefined });
  r.phase = { $case: "waiting", waiting: lobby };
  r.phase = { $case: "score", score: 3 };
  r.phase = undefined;
  r.scores["__proto__"] = 1;
  r.blob = new Uint8Array([1]);
  r.mood = Mood.MOOD_HAPPY;
  r.at = { seconds: 1n, nanos: 0 };
  const partial: PartialMessage<Round> = { lobby: {}, history: [{}], phase: { $case: "waiting", waiting: {} } };
  return [r, Round.create(partial), Round.decode(Round.encode(r))];
}

export function narrowing(r: Round): string {
  return r.phase?.$case === "winner" ? r.phase.winner.toUpperCase() : "";
}

export function negative(r: Round): void {
  // @ts-expect-error int64 fields are bigint, not number
  r.startedAtMs = 5;
  // @ts-expect-error [jstype = JS_STRING] fields are strings
  r.idStr = 5n;
  // @ts-expect-error int32 fields are numbers
  r.number = 1n;
  // @ts-expect-error the $case must name a member of the oneof
  r.phase = { $case: "lobby", lobby: { players: [] } };
  // @ts-expect-error the value must match the $case
  r.phase = { $case: "score", score: "3" };
  // @ts-expect-error a oneof member needs its $case
  r.phase = { score: 3 };
  // @ts-expect-error bytes are Uint8Array
  r.blob = [1, 2];
  // @ts-expect-error map values are typed
  r.scores["a"] = "1";
  // @ts-expect-error optional fields are absent or a string
  r.hint = null;
  // @ts-expect-error unknown fields are not allowed in create()
  Round.create({ nope: 1 });
  // @ts-expect-error create() checks nested partials too
  Round.create({ lobby: { players: [1] } });
  // @ts-expect-error a required-by-type field of a plain object literal must be given
  const l: Lobby = {};
  void l;
  if (r.phase?.$case === "score") {
    // @ts-expect-error narrowed by $case: no `winner` on the score member
    r.phase.winner.toUpperCase();
  }
  // @ts-expect-error enums take their enum type, not strings
  r.mood = "MOOD_HAPPY";
  // @ts-expect-error decode takes bytes
  Round.decode("abc");
}
