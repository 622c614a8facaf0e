import { isToolUIPart, type UIMessage } from 'ai';
import { useRef } from 'react';
import { fileOfToolCall, mayChangeFiles, toolNameOf, turnIdOf } from '../changes/changes';
import { useTurnChanges } from '../changes/hooks';
import { Markdown } from '../chat/Markdown';
import { MessageActions } from '../chat/MessageActions';
import { ToolCard } from './ToolCard';
import { TurnChanges, type TurnChangesHandle } from './TurnChanges';

/**
 * One message of the conversation. Its text, the answer's and the user's,
 * is markdown through the same safe renderer (chat/Markdown: raw HTML shown
 * as text, only http(s) links, opened by the shell, remote images as
 * placeholders, long text behind "Show all"); the user's is rendered
 * statically, never as a stream. A finished answer whose turn may have
 * changed files shows those changes below it, and its write tools link to
 * their file's diff. A stored answer that failed says why (its
 * `metadata.error`, kept by the host, so a reload still tells); one whose
 * turn changed files is not offered Retry (the host refuses it: the retry
 * would hide those changes and their Undo), only a new message.
 */
/** Why a stored answer failed (`metadata.error {code, message}`), or null. */
export function failureOf(message: UIMessage): { code: string; message: string } | null {
  if (message.role !== 'assistant') return null;
  const meta = message.metadata;
  if (typeof meta !== 'object' || meta === null) return null;
  const error = (meta as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return null;
  const { code, message: text } = error as Record<string, unknown>;
  return typeof code === 'string' && code !== '' ? { code, message: typeof text === 'string' ? text : '' } : null;
}

/** How the host stored the answer's turn (`complete`, `error`,
 * `interrupted`, `aborted`, or `streaming` while it runs). */
export function statusOf(message: UIMessage | undefined): string | undefined {
  const status = (message?.metadata as { status?: unknown } | undefined)?.status;
  return typeof status === 'string' ? status : undefined;
}

export function ChatMessage({
  sessionId,
  message,
  finished,
  answered,
  onAnswer,
  onAlwaysAllow,
  onRetry,
  addedSinceOpen = false,
  stopped = false,
}: {
  sessionId: string;
  message: UIMessage;
  /** The answer is complete (not the one still streaming). */
  finished: boolean;
  answered: Record<string, boolean>;
  onAnswer: (approvalId: string, approved: boolean) => void;
  onAlwaysAllow?: (approvalId: string, tool: string, input: unknown) => void;
  /** Offered under a failed answer. */
  onRetry?: () => void;
  /** Added since the conversation opened (not loaded with it): the user's
   * message is then added by the Send click, whose task should not parse
   * its markdown. */
  addedSinceOpen?: boolean;
  /** Stopped by the user in this window (the host stores it as aborted). */
  stopped?: boolean;
}) {
  const turnId = finished && mayChangeFiles(message) ? turnIdOf(message) : null;
  const { data: changes } = useTurnChanges(sessionId, turnId);
  const changesView = useRef<TurnChangesHandle>(null);
  const assistant = message.role === 'assistant';
  const failure = finished ? failureOf(message) : null;
  const changedFiles = (changes?.files.length ?? 0) > 0;

  return (
    <div className={`message ${message.role}`}>
      {message.parts.map((part, i) => {
        if (part.type === 'text') {
          // The user's message appears in the Send click's task: its
          // markdown follows a moment later, not in that task.
          return (
            <Markdown key={i} text={part.text} streaming={assistant && !finished} deferMount={addedSinceOpen && !assistant} />
          );
        }
        if (part.type === 'reasoning')
          return (
            <details key={i} className="reasoning">
              <summary>{!finished && part.state === 'streaming' ? 'Thinking…' : 'Reasoning'}</summary>
              <pre>{part.text}</pre>
            </details>
          );
        if (isToolUIPart(part)) {
          const file = changes ? fileOfToolCall(toolNameOf(part) ?? '', part.input, changes.files) : null;
          const approvalId = part.approval?.id;
          return (
            <ToolCard
              key={i}
              part={part}
              answered={approvalId === undefined ? undefined : answered[approvalId]}
              onAnswer={onAnswer}
              onAlwaysAllow={onAlwaysAllow}
              diff={file ? { path: file.path, show: () => changesView.current?.reveal(file.path) } : undefined}
              sessionId={sessionId}
            />
          );
        }
        return null;
      })}
      {failure && (
        <p className="answer-failed error-line" role="note">
          The answer failed: {failure.message ? `${failure.message} ` : ''}({failure.code})
        </p>
      )}
      {assistant && finished && (stopped || statusOf(message) === 'aborted') && (
        <p className="muted answer-stopped" role="note">
          Stopped.
        </p>
      )}
      {turnId && <TurnChanges ref={changesView} sessionId={sessionId} turnId={turnId} />}
      {onRetry && changedFiles && (
        <p className="muted retry-changed">This turn changed files, so it cannot be retried; send a new message to try again.</p>
      )}
      {finished && <MessageActions message={message} onRetry={changedFiles ? undefined : onRetry} />}
    </div>
  );
}
