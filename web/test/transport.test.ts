import { safeParseJSON } from '@ai-sdk/provider-utils';
import { readUIMessageStream, uiMessageChunkSchema, type UIMessage, type UIMessageChunk } from 'ai';
import { describe, expect, it } from 'vitest';
import { HostError, ProviderDownError, isHostError } from '../src/desktop/errors';
import { DesktopChatTransport, plainDelta, turnContext, turnOptions } from '../src/desktop/transport';
import { collect, fakeBridge } from './fake-bridge';
import { CHUNKS, SESSION, TURN, errorResponse, recordedBody, sseResponse } from './fixtures/turn';

const userMessage = (text: string): UIMessage => ({ id: 'u1', role: 'user', parts: [{ type: 'text', text }] });

function send(transport: DesktopChatTransport, messages: UIMessage[], body?: object) {
  return transport.sendMessages({
    trigger: 'submit-message',
    chatId: SESSION,
    messageId: undefined,
    messages,
    abortSignal: undefined,
    body,
  });
}

describe('DesktopChatTransport.sendMessages', () => {
  it('posts the last user message and yields the recorded chunks', async () => {
    const { bridge, calls } = fakeBridge(() => sseResponse(recordedBody(), 9));
    const transport = new DesktopChatTransport({ bridge });
    const history: UIMessage[] = [
      userMessage('earlier'),
      { id: 'a1', role: 'assistant', parts: [{ type: 'text', text: 'earlier answer' }] },
      { id: 'u2', role: 'user', parts: [{ type: 'text', text: 'Summarise ' }, { type: 'text', text: 'README.md' }] },
    ];
    const chunks = await collect(await send(transport, history, { model: 'some/model' }));

    expect(calls).toHaveLength(1);
    expect(calls[0]!.path).toBe(`/sessions/${SESSION}/turns`);
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(calls[0]!.init.body!)).toEqual({ message: 'Summarise README.md', model: 'some/model' });

    expect(chunks).toEqual(CHUNKS);
    expect(chunks.map((c) => c.type)).toContain('tool-output-available');
    expect(transport.lastEventId(SESSION)).toBe(`${TURN}:${CHUNKS.length}`); // the [DONE] frame's id
  });

  it('produces the UI message the AI SDK builds from those chunks', async () => {
    const { bridge } = fakeBridge(() => sseResponse(recordedBody(), 4));
    const transport = new DesktopChatTransport({ bridge });
    let message: UIMessage | undefined;
    for await (const m of readUIMessageStream({ stream: await send(transport, [userMessage('hi')]), terminateOnError: true })) {
      message = m;
    }
    expect(message?.id).toBe('msg_01JB8Y7D0D');
    const types = message!.parts.map((p) => p.type);
    expect(types).toEqual(['step-start', 'reasoning', 'tool-read_file', 'step-start', 'text']);
    const tool = message!.parts[2] as { state: string; input: unknown; output: unknown };
    expect(tool.state).toBe('output-available');
    expect(tool.input).toEqual({ path: 'README.md' });
    expect(message!.parts[4]).toMatchObject({ type: 'text', text: 'The README describes a local agent host.' });
  });

  it('turns 409 provider_down into a ProviderDownError before any stream', async () => {
    const { bridge } = fakeBridge(() => errorResponse(409, 'provider_down', 'no provider is configured'));
    const transport = new DesktopChatTransport({ bridge });
    const err = await send(transport, [userMessage('hi')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderDownError);
    expect(isHostError(err, 'provider_down')).toBe(true);
    expect((err as HostError).status).toBe(409);
    expect((err as HostError).message).toBe('no provider is configured');
  });

  it('reports run_in_flight as a HostError', async () => {
    const { bridge } = fakeBridge(() => errorResponse(409, 'run_in_flight', 'a turn is running'));
    const err = await send(new DesktopChatTransport({ bridge }), [userMessage('hi')]).catch((e: unknown) => e);
    expect(isHostError(err, 'run_in_flight')).toBe(true);
  });

  it('errors the stream on a frame the ai package rejects', async () => {
    const body = `id: t:0\ndata: ${JSON.stringify(CHUNKS[0])}\n\nid: t:1\ndata: {"type":"no-such-chunk"}\n\n`;
    const { bridge } = fakeBridge(() => sseResponse(body));
    const stream = await send(new DesktopChatTransport({ bridge }), [userMessage('hi')]);
    await expect(collect(stream)).rejects.toThrow();
  });

});

describe('regenerate: the host\'s retry of a failed turn', () => {
  const question = userMessage('What is 6 × 7?');
  const regenerate = (transport: DesktopChatTransport, messages: UIMessage[], body?: object) =>
    transport.sendMessages({
      trigger: 'regenerate-message',
      chatId: SESSION,
      messageId: undefined,
      messages,
      abortSignal: undefined,
      body,
    });

  it('posts to /turns/retry with the question it means and the turn\'s options, and yields the new turn', async () => {
    const { bridge, calls } = fakeBridge(() => sseResponse(recordedBody()));
    const transport = new DesktopChatTransport({ bridge, turn: { model: 'some/model' } });
    const chunks = await collect(await regenerate(transport, [question], { context: turnContext('doc_1', { from: 1, to: 3 }) }));

    expect(calls.map((c) => c.path)).toEqual([`/sessions/${SESSION}/turns/retry`]);
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(calls[0]!.init.body!)).toEqual({
      expected_message: 'What is 6 × 7?',
      model: 'some/model',
      context: { doc_id: 'doc_1', selection: { from: 1, to: 3 } },
    });
    expect(chunks).toEqual(CHUNKS);
    expect(transport.lastEventId(SESSION)).toBe(`${TURN}:${CHUNKS.length}`);
  });

  it('sends the question as a new turn when the host never stored it (nothing_to_retry)', async () => {
    const { bridge, calls } = fakeBridge((path) =>
      path.endsWith('/retry') ? errorResponse(409, 'nothing_to_retry', 'nothing to retry') : sseResponse(recordedBody()),
    );
    const transport = new DesktopChatTransport({ bridge });
    const chunks = await collect(await regenerate(transport, [question], { model: 'm' }));
    expect(calls.map((c) => c.path)).toEqual([`/sessions/${SESSION}/turns/retry`, `/sessions/${SESSION}/turns`]);
    expect(JSON.parse(calls[1]!.init.body!)).toEqual({ message: 'What is 6 × 7?', model: 'm' });
    expect(chunks).toEqual(CHUNKS);
  });

  it('reports the other refusals as they are, without sending the question again', async () => {
    for (const [status, code] of [
      [409, 'retry_after_changes'],
      [409, 'run_in_flight'],
      [404, 'unknown_session'],
    ] as const) {
      const { bridge, calls } = fakeBridge(() => errorResponse(status, code, 'refused'));
      const err = await regenerate(new DesktopChatTransport({ bridge }), [question]).catch((e: unknown) => e);
      expect(isHostError(err, code)).toBe(true);
      expect(calls).toHaveLength(1);
    }
    const { bridge } = fakeBridge(() => errorResponse(409, 'provider_down', 'no provider is configured'));
    expect(await regenerate(new DesktopChatTransport({ bridge }), [question]).catch((e: unknown) => e)).toBeInstanceOf(
      ProviderDownError,
    );
  });

  it('without a question to fall back on, nothing_to_retry is the answer', async () => {
    const { bridge, calls } = fakeBridge(() => errorResponse(409, 'nothing_to_retry', 'nothing to retry'));
    const err = await regenerate(new DesktopChatTransport({ bridge }), []).catch((e: unknown) => e);
    expect(isHostError(err, 'nothing_to_retry')).toBe(true);
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]!.init.body!)).toEqual({});
  });
});

describe('DesktopChatTransport.reconnectToStream', () => {
  it('sends Last-Event-ID of the last frame seen and yields only the rest', async () => {
    const cut = 9; // the connection dropped after frame 8
    let turnCalls = 0;
    const { bridge, calls } = fakeBridge((path, init) => {
      if (path.endsWith('/turns')) {
        turnCalls++;
        // the body stops mid-turn, after frame cut-1
        return sseResponse(recordedBody().split(`id: ${TURN}:${cut}\n`)[0]!);
      }
      const last = init.headers?.['last-event-id'];
      const from = last ? Number(last.split(':')[1]) + 1 : 0;
      return sseResponse(recordedBody(from));
    });
    const transport = new DesktopChatTransport({ bridge });

    const first = await collect(await send(transport, [userMessage('hi')]));
    expect(first).toEqual(CHUNKS.slice(0, cut));
    expect(transport.lastEventId(SESSION)).toBe(`${TURN}:${cut - 1}`);

    const stream = await transport.reconnectToStream({ chatId: SESSION });
    expect(stream).not.toBeNull();
    const rest = await collect(stream as ReadableStream<UIMessageChunk>);
    expect(turnCalls).toBe(1);
    expect(calls[1]!.path).toBe(`/sessions/${SESSION}/stream`);
    expect(calls[1]!.init.method ?? 'GET').toBe('GET');
    expect(calls[1]!.init.headers?.['last-event-id']).toBe(`${TURN}:${cut - 1}`);
    expect(rest).toEqual(CHUNKS.slice(cut));
    expect([...first, ...rest]).toEqual(CHUNKS);
  });

  it('replays from the start without a known id, and returns null when there is no turn', async () => {
    const { bridge, calls } = fakeBridge((path) =>
      path.includes('empty') ? errorResponse(404, 'no_turn', 'no turn yet') : sseResponse(recordedBody()),
    );
    const transport = new DesktopChatTransport({ bridge });
    const all = await collect((await transport.reconnectToStream({ chatId: SESSION }))!);
    expect(calls[0]!.init.headers?.['last-event-id']).toBeUndefined();
    expect(all).toEqual(CHUNKS);
    expect(await transport.reconnectToStream({ chatId: 'ses_empty' })).toBeNull();
  });

  it('throws other refusals as HostErrors', async () => {
    const { bridge } = fakeBridge(() => errorResponse(404, 'unknown_session', 'gone'));
    await expect(new DesktopChatTransport({ bridge }).reconnectToStream({ chatId: 'ses_x' })).rejects.toMatchObject({
      code: 'unknown_session',
    });
  });
});

describe('a turn\'s options and context', () => {
  it('sends the document and its selection with the message', async () => {
    const { bridge, calls } = fakeBridge(() => sseResponse(recordedBody()));
    const transport = new DesktopChatTransport({ bridge });
    await collect(await send(transport, [userMessage('tighten this')], { context: turnContext('doc_1', { from: 12, to: 4 }) }));
    expect(JSON.parse(calls[0]!.init.body!)).toEqual({
      message: 'tighten this',
      context: { doc_id: 'doc_1', selection: { from: 4, to: 12 } },
    });
  });

  it('leaves an empty selection out, and anything StartTurn does not have', () => {
    expect(turnContext('doc_1', { from: 5, to: 5 })).toEqual({ doc_id: 'doc_1' });
    expect(turnContext('doc_1', null)).toEqual({ doc_id: 'doc_1' });
    expect(
      turnOptions({
        model: 'm',
        max_steps: 3,
        provider: 'custom',
        message: 'not from the body',
        extra: 1,
        context: { doc_id: 'doc_1', selection: { from: 1, to: 1 }, other: true },
      }),
    ).toEqual({ model: 'm', max_steps: 3, provider: 'custom', context: { doc_id: 'doc_1' } });
    expect(turnOptions({ context: { selection: { from: 1, to: 2 } } })).toEqual({});
    expect(turnOptions({ context: { doc_id: 'd', selection: { from: -1, to: 2 } } })).toEqual({ context: { doc_id: 'd' } });
    expect(turnOptions({ max_steps: 1.5 })).toEqual({});
    expect(turnOptions(null)).toEqual({});
  });
});

describe('deltas of one part within one network read (up to a 16 KiB slice) are handed on as one chunk', () => {
  const frames: UIMessageChunk[] = [
    { type: 'start', messageId: 'msg_1' },
    { type: 'start-step' },
    { type: 'reasoning-start', id: 'r' },
    ...['Think', 'ing ', 'hard'].map((delta) => ({ type: 'reasoning-delta' as const, id: 'r', delta })),
    { type: 'reasoning-end', id: 'r' },
    { type: 'tool-input-start', toolCallId: 'c1', toolName: 'read_file' },
    ...['{"pa', 'th":"a', '.txt"}'].map((inputTextDelta) => ({ type: 'tool-input-delta' as const, toolCallId: 'c1', inputTextDelta })),
    { type: 'tool-input-available', toolCallId: 'c1', toolName: 'read_file', input: { path: 'a.txt' } },
    { type: 'text-start', id: 't1' },
    ...Array.from({ length: 150 }, (_, i) => ({ type: 'text-delta' as const, id: 't1', delta: `w${i} ` })),
    { type: 'text-end', id: 't1' },
    { type: 'text-start', id: 't2' },
    { type: 'text-delta', id: 't2', delta: 'other part' },
    { type: 'text-delta', id: 't2', delta: ', with metadata', providerMetadata: { p: { k: 1 } } },
    { type: 'text-end', id: 't2' },
    { type: 'finish-step' },
    { type: 'finish' },
  ];
  const body = frames.map((f, i) => `id: ${TURN}:${i + 1}\ndata: ${JSON.stringify(f)}\n\n`).join('') + 'data: [DONE]\n\n';

  async function read(readSize: number) {
    const { bridge } = fakeBridge(() => sseResponse(body, readSize));
    return collect(await send(new DesktopChatTransport({ bridge }), [userMessage('go')]));
  }
  async function message(chunks: UIMessageChunk[]) {
    const stream = new ReadableStream<UIMessageChunk>({
      start(c) {
        for (const chunk of chunks) c.enqueue(chunk);
        c.close();
      },
    });
    let last: UIMessage | undefined;
    for await (const m of readUIMessageStream({ stream, terminateOnError: true })) last = m;
    return last;
  }

  it('one read of the whole answer: each run of deltas is one chunk, nothing else merged', async () => {
    expect(body.length).toBeLessThan(16 * 1024);
    const chunks = await read(body.length);
    const deltas = chunks.filter((c) => c.type.endsWith('-delta'));
    expect(deltas).toEqual([
      { type: 'reasoning-delta', id: 'r', delta: 'Thinking hard' },
      { type: 'tool-input-delta', toolCallId: 'c1', inputTextDelta: '{"path":"a.txt"}' },
      { type: 'text-delta', id: 't1', delta: Array.from({ length: 150 }, (_, i) => `w${i} `).join('') },
      { type: 'text-delta', id: 't2', delta: 'other part' },
      { type: 'text-delta', id: 't2', delta: ', with metadata', providerMetadata: { p: { k: 1 } } },
    ]);
    expect(chunks.filter((c) => !c.type.endsWith('-delta'))).toEqual(frames.filter((c) => !c.type.endsWith('-delta')));
  });

  it('the AI SDK builds the same message from merged chunks as from one chunk per frame', async () => {
    const merged = await read(body.length);
    const unmerged = await read(7); // no read completes two frames
    expect(unmerged).toEqual(frames);
    expect(merged.length).toBeLessThan(unmerged.length / 5);
    expect(await message(merged)).toEqual(await message(unmerged));
  });
});

describe('a read larger than a slice', () => {
  const words = Array.from({ length: 3000 }, (_, i) => `w${i} `);
  const frames: UIMessageChunk[] = [
    { type: 'start', messageId: 'msg_1' },
    { type: 'text-start', id: 't1' },
    ...words.map((delta) => ({ type: 'text-delta' as const, id: 't1', delta })),
    { type: 'text-end', id: 't1' },
    { type: 'finish' },
  ];
  const body = frames.map((f, i) => `id: ${TURN}:${i + 1}\ndata: ${JSON.stringify(f)}\n\n`).join('') + 'data: [DONE]\n\n';

  it('is parsed a slice per task: a timer set as it arrives runs before its last chunk is handed on', async () => {
    expect(body.length).toBeGreaterThan(8 * 16 * 1024);
    const { bridge } = fakeBridge(() => sseResponse(body, body.length));
    const stream = await send(new DesktopChatTransport({ bridge }), [userMessage('go')]);
    const order: string[] = [];
    setTimeout(() => order.push('timer'), 0);
    const chunks: UIMessageChunk[] = [];
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      chunks.push(r.value);
      order.push('chunk');
    }
    expect(order.indexOf('timer')).toBeGreaterThan(-1);
    expect(order.indexOf('timer')).toBeLessThan(order.lastIndexOf('chunk'));
    // Nothing lost or reordered at the slices' edges.
    const deltas = chunks.filter((c) => c.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((c) => (c.type === 'text-delta' ? c.delta : '')).join('')).toBe(words.join(''));
    expect(chunks.filter((c) => c.type !== 'text-delta')).toEqual(frames.filter((c) => c.type !== 'text-delta'));
  });
});

describe('plainDelta: the schema-free parse of a text or reasoning delta', () => {
  const samples = [
    '{"type":"text-delta","id":"t0","delta":"Hello "}',
    '{"type":"reasoning-delta","id":"r","delta":"hm\\n\\u00e9"}',
    '{"type":"text-delta","id":"t0","delta":""}',
    // Not plain: the schema decides.
    '{"type":"text-delta","id":"t0","delta":"x","providerMetadata":{"a":{}}}',
    '{"type":"text-delta","id":"t0","delta":1}',
    '{"type":"text-delta","id":7,"delta":"x"}',
    '{"type":"text-delta","id":"t0","__proto__":{"polluted":true}}',
    '{"type":"text-delta","id":"t0","delta":"x","__proto__":{"polluted":true}}',
    '{"type":"text-delta","id":"t0"}',
    '{"type":"text-deltas","id":"t0","delta":"x"}',
    '{"type":"text-delta","id":"t0","delta":"x"',
    '{"type":"text-start","id":"t0"}',
    '[{"type":"text-delta","id":"t0","delta":"x"}]',
  ];

  it('accepts only what the schema accepts, as the schema parses it', async () => {
    let accepted = 0;
    for (const text of samples) {
      const fast = plainDelta(text);
      const slow = await safeParseJSON({ text, schema: uiMessageChunkSchema });
      if (fast === undefined) continue;
      accepted += 1;
      expect(slow.success, text).toBe(true);
      expect(fast).toEqual(slow.success ? slow.value : undefined);
    }
    expect(accepted).toBe(3);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
