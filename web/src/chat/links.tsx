import { createContext, useContext } from 'react';

/**
 * Links in model output and tool output are untrusted. Only http(s) URLs
 * may be opened, and only in the system browser through the shell: the
 * window itself never navigates. `javascript:`, `data:`, `file:`, relative
 * and malformed URLs are never followed.
 */
export function safeExternalUrl(raw: string | undefined | null): string | null {
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password) return null;
  return url.href;
}

/** Opens an http(s) URL outside the app; returns whether anything took it. */
export type OpenExternal = (url: string) => boolean;

/** The shell's `openExternal(url)` when it offers one (newer shells), else
 * nothing: the URL stays visible for the user to copy. */
export function shellOpener(shell: unknown): OpenExternal {
  const open = (shell as { openExternal?: (url: string) => Promise<void> } | undefined)?.openExternal;
  return (url) => {
    const safe = safeExternalUrl(url);
    if (!safe || typeof open !== 'function') return false;
    void open.call(shell, safe).catch(() => {});
    return true;
  };
}

export const ExternalLinkContext = createContext<OpenExternal>(() => false);

export function useOpenExternal(): OpenExternal {
  return useContext(ExternalLinkContext);
}
