import { useChat } from '@ai-sdk/react';
import { getToolName, isToolUIPart, type UIMessage } from 'ai';
import { useEffect, useState } from 'react';
import { ErrorLine, ProviderDownBanner } from '../components/Banners';
import { isHostError } from '../desktop/errors';
import { useDesktop, useQuery } from '../desktop-context';
import { errorText } from '../hooks';

export function ChatPanel({
  sessionId,
  onSettings,
  onTurnEnd,
}: {
  sessionId: string;
  onSettings: () => void;
  onTurnEnd?: () => void;
}) {
  const { data, error, version } = useQuery(['messages', sessionId], (api) => api.sessions.messages(sessionId));
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
    />
  );
}

function Chat({
  sessionId,
  initial,
  onSettings,
  onTurnEnd,
}: {
  sessionId: string;
  initial: UIMessage[];
  onSettings: () => void;
  onTurnEnd?: () => void;
}) {
  const { api, transport } = useDesktop();
  const { messages, sendMessage, status, error, stop, resumeStream, clearError } = useChat({
    id: sessionId,
    messages: initial,
    transport,
    // The host retitles a new session from its first message.
    onFinish: () => onTurnEnd?.(),
  });
  const [input, setInput] = useState('');
  const [answered, setAnswered] = useState<Record<string, boolean>>({});
  const [actionError, setActionError] = useState<unknown>(null);

  // A turn still streaming in the host (page reloaded, host restarted):
  // follow it from the persisted stream. Once per mount: `initial` is this
  // Chat's for good (a new load mounts a new Chat) and `resumeStream`
  // belongs to its chat instance.
  useEffect(() => {
    const last = initial[initial.length - 1];
    const meta = last?.metadata as { status?: string } | undefined;
    if (last?.role === 'assistant' && meta?.status === 'streaming') void resumeStream();
  }, [initial, resumeStream]);

  const busy = status === 'submitted' || status === 'streaming';

  async function abort() {
    try {
      await api.agent.abort(sessionId); // stops the turn in the host
    } catch (e) {
      setActionError(e);
    }
    await stop(); // stops reading
  }

  async function answer(approvalId: string, approved: boolean) {
    try {
      await api.agent.approve(sessionId, approvalId, approved);
      setAnswered((a) => ({ ...a, [approvalId]: approved }));
    } catch (e) {
      setActionError(e);
    }
  }

  return (
    <section className="chat">
      <div className="messages">
        {messages.map((m) => (
          <div key={m.id} className={`message ${m.role}`}>
            {m.parts.map((part, i) => {
              if (part.type === 'text') return <p key={i} className="text">{part.text}</p>;
              if (part.type === 'reasoning')
                return (
                  <details key={i} className="reasoning">
                    <summary>Reasoning</summary>
                    <pre>{part.text}</pre>
                  </details>
                );
              if (isToolUIPart(part)) {
                const approvalId = part.approval?.id;
                return (
                  <div key={i} className={`tool tool-${part.state}`}>
                    <div>
                      <strong>{getToolName(part)}</strong> <span className="muted">{part.state}</span>
                    </div>
                    {part.input !== undefined && <pre>{JSON.stringify(part.input, null, 2)}</pre>}
                    {part.state === 'output-available' && <pre>{stringify(part.output)}</pre>}
                    {part.state === 'output-error' && <div className="error-line">{part.errorText}</div>}
                    {part.state === 'output-denied' && <div className="muted">Denied.</div>}
                    {part.state === 'approval-requested' && approvalId && (
                      <div className="approval">
                        {approvalId in answered ? (
                          <span className="muted">{answered[approvalId] ? 'Approved' : 'Denied'}; waiting for the host…</span>
                        ) : (
                          <>
                            <button type="button" onClick={() => void answer(approvalId, true)}>
                              Approve
                            </button>
                            <button type="button" onClick={() => void answer(approvalId, false)}>
                              Deny
                            </button>
                          </>
                        )}
                      </div>
                    )}
                  </div>
                );
              }
              return null;
            })}
          </div>
        ))}
      </div>
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
          void sendMessage({ text });
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
          <button type="button" onClick={() => void abort()}>
            Stop
          </button>
        ) : (
          <button type="submit">Send</button>
        )}
      </form>
    </section>
  );
}

function stringify(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}
