/**
 * Server-side state of one client (a {@link Peer}: its routing id, open calls and outgoing queue)
 * and of one call (a {@link ServerCall}, which is also the handler's {@link ServerCallContext}).
 * Internal: nothing here is exported from the package.
 */
import type { MethodDescriptor } from "./call-options.js";
import type { DeadlineList, Timed } from "./deadlines.js";
import { RpcError } from "./errors.js";
import { Metadata, MetadataInit } from "./metadata.js";
import type { Handler, ServerCallContext } from "./server.js";
import { Status } from "./status.js";
import { MessageStream } from "./stream.js";

/** A registered method: its descriptor and handler. */
export interface Registered {
  readonly descriptor: MethodDescriptor<unknown, unknown>;
  readonly handler: Handler<unknown, unknown>;
}

/** What a call needs from its server: ending it with an error when its deadline passes. */
export interface CallOwner {
  finishError(call: ServerCall, err: unknown): void;
}

/** One connected client, keyed by its ZeroMQ routing id. */
export class Peer {
  /** Frames queued for this client: its routing id, then packets of one or two frames. */
  out: Uint8Array[] | null = null;
  /** The array of the last batch sent, emptied down to the routing id: the next `out` (no allocation per batch). */
  spare: Uint8Array[] | null = null;
  /** Packets in `out` (not frames: an inline packet is one frame, PZMQ/1 3). */
  outPackets = 0;
  /** When sends to this peer started failing with EAGAIN (0 = not blocked). */
  blockedSince = 0;
  readonly calls = new Map<number, ServerCall>();
  warned = false;
  private hex: string | undefined = undefined;
  constructor(
    readonly key: string | number,
    readonly id: Buffer,
  ) {}
  get name(): string {
    return (this.hex ??= this.id.toString("hex"));
  }
}

/**
 * One call being served. It is the `ctx` its handler receives; the fields and methods not in
 * {@link ServerCallContext} are the runtime's.
 */
export class ServerCall implements ServerCallContext, Timed {
  done = false;
  headersSent = false;
  header: Metadata | undefined = undefined;
  trailer: Metadata | undefined = undefined;
  /** In its peer's call table (or the server's oneway set) and deadline queue: the handler went async. */
  registered = false;
  deadlineAt = 0;
  deadlinePrev: Timed | null = null;
  deadlineNext: Timed | null = null;
  deadlineList: DeadlineList | null = null;
  requests: MessageStream<unknown> | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private abortReason: RpcError | undefined = undefined;

  constructor(
    readonly core: CallOwner,
    readonly peerRef: Peer,
    readonly id: number,
    readonly reg: Registered,
    readonly deadline: number | undefined,
    private requestMetadata: Metadata | undefined,
    readonly oneway: boolean,
  ) {}

  get method(): string {
    return this.reg.descriptor.path;
  }
  get peer(): string {
    return this.peerRef.name;
  }
  get metadata(): Metadata {
    return (this.requestMetadata ??= new Metadata());
  }
  // Created on first use: most handlers never look at it, and an AbortController per call costs.
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }
  timeRemaining(): number | undefined {
    return this.deadline === undefined ? undefined : Math.max(0, this.deadline - Date.now());
  }
  setHeader(headers: MetadataInit): void {
    if (this.headersSent) throw new Error("response headers were already sent");
    (this.header ??= new Metadata()).merge(headers);
  }
  setTrailer(trailers: MetadataInit): void {
    (this.trailer ??= new Metadata()).merge(trailers);
  }
  /** The deadline passed (the server's DeadlineQueue): the caller gets DEADLINE_EXCEEDED, the handler an abort. */
  onDeadline(): void {
    this.core.finishError(this, new RpcError(Status.DEADLINE_EXCEEDED, "deadline exceeded"));
    this.abort(new RpcError(Status.DEADLINE_EXCEEDED, "deadline exceeded"));
  }
  /** Aborts the handler's signal and fails its request stream (idempotent). */
  abort(reason: RpcError): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    this.requests?.fail(reason);
  }
}
