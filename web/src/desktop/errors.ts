// Errors of the host API: `{"error":{"code","message"}}` → HostError.

/** Codes the renderer reacts to specifically. Any other string may occur. */
export type KnownHostErrorCode =
  | 'conflict'
  | 'provider_down'
  | 'run_in_flight'
  | 'unknown_session'
  | 'unknown_document'
  | 'not_found'
  | 'path_not_allowed'
  | 'file_too_large'
  | 'not_utf8'
  | 'invalid_key'
  | 'secret_store_unavailable'
  | 'insecure_permissions'
  | 'unauthorized'
  | 'timeout'
  | 'internal'
  | 'changed_since'
  | 'checkpoint_pruned'
  | 'unknown_turn'
  // Raised by the renderer itself, not by the host:
  | 'bridge_missing'
  | 'host_unreachable'
  | 'bad_response';

export type HostErrorCode = KnownHostErrorCode | (string & {});

export class HostError extends Error {
  override readonly name: string = 'HostError';
  constructor(
    /** Stable machine-readable code, e.g. `conflict`. */
    readonly code: HostErrorCode,
    message: string,
    /** HTTP status; 0 when the error did not come from a response. */
    readonly status: number = 0,
  ) {
    super(message);
  }
}

/** 409 `conflict`: the file changed (or vanished) on disk since it was read;
 * nothing was written. */
export class ConflictError extends HostError {
  override readonly name = 'ConflictError';
  constructor(message: string, status = 409) {
    super('conflict', message, status);
  }
}

/** 409 `provider_down`: no provider is configured or reachable; the turn was
 * refused before any stream opened. */
export class ProviderDownError extends HostError {
  override readonly name = 'ProviderDownError';
  constructor(message: string, status = 409) {
    super('provider_down', message, status);
  }
}

/** 409 `changed_since`: a revert was refused because these files are no
 * longer what the turn (or the revert) left; `force` overwrites them. */
export class ChangedSinceError extends HostError {
  override readonly name = 'ChangedSinceError';
  constructor(
    message: string,
    /** The paths that changed since, as the host lists them. */
    readonly files: readonly string[],
    status = 409,
  ) {
    super('changed_since', message, status);
  }
}

export function isHostError(e: unknown, code?: HostErrorCode): e is HostError {
  return e instanceof HostError && (code === undefined || e.code === code);
}

/** Builds the typed error for a parsed `{code, message}`; `body` is the
 * whole error body, for the codes that carry more (`changed_since`'s
 * `files`). */
export function makeHostError(code: string, message: string, status: number, body?: unknown): HostError {
  if (code === 'conflict') return new ConflictError(message, status);
  if (code === 'provider_down') return new ProviderDownError(message, status);
  if (code === 'changed_since') return new ChangedSinceError(message, stringList(body, 'files'), status);
  return new HostError(code, message, status);
}

/** `body[key]` when it is a list of strings (the others dropped), else `[]`. */
function stringList(body: unknown, key: string): string[] {
  const v = body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Parses an error body. Anything that is not the host's error shape becomes
 * `bad_response` with the HTTP status, never the raw body (it could be
 * large or, from a misbehaving proxy, contain something sensitive). */
export function parseHostErrorBody(text: string, status: number): HostError {
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && 'error' in value) {
      const err = (value as { error: unknown }).error;
      if (err && typeof err === 'object') {
        const { code, message } = err as { code?: unknown; message?: unknown };
        if (typeof code === 'string' && code.length > 0) {
          return makeHostError(code, typeof message === 'string' ? message : code, status, value);
        }
      }
    }
  } catch {
    // fall through
  }
  return new HostError('bad_response', `unexpected response from the host (HTTP ${status})`, status);
}

/** Reads a non-2xx response into a HostError. */
export async function hostErrorFromResponse(response: Response): Promise<HostError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // body unreadable: keep the status
  }
  return parseHostErrorBody(text, response.status);
}
