// Deep links (`agent-host://…`) reach the page as requests (`desktop:link`,
// docs/rfc/bridge.md §7): the page asks the user and only then acts. Nothing
// here talks to the host before the user chose Open.

import type { LinkRequest } from './types';

const SESSION_ID = /^ses_[0-9a-f]{32}$/;

/** A request from the shell's queue, checked; `null` for anything malformed. */
export function parseLinkRequest(raw: unknown): LinkRequest | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if ((r.kind === 'workspace' || r.kind === 'file') && typeof r.path === 'string' && r.path.startsWith('/')) {
    return { kind: r.kind, path: r.path };
  }
  if (r.kind === 'session' && typeof r.session === 'string' && SESSION_ID.test(r.session)) {
    return { kind: 'session', session: r.session };
  }
  return null;
}

/** `text` with control and invisible formatting characters shown as
 * `\u{…}`, so what the user reads is what would be opened. (The shell refuses
 * such paths already; this is the page's own guard.) */
export function visible(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** What the confirmation says about a request. */
export function linkQuestion(request: LinkRequest): { title: string; question: string; subject: string } {
  switch (request.kind) {
    case 'workspace':
      return {
        title: 'Open a workspace?',
        question: 'A link asks to open this folder as a workspace. Open it?',
        subject: visible(request.path),
      };
    case 'file':
      return {
        title: 'Open a file?',
        question: 'A link asks to open this file. Open it?',
        subject: visible(request.path),
      };
    case 'session':
      return {
        title: 'Open a session?',
        question: 'A link asks to open this session. Open it?',
        subject: request.session,
      };
  }
}

/** What opening takes; App supplies the real ones. */
export interface LinkActions {
  openWorkspace(path: string): Promise<void>;
  openFile(path: string): Promise<void>;
  selectSession(id: string): void;
}

/** Does what the link asked. Called only when the user chose Open. */
export async function openLink(request: LinkRequest, actions: LinkActions): Promise<void> {
  switch (request.kind) {
    case 'workspace':
      return actions.openWorkspace(request.path);
    case 'file':
      return actions.openFile(request.path);
    case 'session':
      actions.selectSession(request.session);
      return;
  }
}
