import { alwaysAllowLabel } from './policy';

/**
 * The host asks before a tool runs. The card above already shows exactly
 * what will happen (the diff or the command); this asks for the answer.
 */
export function ApprovalCard({
  tool,
  input,
  answered,
  onAnswer,
  onAlwaysAllow,
}: {
  tool: string;
  input: unknown;
  /** The user's answer, once given. */
  answered?: boolean;
  onAnswer: (approved: boolean) => void;
  /** Writes the workspace policy, then approves; absent without a workspace. */
  onAlwaysAllow?: () => void;
}) {
  const always = onAlwaysAllow ? alwaysAllowLabel(tool, input) : null;
  return (
    <div className="approval approval-card" role="group" aria-label={`Approve ${tool}?`}>
      {answered !== undefined ? (
        <span className="muted" role="status">
          {answered ? 'Approved' : 'Denied'}; waiting for the host…
        </span>
      ) : (
        <>
          <div className="approval-question">{QUESTION[tool] ?? `Run ${tool}?`}</div>
          <div className="approval-actions">
            <button type="button" className="primary" onClick={() => onAnswer(true)}>
              Approve
            </button>
            <button type="button" onClick={() => onAnswer(false)}>
              Deny
            </button>
            {always && (
              <button type="button" onClick={onAlwaysAllow}>
                {always}
              </button>
            )}
          </div>
        </>
      )}
    </div>
  );
}

const QUESTION: Record<string, string> = {
  write_file: 'Write this file?',
  edit_file: 'Make this edit?',
  edit_document: 'Edit the document?',
  run_command: 'Run this command in the sandbox?',
  web_fetch: 'Fetch this URL?',
};
