/// <reference lib="webworker" />
// The highlighting worker: highlight-core.ts's handler on this thread's
// messages. highlight.ts starts it and is its only client.

import { createHighlightHandler, type WorkerRequest } from './highlight-core';

const handle = createHighlightHandler((msg) => self.postMessage(msg));
self.addEventListener('message', (event: MessageEvent<WorkerRequest>) => handle(event.data));
