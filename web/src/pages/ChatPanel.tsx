import { useChat } from '@ai-sdk/react';
import type { UIMessage } from 'ai';
import { memo, startTransition, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type RefObject } from 'react';
import { useStickToBottom } from 'use-stick-to-bottom';
import { useChangesFollowSession } from '../changes/hooks';
import { ExternalLinkContext, shellOpener } from '../chat/links';
import { highlightAhead, loadMarkdown } from '../chat/Markdown';
import { messageText } from '../chat/MessageActions';
import { withAlwaysAllow } from '../chat/policy';
import { ErrorLine, ProviderDownBanner } from '../components/Banners';
import { ChatMessage, statusOf } from '../components/ChatMessage';
import { keysOf } from '../components/shortcuts';
import type { DesktopApi } from '../desktop/api';
import { isHostError } from '../desktop/errors';
import type { TurnContext } from '../desktop/types';
import { useDesktop, useQuery } from '../desktop-context';
import { errorText, whenIdle } from '../hooks';

/** A message re-renders only when its own props change: while an answer
 * streams, the messages before it are left alone. */
const ChatMessageMemo = memo(ChatMessage);

/** How often a streaming answer updates the page at most (ms), about once
 * a frame: the AI SDK applies every delta to its state but tells React
 * once per interval, so a fast stream costs one render (and one markdown
 * parse) per interval, not one per delta. Against 50 ms, the last delta
 * of a fast stream waits less for the throttle's next tick (catch-up
 * medians ~65–85 ms instead of ~100–110), and a model's delta shows in a
 * few milliseconds instead of up to 50; at a model's pace each delta
 * renders, ~30% more of the renderer's CPU while it streams
 * (docs/benchmarks.md, "A throttle of a frame"). */
const STREAM_THROTTLE_MS = 16;

/** When a conversation opens with more messages than this, each of them
 * but its newest (FULL_AT_OPEN_CHARS, below) is rendered in full (markdown,
 * highlighted code, tool cards) only once it comes near the visible part of
 * the list, in a transition (interruptible, in slices); until then it is its
 * plain text, which the browser neither lays out nor paints
 * (`content-visibility: auto`). A 1,000-message session then opens by
 * rendering the screenful it shows instead of all 1,000 (see
 * docs/benchmarks.md, "Renderer"). Messages added later (a new turn) are
 * rendered in full at once (the user's sent message as its text first, in
 * the Send click's render, and as markdown in a transition right after). */
const DEFER_AFTER = 60;
/** "Near": within one list height above or below what is visible. */
const NEAR_MARGIN = '100% 0px';
/** Near for the box that stands in for messages not mounted yet (below):
 * three list heights, further than Chromium starts rendering a
 * `content-visibility: auto` box (about one to two list heights; a
 * placeholder that joined within that band would show at its real height,
 * not the estimate, and move what the user reads where the browser has no
 * scroll anchoring, as WebKitGTK has not; docs/benchmarks.md). */
const NOT_MOUNTED_MARGIN = '300% 0px';

/** One IntersectionObserver for a chat's deferred messages: calls each
 * element's callback once, when it first comes within `margin` of the
 * visible part of the list (the scrolling `.messages` element that holds
 * them). */
class NearView {
  private observer: IntersectionObserver | null = null;
  private readonly callbacks = new Map<Element, () => void>();

  constructor(private readonly margin: string) {}

  observe(el: Element, near: () => void): () => void {
    this.observer ??= new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const callback = entry.isIntersecting ? this.callbacks.get(entry.target) : undefined;
          if (callback) {
            this.unobserve(entry.target);
            callback();
          }
        }
      },
      { root: el.closest('.messages'), rootMargin: this.margin },
    );
    this.callbacks.set(el, near);
    this.observer.observe(el);
    return () => this.unobserve(el);
  }

  private unobserve(el: Element): void {
    this.callbacks.delete(el);
    this.observer?.unobserve(el);
  }
}

type ChatMessageProps = Parameters<typeof ChatMessage>[0];

/** The newest messages a long conversation renders in full at once, by
 * text: about a screenful, so the list shows them without waiting a frame
 * for the observer (and a transition after it). */
const FULL_AT_OPEN_CHARS = 4_000;
const FULL_AT_OPEN_MAX = 12;

/** The ids of the messages to defer: all but the newest that fit in
 * FULL_AT_OPEN_CHARS (at least one, at most FULL_AT_OPEN_MAX). */
export function deferredAtOpen(messages: readonly UIMessage[]): Set<string> {
  const deferred = new Set(messages.map((m) => m.id));
  let chars = 0;
  for (let i = messages.length - 1, n = 0; i >= 0 && n < FULL_AT_OPEN_MAX; i--, n++) {
    chars += messageText(messages[i]!).length;
    if (n > 0 && chars > FULL_AT_OPEN_CHARS) break;
    deferred.delete(messages[i]!.id);
  }
  return deferred;
}

/** A rough height for a deferred message's box, so that the list's scroll
 * height is about right before its messages are rendered. */
function estimatedHeight(text: string): number {
  let lines = 0;
  for (const line of text.split('\n')) lines += 1 + Math.floor(line.length / 90);
  return Math.min(4000, 40 + 21 * lines);
}

/** A long conversation mounts only its newest MOUNT_FIRST messages in the
 * render that opens it; the older ones join the list MOUNT_STEP at a time,
 * newest first, when the page is idle (or all at once when the list is
 * scrolled within NOT_MOUNTED_MARGIN of them), each as its deferred
 * placeholder. Until then one box of their estimated height stands in for
 * them, so the scroll height is about right and does not change as they
 * join (they join far from the view, where the browser lays out their
 * placeholders at the estimate). Until they join, find-in-page does not
 * find their text. Opening a 1,000-message session then creates ~60
 * elements in its first, blocking render, not ~1,000 (the AI SDK's store
 * makes that render synchronous). */
const MOUNT_FIRST = 60;
const MOUNT_STEP = 200;

/** The height of the box that stands in for `messages` not mounted yet:
 * their placeholders' heights, and each one's padding, border and margin
 * (styles.css's `.message`; an assistant message has a 1px border). */
function standInHeight(messages: readonly UIMessage[]): string {
  let px = 0;
  for (const m of messages) px += estimatedHeight(messageText(m)) + (m.role === 'assistant' ? 2 : 0);
  return `calc(${px}px + ${messages.length} * (var(--space-3) + 2 * var(--space-2)))`;
}

/** The box that stands in for the messages not mounted yet (`height`, from
 * standInHeight); `onNear` once the list comes within `near`'s margin. */
const NotMounted = memo(function NotMounted({ height, near, onNear }: { height: string; near: NearView | null; onNear: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (near === null || box.current === null) return;
    return near.observe(box.current, onNear);
  }, [near, onNear]);
  return <div ref={box} className="messages-not-mounted" aria-hidden="true" style={{ height }} />;
});

/** A message of the list: in full, or (deferred) its plain text until it
 * comes near the visible part of the list, and in full from then on. */
const MessageSlot = memo(function MessageSlot({
  near,
  deferred,
  ...props
}: ChatMessageProps & { near: NearView | null; deferred: boolean }) {
  // Decided once: a message rendered in full stays so.
  const [full, setFull] = useState(() => near === null || !deferred);
  const placeholder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (full || near === null || placeholder.current === null) return;
    return near.observe(placeholder.current, () => startTransition(() => setFull(true)));
  }, [full, near]);
  if (full) return <ChatMessageMemo {...props} />;
  const text = messageText(props.message);
  return (
    <div
      ref={placeholder}
      className={`message ${props.message.role} message-deferred`}
      style={{ contentVisibility: 'auto', containIntrinsicSize: `auto ${estimatedHeight(text)}px` }}
    >
      <p className="text">{text}</p>
    </div>
  );
});

/** A function of stable identity that always calls the latest `fn` (for
 * props of memoised children). */
function useStableCallback<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  const latest = useRef(fn);
  useLayoutEffect(() => {
    latest.current = fn;
  });
  return useCallback((...args: A) => latest.current(...args), []);
}

/** What a chat needs of its window besides the session. */
interface ChatProps {
  onSettings: () => void;
  /** Called when a turn ends (the host may have retitled the session). */
  onTurnEnd?: () => void;
  /** The turn's context at the moment a message is sent: a document
   * window's document and its editor's selection. */
  context?: () => TurnContext | undefined;
  /** Holds what the Stop button does while an answer streams (null
   * otherwise): App's Stop shortcut calls it. */
  stopRef?: RefObject<(() => void) | null>;
}

/** A conversation's messages as the chat reads them: the query's key, and
 * its loader. The session list loads them ahead when a row is pressed or
 * the pointer rests on it, so that the chat opening finds them there. */
export const messagesKey = (sessionId: string) => ['messages', sessionId] as const;

export async function loadMessages(api: DesktopApi, sessionId: string) {
  const messages = await api.sessions.messages(sessionId);
  // The newest messages' code is highlighted in the worker while the page
  // renders them (its grammars start loading now).
  highlightAhead((messages as UIMessage[]).slice(-20).map(messageText));
  return messages;
}

export function ChatPanel({ sessionId, onSettings, onTurnEnd, context, stopRef }: ChatProps & { sessionId: string }) {
  const { data, error, version } = useQuery(messagesKey(sessionId), (api) => loadMessages(api, sessionId));
  // Start loading the markdown renderer while the conversation loads.
  useEffect(() => {
    void loadMarkdown().catch(() => {});
  }, []);
  if (error) return <div className="error-line">Cannot load the conversation: {errorText(error)}</div>;
  if (!data) return <div className="muted">Loading…</div>;
  // A new load (the host is back after a restart) starts the chat afresh
  // from what the host stored, and follows a turn still streaming.
  return (
    <Chat
      key={`${sessionId}:${version}`}
      sessionId={sessionId}
      initial={data as UIMessage[]}
      onSettings={onSettings}
      onTurnEnd={onTurnEnd}
      context={context}
      stopRef={stopRef}
    />
  );
}

function Chat({
  sessionId,
  initial,
  onSettings,
  onTurnEnd,
  context,
  stopRef,
}: ChatProps & { sessionId: string; initial: UIMessage[] }) {
  const { api, transport, queries, shell } = useDesktop();
  const openExternal = useMemo(() => shellOpener(shell), [shell]);
  // The session's workspace: its policy is what "Always allow" writes.
  const { data: session } = useQuery(['session', sessionId], (a) => a.sessions.get(sessionId));
  const workspaceId = session?.workspace_id ?? null;
  const { messages, sendMessage, regenerate, status, error, stop, resumeStream, clearError } = useChat({
    id: sessionId,
    messages: initial,
    transport,
    experimental_throttle: STREAM_THROTTLE_MS,
    onFinish: () => {
      // What the turn changed is final now.
      queries.invalidate(['changes', sessionId]);
      onTurnEnd?.();
    },
  });
  useChangesFollowSession(sessionId);
  const [input, setInput] = useState('');
  const [answered, setAnswered] = useState<Record<string, boolean>>({});
  const [actionError, setActionError] = useState<unknown>(null);
  // Answers the user stopped here (a reload reads it from the host).
  const [stopped, setStopped] = useState<ReadonlySet<string>>(() => new Set());

  // A turn still streaming in the host (page reloaded, host restarted):
  // follow it from the persisted stream. Once per mount: `initial` is this
  // Chat's for good (a new load mounts a new Chat) and `resumeStream`
  // belongs to its chat instance.
  useEffect(() => {
    const last = initial[initial.length - 1];
    if (last?.role === 'assistant' && statusOf(last) === 'streaming') void resumeStream();
  }, [initial, resumeStream]);

  const busy = status === 'submitted' || status === 'streaming';

  // The chat as it is now, for a Stop that awaits the host.
  const now = useRef({ status, newest: messages[messages.length - 1] });
  useLayoutEffect(() => {
    now.current = { status, newest: messages[messages.length - 1] };
  });

  async function abort() {
    let aborted = false;
    try {
      aborted = await api.agent.abort(sessionId); // stops the turn in the host
      // Pressed before the host had started the turn (the Send's request
      // still on its way): nothing to stop yet, so it is asked again once
      // the host has one, for up to 2 s. Stopping only the reading would
      // leave the turn running, unseen.
      for (let i = 0; !aborted && i < 20 && now.current.status === 'submitted'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        aborted = await api.agent.abort(sessionId);
      }
    } catch (e) {
      setActionError(e);
    }
    await stop(); // stops reading
    // "Stopped." only under an answer the host did stop (not one that ended
    // as the key was pressed).
    const { newest } = now.current;
    if (aborted && newest?.role === 'assistant') setStopped((ids) => new Set(ids).add(newest.id));
  }
  // The Stop button, and the Stop shortcut while the answer streams.
  const onStop = useStableCallback(() => void abort());
  useEffect(() => {
    if (!stopRef || !busy) return;
    stopRef.current = onStop;
    return () => {
      if (stopRef.current === onStop) stopRef.current = null;
    };
  }, [stopRef, busy, onStop]);

  async function answer(approvalId: string, approved: boolean) {
    try {
      await api.agent.approve(sessionId, approvalId, approved);
      setAnswered((a) => ({ ...a, [approvalId]: approved }));
    } catch (e) {
      setActionError(e);
    }
  }

  /** Writes the workspace policy so this tool (or this command's
   * program) is allowed from now on, then approves this call. */
  async function alwaysAllow(approvalId: string, tool: string, input: unknown) {
    if (!workspaceId) return;
    try {
      const policy = await api.workspaces.policy(workspaceId);
      await api.workspaces.setPolicy(workspaceId, withAlwaysAllow(policy, tool, input));
      queries.invalidate(['policy', workspaceId]);
    } catch (e) {
      setActionError(e);
      return;
    }
    await answer(approvalId, true);
  }

  // A failed turn (the stream's error, or a stored answer that ended in an
  // error) can be tried again: the host answers the same question again
  // (regenerate → POST /sessions/{id}/turns/retry), stored once.
  const last = messages[messages.length - 1];
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const lastStatus = statusOf(last);
  const failed =
    !busy &&
    lastUser !== undefined &&
    (error !== undefined || (last?.role === 'assistant' && (lastStatus === 'error' || lastStatus === 'interrupted')));
  const retry = useStableCallback(() => {
    if (!lastUser) return;
    clearError();
    setActionError(null);
    const turnContext = context?.();
    void regenerate(turnContext ? { body: { context: turnContext } } : undefined);
  });
  const [near] = useState(() => (typeof IntersectionObserver === 'undefined' ? null : new NearView(NEAR_MARGIN)));
  const [nearNotMounted] = useState(() => (typeof IntersectionObserver === 'undefined' ? null : new NearView(NOT_MOUNTED_MARGIN)));
  // The messages a long conversation opened with are deferred, but for its
  // newest ones (what the list shows first), rendered at once.
  const [deferred] = useState(() => (initial.length > DEFER_AFTER ? deferredAtOpen(initial) : null));
  // The messages it opened with; any other was added since (a Send, an
  // answer), and the one a Send adds keeps its markdown out of the click.
  const [opened] = useState(() => new Set(initial.map((m) => m.id)));
  // How many of the oldest messages are not mounted yet (see MOUNT_FIRST).
  const [notMounted, setNotMounted] = useState(() => (deferred ? Math.max(0, initial.length - MOUNT_FIRST) : 0));
  useEffect(() => {
    if (notMounted === 0) return;
    return whenIdle(() => setNotMounted((n) => Math.max(0, n - MOUNT_STEP)), 50);
  }, [notMounted]);
  const mountAll = useCallback(() => startTransition(() => setNotMounted(0)), []);
  // They are always the oldest of those it opened with.
  const notMountedHeight = useMemo(() => standInHeight(initial.slice(0, notMounted)), [initial, notMounted]);
  // The list opens at its newest message and follows a streaming answer
  // while the user is at the bottom; scrolled up, it stays where they are
  // and offers the way back.
  const { scrollRef, contentRef, isAtBottom, scrollToBottom } = useStickToBottom({ initial: 'instant', resize: 'instant' });
  // At the bottom before the deferred messages' observer first looks
  // (child effects run after this layout effect), so only the newest are
  // rendered in full, not the oldest too on the way down.
  useLayoutEffect(() => {
    const list = scrollRef.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [scrollRef]);
  // stick-to-bottom follows the size of the list's content, not of the
  // list: a list at its newest message that gets shorter (a banner or the
  // session bar's status line appears, the session bar's pickers load, the
  // composer is resized, the window too) keeps its newest message in view.
  useEffect(() => {
    const list = scrollRef.current;
    if (!list || typeof ResizeObserver === 'undefined') return;
    let height = list.clientHeight;
    const observer = new ResizeObserver(() => {
      const before = height;
      height = list.clientHeight;
      // At its end before (within rounding), as tall as it was then.
      if (height < before && list.scrollHeight - list.scrollTop - before <= 2) list.scrollTop = list.scrollHeight;
    });
    observer.observe(list);
    return () => observer.disconnect();
  }, [scrollRef]);
  const onAnswer = useStableCallback((id: string, approved: boolean) => void answer(id, approved));
  const onAlwaysAllow = useStableCallback((id: string, tool: string, input: unknown) => void alwaysAllow(id, tool, input));

  return (
    <ExternalLinkContext.Provider value={openExternal}>
      <section className="chat">
        <div className="messages" ref={scrollRef}>
          <div className="messages-content" ref={contentRef}>
            {messages.length === 0 && (
              <p className="muted chat-start">
                {session?.doc_id
                  ? 'Ask about this document. The agent can read it and, with your approval, edit it.'
                  : session?.workspace_id
                    ? 'Ask about this workspace. The agent reads its files; it asks before it writes or runs a command.'
                    : 'Ask anything. Open a folder as a workspace to let the agent work on files.'}
              </p>
            )}
            {notMounted > 0 && <NotMounted height={notMountedHeight} near={nearNotMounted} onNear={mountAll} />}
            {messages.slice(notMounted).map((m, i) => (
              <MessageSlot
                key={m.id}
                near={near}
                deferred={deferred?.has(m.id) ?? false}
                sessionId={sessionId}
                message={m}
                finished={!(busy && notMounted + i === messages.length - 1)}
                answered={answered}
                onAnswer={onAnswer}
                onAlwaysAllow={workspaceId ? onAlwaysAllow : undefined}
                onRetry={failed && m === last && m.role === 'assistant' ? retry : undefined}
                addedSinceOpen={!opened.has(m.id)}
                stopped={stopped.has(m.id)}
              />
            ))}
          </div>
          {!isAtBottom && messages.length > 0 && (
            <button type="button" className="jump-latest" onClick={() => void scrollToBottom()}>
              ↓ Latest
            </button>
          )}
        </div>
        {failed && last?.role !== 'assistant' && (
          <div className="turn-failed">
            <span className="muted">The turn failed.</span>
            <button type="button" className="retry-turn" onClick={retry}>
              Retry
            </button>
          </div>
        )}
        {error && isHostError(error, 'provider_down') ? (
          <ProviderDownBanner message={error.message} onSettings={onSettings} />
        ) : error && isHostError(error, 'run_in_flight') ? (
          <div className="banner warn">
            A turn is already running in this session.{' '}
            <button type="button" onClick={() => (clearError(), void resumeStream())}>
              Follow it
            </button>
          </div>
        ) : (
          <ErrorLine error={error} />
        )}
        <ErrorLine error={actionError} />
        <form
          className="composer"
          onSubmit={(e) => {
            e.preventDefault();
            const text = input.trim();
            if (!text || busy) return;
            setInput('');
            setActionError(null);
            const turnContext = context?.();
            void sendMessage({ text }, turnContext ? { body: { context: turnContext } } : undefined);
            void scrollToBottom();
          }}
        >
          <textarea
            value={input}
            onChange={(e) => setInput(e.target.value)}
            placeholder="Ask the agent…"
            rows={3}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) e.currentTarget.form?.requestSubmit();
            }}
          />
          {busy ? (
            <button type="button" title={`Stop the answer (${keysOf('stop')})`} onClick={onStop}>
              Stop
            </button>
          ) : (
            <button type="submit">Send</button>
          )}
        </form>
      </section>
    </ExternalLinkContext.Provider>
  );
}
