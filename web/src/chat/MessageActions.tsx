import { useState } from 'react';
import type { UIMessage } from 'ai';

/** A message's text as the user would paste it: its text parts, in order. */
export function messageText(message: UIMessage): string {
  return message.parts
    .filter((p): p is { type: 'text'; text: string } => p.type === 'text')
    .map((p) => p.text)
    .join('\n\n');
}

/** Copy (and, for a failed answer, Retry) under a message. */
export function MessageActions({ message, onRetry }: { message: UIMessage; onRetry?: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const text = messageText(message);
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
    </div>
  );
}
