import { getToolName, type DynamicToolUIPart, type ToolUIPart } from 'ai';
import { useRef, useState } from 'react';
import { baseName } from '../changes/changes';
import { ApprovalCard } from '../chat/ApprovalCard';
import { editLines, OUTPUT_LIMIT, summarize, type ToolSummary } from '../chat/tools';
import { useQuery } from '../desktop-context';
import { isHostError } from '../desktop/errors';
import { errorText } from '../hooks';
import '../chat/chat.css';

const STATE: Record<string, string> = {
  'input-streaming': 'preparing…',
  'input-available': 'running…',
  'approval-requested': 'waiting for approval',
  'approval-responded': 'answered',
  'output-available': 'done',
  'output-error': 'failed',
  'output-denied': 'denied',
};

/**
 * One tool call of an answer, shaped per tool: reads collapsed with the
 * path and a count, writes with their diff, run_command with the command,
 * exit code and output, web_fetch with the URL; the approval while the
 * host asks; for a write a link to the file's diff in the turn's changes.
 * Everything the tool said is text.
 */
export function ToolCard({
  part,
  answered,
  onAnswer,
  onAlwaysAllow,
  diff,
  sessionId,
}: {
  part: ToolUIPart | DynamicToolUIPart;
  /** The user's answer to its approval, once given. */
  answered?: boolean;
  onAnswer: (approvalId: string, approved: boolean) => void;
  /** "Always allow this in this workspace" (absent without a workspace). */
  onAlwaysAllow?: (approvalId: string, tool: string, input: unknown) => void;
  /** The changed file this call wrote, and how to show its diff. */
  diff?: { path: string; show: () => void };
  /** The call's session: a `write_file` waiting for approval diffs its
   * text against the file as it is in the session's workspace. */
  sessionId?: string;
}) {
  const approvalId = part.approval?.id;
  const name = getToolName(part);
  const done = part.state === 'output-available';
  const s = summarize(name, part.input, done ? part.output : undefined);
  const asking = part.state === 'approval-requested' && approvalId;
  // Reads are collapsed; what asks, fails or writes is open.
  const openAtFirst = s.kind === 'write' || s.kind === 'command' || !!asking || part.state === 'output-error';
  const [open, setOpen] = useState<boolean | null>(null);
  const isOpen = open ?? openAtFirst;
  // Answering replaces the approval's buttons; the focus moves to this
  // card's summary first so that it stays here, not on <body>.
  const summary = useRef<HTMLElement>(null);
  const keepingFocus = (answer: () => void) => () => {
    summary.current?.focus();
    answer();
  };

  return (
    <details
      className={`tool tool-card tool-${s.kind} tool-${part.state}`}
      data-tool={name}
      open={isOpen}
      onToggle={(e) => {
        const now = e.currentTarget.open;
        if (now !== isOpen) setOpen(now);
      }}
    >
      <summary ref={summary}>
        <span className="tool-name">{name}</span>
        <span className="tool-subject" title={subject(s)}>
          {subject(s)}
        </span>
        {s.kind !== 'other' && 'count' in s && s.count && <span className="tool-meta">{s.count}</span>}
        {s.kind === 'command' && s.exitCode !== undefined && <ExitCode code={s.exitCode} timedOut={s.timedOut} />}
        {s.kind === 'fetch' && s.status !== undefined && <span className="tool-meta">HTTP {s.status}</span>}
        <span
          className={`tool-state muted${part.state === 'output-error' ? ' state-error' : ''}`}
          data-state={part.state}
        >
          {STATE[part.state] ?? part.state}
        </span>
      </summary>
      <div className="tool-body">
        {asking && s.kind === 'write' && name === 'write_file' && sessionId !== undefined ? (
          <WriteOver sessionId={sessionId} approvalId={approvalId} path={s.path} text={s.edits[0]?.new ?? ''} />
        ) : (
          <Body s={s} input={part.input} output={done ? part.output : undefined} />
        )}
        {part.state === 'output-error' && <div className="error-line">{part.errorText}</div>}
        {part.state === 'output-denied' && <div className="muted">Denied.</div>}
        {diff && (
          <button type="button" className="link show-diff" onClick={diff.show}>
            Show the diff of {baseName(diff.path)}
          </button>
        )}
        {asking && (
          <ApprovalCard
            tool={name}
            input={part.input}
            answered={answered}
            onAnswer={(approved) => keepingFocus(() => onAnswer(approvalId, approved))()}
            onAlwaysAllow={onAlwaysAllow && keepingFocus(() => onAlwaysAllow(approvalId, name, part.input))}
          />
        )}
      </div>
    </details>
  );
}

function subject(s: ToolSummary): string {
  switch (s.kind) {
    case 'read':
    case 'write':
      return s.path;
    case 'command':
      return s.command;
    case 'fetch':
      return s.url;
    default:
      return '';
  }
}

function ExitCode({ code, timedOut }: { code: number | null; timedOut?: boolean }) {
  if (code === null) return <span className="tool-meta exit-fail">{timedOut ? 'timed out' : 'killed'}</span>;
  return <span className={`tool-meta exit-code ${code === 0 ? 'exit-ok' : 'exit-fail'}`}>exit {code}</span>;
}

function Body({ s, input, output }: { s: ToolSummary; input: unknown; output: unknown }) {
  switch (s.kind) {
    case 'read':
      return (
        <>
          {s.truncated && <div className="muted">The result was truncated.</div>}
          {output !== undefined && (
            <details className="tool-raw">
              <summary>Result</summary>
              <Output text={stringify(output)} />
            </details>
          )}
        </>
      );
    case 'write':
      return (
        <>
          {s.edits.map((e, i) => (
            <EditDiff key={i} edit={e} label={`${s.tool} ${s.path}${s.edits.length > 1 ? ` edit ${i + 1}` : ''}`} />
          ))}
        </>
      );
    case 'command':
      return (
        <>
          <pre className="tool-cmdline" aria-label="Command">
            $ {s.command}
          </pre>
          {s.stdout !== undefined && s.stdout !== '' && (
            <details className="tool-stdout" open>
              <summary>stdout</summary>
              <Output text={s.stdout} />
            </details>
          )}
          {s.stderr !== undefined && s.stderr !== '' && (
            <details className="tool-stderr" open={s.exitCode !== 0}>
              <summary>stderr</summary>
              <Output text={s.stderr} />
            </details>
          )}
          {s.truncated && <div className="muted">Output was truncated by the host.</div>}
        </>
      );
    case 'fetch':
      return (
        <>
          <div className="tool-url">{s.url}</div>
          {s.contentType && <div className="muted">{s.contentType}</div>}
          {s.body !== undefined && (
            <details className="tool-raw">
              <summary>Body</summary>
              <Output text={s.body} />
            </details>
          )}
        </>
      );
    default:
      return (
        <>
          {input !== undefined && <Output text={stringify(input)} />}
          {output !== undefined && <Output text={stringify(output)} />}
        </>
      );
  }
}

/** Tool output as text, cut at OUTPUT_LIMIT with "Show all". */
export function Output({ text }: { text: string }) {
  const [all, setAll] = useState(false);
  const long = text.length > OUTPUT_LIMIT;
  return (
    <>
      <pre className="tool-output">{long && !all ? text.slice(0, OUTPUT_LIMIT) : text}</pre>
      {long && (
        <button type="button" className="link" onClick={() => setAll((a) => !a)}>
          {all ? 'Show less' : `Show all (${text.length.toLocaleString('en')} characters)`}
        </button>
      )}
    </>
  );
}

/**
 * What a `write_file` waiting for approval would do to the file as it is
 * now: its text replaces the whole file, so the diff is against the
 * file's current text (read from the session's workspace), not against
 * nothing. A write over a 200-line file with two lines then shows the 200
 * going, where a diff of the new text alone showed two lines coming.
 */
function WriteOver({ sessionId, approvalId, path, text }: { sessionId: string; approvalId: string; path: string; text: string }) {
  const { data: session, error: sessionError } = useQuery(['session', sessionId], (a) => a.sessions.get(sessionId));
  const workspaceId = session?.workspace_id ?? null;
  const file = useQuery(workspaceId ? ['file-now', workspaceId, path, approvalId] : null, (a) => a.workspaces.read(workspaceId!, path));
  const label = `write_file ${path}`;
  if (file.data) return <EditDiff edit={{ old: file.data.content, new: text }} label={label} />;
  // (No workspace: the host offers write_file only in one.)
  if (session && workspaceId === null) return <EditDiff edit={{ old: '', new: text }} label={label} />;
  const error = file.error ?? (session ? undefined : sessionError);
  if (!error) return <div className="muted">Reading {path} as it is now…</div>;
  return (
    <>
      {isHostError(error, 'not_found') ? (
        <div className="muted write-new">A new file.</div>
      ) : (
        <div className="error-line write-unknown">
          The file as it is now could not be read ({errorText(error)}): this shows only the text it would hold, which replaces
          whatever the file holds.
        </div>
      )}
      <EditDiff edit={{ old: '', new: text }} label={label} />
    </>
  );
}

function EditDiff({ edit, label }: { edit: { old: string; new: string }; label: string }) {
  const { lines, more } = editLines(edit);
  if (lines.length === 0) return <div className="muted">No change in the text.</div>;
  return (
    <pre className="diff-lines edit-diff" tabIndex={0} aria-label={`Diff of ${label}`}>
      {lines.map((l, i) => (
        <div key={i} className={`diff-row diff-${l.kind}`}>
          <span className="diff-mark" aria-hidden="true">
            {l.kind === 'add' ? '+' : '−'}
          </span>
          <span className="sr-only">{l.kind === 'add' ? 'added' : 'removed'}: </span>
          {l.text}
        </div>
      ))}
      {more > 0 && <div className="diff-row diff-skip">… {more} more lines</div>}
    </pre>
  );
}

function stringify(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}
