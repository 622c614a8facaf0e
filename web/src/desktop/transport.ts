// DesktopChatTransport: the AI SDK's ChatTransport over window.desktop.
//
// The chat id is the host's session id. A turn's answer is the AI SDK UI
// message stream (docs/rfc/stream.md). Each frame's `id:` is noted (so that
// `reconnectToStream` can resume with `Last-Event-ID`) and its data parsed
// and validated as `parseJsonEventStream` does for DefaultChatTransport
// (`safeParseJSON` with the `ai` package's `uiMessageChunkSchema`), in one
// pass over each network read. Consecutive deltas of the same part within
// one read are handed on as one chunk (`coalesce`): the AI SDK does work per
// chunk, and a fast answer's 10,000 deltas arrive dozens to a read, so
// chunk by chunk its bookkeeping kept the page's main thread busy for
// hundreds of milliseconds at a time. The message built is the same.
//
// A turn's options come from the transport's `turn` and the call's `body`
// (`sendMessage(msg, {body: {context: turnContext(docId, selection)}})`);
// only the fields of `POST /sessions/{id}/turns` are sent (`turnOptions`).
//
// `regenerate()` (trigger `regenerate-message`) is the host's retry of a
// failed turn, `POST /sessions/{id}/turns/retry`: the same question answered
// again, stored once. When the host has nothing to retry for that question
// (the failed request was refused before anything was stored, e.g.
// `provider_down`), the question is sent as a new turn instead.

import { safeParseJSON } from '@ai-sdk/provider-utils';
import { uiMessageChunkSchema, type ChatTransport, type UIMessage, type UIMessageChunk } from 'ai';
import { createDesktopApi, type DesktopApi } from './api';
import { getDesktop } from './bridge';
import { HostError, isHostError } from './errors';
import { jsonObject, SseSplitter } from './sse';
import type { DesktopBridge, ProviderId, StartTurnOptions, TextSelection, TurnContext } from './types';

export interface DesktopChatTransportOptions {
  /** Defaults to `window.desktop`, looked up at each call. */
  bridge?: DesktopBridge | (() => DesktopBridge);
  /** Provider, model and step limit for every turn (per call: `body`). */
  turn?: Omit<StartTurnOptions, 'signal'>;
}

/** Text of a UI message's text parts. */
export function messageText(message: UIMessage): string {
  return message.parts
    .filter((p): p is { type: 'text'; text: string } => p.type === 'text')
    .map((p) => p.text)
    .join('');
}

/** The turn's `context` for a document window: the document, and the
 * selection when it is not empty (`from`/`to` in either order, UTF-16
 * offsets as CodeMirror gives them). */
export function turnContext(docId: string, selection?: TextSelection | null): TurnContext {
  if (!selection || selection.from === selection.to) return { doc_id: docId };
  const from = Math.min(selection.from, selection.to);
  const to = Math.max(selection.from, selection.to);
  return { doc_id: docId, selection: { from, to } };
}

const isOffset = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The options of `POST /sessions/{id}/turns` a request `body` holds; any
 * other field is left out, and a `context` without a `doc_id` (or a
 * selection that is not two offsets, or empty) is dropped. */
export function turnOptions(body: unknown): Omit<StartTurnOptions, 'signal'> {
  if (!body || typeof body !== 'object') return {};
  const b = body as Record<string, unknown>;
  const out: Omit<StartTurnOptions, 'signal'> = {};
  if (typeof b.provider === 'string') out.provider = b.provider as ProviderId;
  if (typeof b.model === 'string') out.model = b.model;
  if (isOffset(b.max_steps)) out.max_steps = b.max_steps;
  const c = b.context as Record<string, unknown> | null | undefined;
  if (c && typeof c === 'object' && typeof c.doc_id === 'string' && c.doc_id !== '') {
    const sel = c.selection as Record<string, unknown> | null | undefined;
    const valid = sel && typeof sel === 'object' && isOffset(sel.from) && isOffset(sel.to);
    out.context = turnContext(c.doc_id, valid ? { from: sel.from as number, to: sel.to as number } : null);
  }
  return out;
}

export class DesktopChatTransport<UI_MESSAGE extends UIMessage = UIMessage> implements ChatTransport<UI_MESSAGE> {
  /** Without Last-Event-ID the host replays the turn from its start; with it,
   * no `start` chunk comes again, so the reset never triggers. */
  readonly resumeStreamIsReplay = true;

  private readonly api: DesktopApi;
  private readonly turn: Omit<StartTurnOptions, 'signal'>;
  private readonly lastIds = new Map<string, string>();

  constructor(options: DesktopChatTransportOptions = {}) {
    this.api = createDesktopApi(options.bridge ?? getDesktop);
    this.turn = options.turn ?? {};
  }

  /** The id of the last frame seen for a session (`<turn_id>:<seq>`). */
  lastEventId(chatId: string): string | undefined {
    return this.lastIds.get(chatId);
  }

  /** Forgets the position, so the next reconnect replays the latest turn. */
  resetEventId(chatId: string): void {
    this.lastIds.delete(chatId);
  }

  async sendMessages(
    options: Parameters<ChatTransport<UI_MESSAGE>['sendMessages']>[0],
  ): Promise<ReadableStream<UIMessageChunk>> {
    const last = options.messages[options.messages.length - 1];
    const turn = { ...turnOptions(this.turn), ...turnOptions(options.body), signal: options.abortSignal };
    if (options.trigger === 'regenerate-message') {
      // The AI SDK has dropped the failed answer: the last message is the
      // question to answer again.
      return this.retry(options.chatId, last?.role === 'user' ? messageText(last) : undefined, turn);
    }
    if (!last || last.role !== 'user') {
      throw new HostError('invalid_body', 'The last message must be the user’s.');
    }
    this.lastIds.delete(options.chatId);
    const res = await this.api.agent.startTurn(options.chatId, messageText(last), turn);
    return this.chunks(options.chatId, res);
  }

  /** Retries the session's failed last turn on `question`; when the host
   * never stored that question (`nothing_to_retry`), starts a turn with it. */
  private async retry(
    chatId: string,
    question: string | undefined,
    turn: Omit<StartTurnOptions, 'signal'> & { signal?: AbortSignal },
  ): Promise<ReadableStream<UIMessageChunk>> {
    this.lastIds.delete(chatId);
    let res: Response;
    try {
      res = await this.api.agent.retryTurn(chatId, question ? { ...turn, expected_message: question } : turn);
    } catch (e) {
      if (!question || !isHostError(e, 'nothing_to_retry')) throw e;
      res = await this.api.agent.startTurn(chatId, question, turn);
    }
    return this.chunks(chatId, res);
  }

  async reconnectToStream(
    options: Parameters<ChatTransport<UI_MESSAGE>['reconnectToStream']>[0],
  ): Promise<ReadableStream<UIMessageChunk> | null> {
    let res: Response;
    try {
      res = await this.api.agent.resumeTurn(options.chatId, this.lastIds.get(options.chatId), options.abortSignal);
    } catch (e) {
      // A session without any turn has nothing to resume.
      if (isHostError(e, 'no_turn')) return null;
      throw e;
    }
    return this.chunks(options.chatId, res);
  }

  private chunks(chatId: string, res: Response): ReadableStream<UIMessageChunk> {
    if (!res.body) throw new HostError('bad_response', 'The host answered without a stream.', res.status);
    const splitter = new SseSplitter();
    const decoder = new TextDecoder();
    const lastIds = this.lastIds;
    // The frames one read completed, parsed and handed on a slice of text
    // at a time; an invalid frame errors the stream after the chunks before
    // it.
    async function frames(text: string, controller: TransformStreamDefaultController<UIMessageChunk>) {
      for (let at = 0; at < text.length; at += SLICE_CHARS) {
        if (at > 0) await nextTask();
        const out: UIMessageChunk[] = [];
        try {
          for (const ev of splitter.push(text.slice(at, at + SLICE_CHARS))) {
            if (ev.id) lastIds.set(chatId, ev.id);
            if (ev.data === '[DONE]') continue;
            const delta = plainDelta(ev.data);
            if (delta) {
              coalesce(out, delta);
              continue;
            }
            const part = await safeParseJSON({ text: ev.data, schema: uiMessageChunkSchema });
            if (!part.success) throw part.error;
            coalesce(out, part.value as UIMessageChunk);
          }
        } finally {
          for (const chunk of out) controller.enqueue(chunk);
        }
      }
    }
    return res.body.pipeThrough(
      new TransformStream<Uint8Array, UIMessageChunk>({
        transform: (bytes, controller) => frames(decoder.decode(bytes, { stream: true }), controller),
        flush: async (controller) => {
          await frames(decoder.decode(), controller);
          splitter.end();
        },
      }),
    );
  }
}

/**
 * Text parsed per task at most. One read can bring hundreds of kilobytes (an
 * answer the host streams faster than the page reads), and parsing it all at
 * once was a 50–80 ms task; between slices the page can render and take
 * input. A slice may end inside a frame: the parser keeps the rest for the
 * next.
 */
const SLICE_CHARS = 16 * 1024;

/** Resolves in a later task (`scheduler.yield` where there is one). */
function nextTask(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A text or reasoning delta with nothing else (`{"type","id","delta"}`,
 * strings), parsed without the schema; anything else undefined, for the
 * schema to judge. Almost every frame of an answer is one, and validating
 * each through `uiMessageChunkSchema` (zod) cost a 10,000-delta answer
 * ~50 ms of the main thread. What this accepts the schema accepts too (a
 * strict object of those three keys), and with exactly those keys there is
 * no `__proto__` or `constructor` for secure-json-parse to refuse.
 */
export function plainDelta(data: string): UIMessageChunk | undefined {
  if (!data.startsWith('{"type":"text-delta"') && !data.startsWith('{"type":"reasoning-delta"')) return undefined;
  const v = jsonObject(data);
  if (!v) return undefined;
  if (Object.keys(v).length !== 3 || !('type' in v && 'id' in v && 'delta' in v)) return undefined;
  if (typeof v.id !== 'string' || typeof v.delta !== 'string') return undefined;
  if (v.type !== 'text-delta' && v.type !== 'reasoning-delta') return undefined;
  return { type: v.type, id: v.id, delta: v.delta };
}

/** Appends `chunk` to `out`, merged into the last chunk when both are
 * deltas of the same text, reasoning or tool-input part (and carry no
 * provider metadata): the AI SDK appends deltas, so the part it builds is
 * the same. The last chunk is changed in place: `out` holds chunks parsed for
 * this read, not yet handed on. */
export function coalesce(out: UIMessageChunk[], chunk: UIMessageChunk): void {
  const prev = out[out.length - 1];
  if (prev !== undefined && prev.type === chunk.type) {
    if (
      (prev.type === 'text-delta' || prev.type === 'reasoning-delta') &&
      (chunk.type === 'text-delta' || chunk.type === 'reasoning-delta') &&
      prev.id === chunk.id &&
      prev.providerMetadata === undefined &&
      chunk.providerMetadata === undefined
    ) {
      prev.delta += chunk.delta;
      return;
    }
    if (prev.type === 'tool-input-delta' && chunk.type === 'tool-input-delta' && prev.toolCallId === chunk.toolCallId) {
      prev.inputTextDelta += chunk.inputTextDelta;
      return;
    }
  }
  out.push(chunk);
}
