import { isToolUIPart, type UIMessage } from 'ai';
import { useRef } from 'react';
import { fileOfToolCall, mayChangeFiles, toolNameOf, turnIdOf } from '../changes/changes';
import { useTurnChanges } from '../changes/hooks';
import { ToolCard } from './ToolCard';
import { TurnChanges, type TurnChangesHandle } from './TurnChanges';

/**
 * One message of the conversation. A finished answer whose turn may have
 * changed files shows those changes below it, and its write tools link to
 * their file's diff.
 */
export function ChatMessage({
  sessionId,
  message,
  finished,
  answered,
  onAnswer,
}: {
  sessionId: string;
  message: UIMessage;
  /** The answer is complete (not the one still streaming). */
  finished: boolean;
  answered: Record<string, boolean>;
  onAnswer: (approvalId: string, approved: boolean) => void;
}) {
  const turnId = finished && mayChangeFiles(message) ? turnIdOf(message) : null;
  const { data: changes } = useTurnChanges(sessionId, turnId);
  const changesView = useRef<TurnChangesHandle>(null);

  return (
    <div className={`message ${message.role}`}>
      {message.parts.map((part, i) => {
        if (part.type === 'text') return <p key={i} className="text">{part.text}</p>;
        if (part.type === 'reasoning')
          return (
            <details key={i} className="reasoning">
              <summary>Reasoning</summary>
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
              diff={file ? { path: file.path, show: () => changesView.current?.reveal(file.path) } : undefined}
            />
          );
        }
        return null;
      })}
      {turnId && <TurnChanges ref={changesView} sessionId={sessionId} turnId={turnId} />}
    </div>
  );
}
