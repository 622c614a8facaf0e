import { getToolName, type DynamicToolUIPart, type ToolUIPart } from 'ai';
import { baseName } from '../changes/changes';

/**
 * One tool call of an answer: its name, state, input and output, the
 * approval buttons while the host asks, and for a write a link to the
 * file's diff below. Input and output are shown as text.
 */
export function ToolCard({
  part,
  answered,
  onAnswer,
  diff,
}: {
  part: ToolUIPart | DynamicToolUIPart;
  /** The user's answer to its approval, once given. */
  answered?: boolean;
  onAnswer: (approvalId: string, approved: boolean) => void;
  /** The changed file this call wrote, and how to show its diff. */
  diff?: { path: string; show: () => void };
}) {
  const approvalId = part.approval?.id;
  const name = getToolName(part);
  return (
    <div className={`tool tool-${part.state}`}>
      <div>
        <strong>{name}</strong> <span className="muted">{part.state}</span>
      </div>
      {part.input !== undefined && <pre>{JSON.stringify(part.input, null, 2)}</pre>}
      {part.state === 'output-available' && <pre>{stringify(part.output)}</pre>}
      {part.state === 'output-error' && <div className="error-line">{part.errorText}</div>}
      {part.state === 'output-denied' && <div className="muted">Denied.</div>}
      {diff && (
        <button type="button" className="link show-diff" onClick={diff.show}>
          Show the diff of {baseName(diff.path)}
        </button>
      )}
      {part.state === 'approval-requested' && approvalId && (
        <div className="approval">
          {answered !== undefined ? (
            <span className="muted">{answered ? 'Approved' : 'Denied'}; waiting for the host…</span>
          ) : (
            <>
              <button type="button" onClick={() => onAnswer(approvalId, true)}>
                Approve
              </button>
              <button type="button" onClick={() => onAnswer(approvalId, false)}>
                Deny
              </button>
            </>
          )}
        </div>
      )}
    </div>
  );
}

function stringify(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}
