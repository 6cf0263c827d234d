/**
 * Negative type tests: every `@ts-expect-error` line must keep failing to compile. Type-checked
 * by compile.test.ts (CommonJS and ESM) and by `npm run typecheck`; never executed.
 */
import { type Channel, type PartialMessage, type Server, type ServerCallContext } from "protozmq";
import {
  GameClient, GameEventsPublisher, GameEventsSubscriber, Mood, Round, UnimplementedGameService, registerGame, type GameService,
  type Lobby,
} from "./gen/negative.js";

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

/** Services: what must compile. */
export async function services(channel: Channel, server: Server): Promise<number> {
  const client = new GameClient(channel);
  const round: Round = await client.getRound({ players: ["a"] }, { timeoutMs: 10 });
  let n = round.number;
  for await (const r of client.watch({}, { timeoutMs: 5 })) n += r.number;
  const total: Lobby = await client.upload([{ number: 1 }, Round.create()]);
  const chat = async function* (): AsyncGenerator<PartialMessage<Lobby>> {
    yield { players: [] };
  };
  for await (const l of client.chat(chat())) n += l.players.length;
  const sent: void = await client.report({ players: [] });
  void sent;

  class Impl extends UnimplementedGameService {
    override async getRound(req: Lobby): Promise<Round> {
      return Round.create({ number: req.players.length });
    }
    override async *watch(_req: Lobby, ctx: ServerCallContext): AsyncGenerator<Round> {
      while (!ctx.signal.aborted) yield Round.create();
    }
  }
  registerGame(server, new Impl());
  const impl: GameService = {
    getRound: () => Round.create(),
    watch: async function* () {
      yield Round.create();
    },
    upload: async (rounds) => {
      for await (const r of rounds) n += r.number;
      return { players: [] };
    },
    chat: async function* (lobbies) {
      for await (const l of lobbies) yield l;
    },
    report: () => undefined,
  };
  registerGame(server, impl);

  const pub = new GameEventsPublisher();
  pub.roundStarted({ number: 1 }, "red");
  pub.lobbyChanged({ players: ["a"] });
  const sub = new GameEventsSubscriber();
  sub.subscribe(["roundStarted"], "red");
  sub.subscribe("all");
  for await (const ev of sub) {
    if (ev.$case === "roundStarted") n += ev.event.number + ev.seq;
    else n += ev.event.players.length + ev.topic.length;
  }
  return n + total.players.length;
}

/** Services: what must not compile. */
export async function servicesNegative(client: GameClient, server: Server, pub: GameEventsPublisher, sub: GameEventsSubscriber): Promise<void> {
  // @ts-expect-error the request of getRound is a Lobby, not a Round
  await client.getRound({ number: 1 });
  // @ts-expect-error a unary call resolves to the response type (Round), not the request type
  const wrong: Lobby = await client.getRound({});
  void wrong;
  // @ts-expect-error a client-streaming method takes an iterable of requests
  await client.upload({ number: 1 });
  // @ts-expect-error a server-streaming call is iterated, not awaited for one response
  const one: Round = await client.watch({});
  void one;
  // @ts-expect-error a one-way call resolves to nothing
  const ack: Lobby = await client.report({});
  void ack;
  // @ts-expect-error call options are typed
  await client.getRound({}, { timeoutMs: "10" });
  // @ts-expect-error a unary handler must return the response type
  const badReturn: GameService["getRound"] = () => ({ players: [] });
  void badReturn;
  // @ts-expect-error a server-streaming handler yields its responses
  const badStream: GameService["watch"] = async () => Round.create();
  void badStream;
  // @ts-expect-error every method of the service must be implemented (report is missing)
  registerGame(server, {
    getRound: () => Round.create(),
    watch: async function* () {},
    upload: () => ({ players: [] }),
    chat: async function* () {},
  });
  class Wrong extends UnimplementedGameService {
    // @ts-expect-error an override keeps the method's request type
    override getRound(req: Round): Round {
      return req;
    }
  }
  void Wrong;
  // @ts-expect-error an event carries its method's message type
  pub.roundStarted({ players: [] });
  // @ts-expect-error only the service's events can be subscribed to
  sub.subscribe("roundEnded");
  for await (const ev of sub) {
    // @ts-expect-error narrowed by $case: a lobbyChanged event is a Lobby
    if (ev.$case === "lobbyChanged") void ev.event.number;
  }
}
