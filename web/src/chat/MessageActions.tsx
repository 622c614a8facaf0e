import { useState } from 'react';
import type { UIMessage } from 'ai';
import type { MessageUsage } from '../desktop/types';
import { formatCost, formatTokens } from '../pages/SessionBar';

/** A message's text as the user would paste it: its text parts, in order. */
export function messageText(message: UIMessage): string {
  return message.parts
    .filter((p): p is { type: 'text'; text: string } => p.type === 'text')
    .map((p) => p.text)
    .join('\n\n');
}

const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

/**
 * An answer's turn's usage, or null (user messages, a turn not ended, a
 * malformed value): the stored answer's `metadata.usage`, or the live
 * stream's `finish` metadata, which the AI SDK merges into the message
 * (the same shape, docs/rfc/stream.md).
 */
export function usageOf(message: UIMessage): MessageUsage | null {
  if (message.role !== 'assistant') return null;
  const meta = message.metadata;
  if (typeof meta !== 'object' || meta === null) return null;
  const usage = (meta as { usage?: unknown }).usage;
  if (typeof usage !== 'object' || usage === null) return null;
  const u = usage as Record<string, unknown>;
  const input = count(u.input_tokens);
  const output = count(u.output_tokens);
  if (input === null || output === null) return null;
  return { input_tokens: input, output_tokens: output, cost: count(u.cost) };
}

/** The turn's tokens (in and out in the title and for screen readers) and
 * its cost when reported: `1.2k tokens · $0.0031`. */
export function TurnUsage({ usage }: { usage: MessageUsage }) {
  const { input_tokens: input, output_tokens: output, cost } = usage;
  return (
    <span className="turn-usage muted" title={`${input} input + ${output} output tokens`}>
      {formatTokens(input + output)} tokens
      <span className="sr-only">
        {' '}
        ({input} in, {output} out)
      </span>
      {typeof cost === 'number' && (
        <>
          <span aria-hidden="true"> · </span>
          <span className="sr-only">, cost </span>
          <span className="turn-cost">{formatCost(cost)}</span>
        </>
      )}
    </span>
  );
}

/** Copy (and, for a failed answer, Retry) under a message, and an
 * answer's tokens and cost. */
export function MessageActions({ message, onRetry }: { message: UIMessage; onRetry?: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const text = messageText(message);
  const usage = usageOf(message);
  // A turn that failed before any model call reported usage has 0 tokens:
  // nothing worth a line.
  const used = usage !== null && (usage.input_tokens + usage.output_tokens > 0 || typeof usage.cost === 'number');
  return (
    <div className="message-actions">
      {text !== '' && (
        <button
          type="button"
          className="link copy-message"
          aria-label={message.role === 'user' ? 'Copy your message' : 'Copy the answer'}
          onClick={() => {
            const clip = typeof navigator === 'undefined' ? undefined : navigator.clipboard;
            if (!clip) return setCopied('failed');
            clip.writeText(text).then(
              () => setCopied('yes'),
              () => setCopied('failed'),
            );
          }}
        >
          {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Copy failed' : 'Copy'}
        </button>
      )}
      {onRetry && (
        <button type="button" className="link retry-turn" onClick={onRetry}>
          Retry
        </button>
      )}
      {used && <TurnUsage usage={usage} />}
    </div>
  );
}
