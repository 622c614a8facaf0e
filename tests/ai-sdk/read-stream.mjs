// Reads one agent turn from a running AgentHost with the real `ai` package:
// the body goes through `parseJsonEventStream` with `uiMessageChunkSchema`
// (what DefaultChatTransport uses) and `readUIMessageStream`. Any frame the
// package does not accept fails the run.
//
// Input (stdin, one JSON line): {"port", "password", "referer", "session",
// "message"} — the password travels over stdin, never argv or env. Without
// "message" it replays the session's recorded turn (GET /sessions/{id}/stream,
// served from the persisted chunk log) instead of starting one.
// Output (stdout, one JSON line): {"chunks": [...], "message": UIMessage}.
import { readUIMessageStream, uiMessageChunkSchema } from 'ai';
import { parseJsonEventStream } from '@ai-sdk/provider-utils';

const input = JSON.parse(await new Promise((resolve, reject) => {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => { text += d; });
  process.stdin.on('end', () => resolve(text));
  process.stdin.on('error', reject);
}));

const auth = 'Basic ' + Buffer.from(`agent:${input.password}`).toString('base64');
const base = `http://127.0.0.1:${input.port}/sessions/${input.session}`;
const response = input.message === undefined
  ? await fetch(`${base}/stream`, { headers: { authorization: auth, referer: input.referer } })
  : await fetch(`${base}/turns`, {
    method: 'POST',
    headers: {
      authorization: auth,
      referer: input.referer,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ message: input.message }),
  });
if (response.status !== 200) {
  throw new Error(`turn refused: ${response.status} ${await response.text()}`);
}
if (response.headers.get('x-vercel-ai-ui-message-stream') !== 'v1') {
  throw new Error('missing x-vercel-ai-ui-message-stream: v1');
}

const chunks = [];
const parsed = parseJsonEventStream({ stream: response.body, schema: uiMessageChunkSchema })
  .pipeThrough(new TransformStream({
    transform(part, controller) {
      if (!part.success) {
        throw new Error(`the ai package rejected a frame: ${part.error}`);
      }
      chunks.push(part.value);
      controller.enqueue(part.value);
    },
  }));

let message;
for await (const m of readUIMessageStream({ stream: parsed, terminateOnError: true })) {
  message = m;
}
process.stdout.write(JSON.stringify({ chunks, message }) + '\n');
