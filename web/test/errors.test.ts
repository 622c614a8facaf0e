import { describe, expect, it } from 'vitest';
import {
  ChangedSinceError,
  ConflictError,
  HostError,
  ProviderDownError,
  hostErrorFromResponse,
  isHostError,
  parseHostErrorBody,
} from '../src/desktop/errors';
import { errorResponse } from './fixtures/turn';

describe('HostError parsing', () => {
  it('reads code, message and status', async () => {
    const e = await hostErrorFromResponse(errorResponse(404, 'unknown_session', 'no such session'));
    expect(e).toBeInstanceOf(HostError);
    expect(e.code).toBe('unknown_session');
    expect(e.message).toBe('no such session');
    expect(e.status).toBe(404);
    expect(isHostError(e, 'unknown_session')).toBe(true);
    expect(isHostError(e, 'conflict')).toBe(false);
  });

  it('types conflict and provider_down', async () => {
    const c = await hostErrorFromResponse(errorResponse(409, 'conflict', 'the file changed on disk'));
    expect(c).toBeInstanceOf(ConflictError);
    expect(c.code).toBe('conflict');
    const p = await hostErrorFromResponse(errorResponse(409, 'provider_down', 'no provider is configured'));
    expect(p).toBeInstanceOf(ProviderDownError);
    expect(p).toBeInstanceOf(HostError);
    expect(isHostError(p, 'provider_down')).toBe(true);
  });

  it('keeps the files of a refused revert (409 changed_since)', async () => {
    const res = new Response(
      JSON.stringify({ error: { code: 'changed_since', message: 'files changed since' }, files: ['/w/a.md', 7, '/w/b.md'] }),
      { status: 409, headers: { 'content-type': 'application/json' } },
    );
    const e = await hostErrorFromResponse(res);
    expect(e).toBeInstanceOf(ChangedSinceError);
    expect(isHostError(e, 'changed_since')).toBe(true);
    expect((e as ChangedSinceError).files).toEqual(['/w/a.md', '/w/b.md']);
    // Without a list, an empty one.
    expect((parseHostErrorBody('{"error":{"code":"changed_since","message":"m"}}', 409) as ChangedSinceError).files).toEqual([]);
  });

  it('never echoes a body that is not the error shape', () => {
    for (const body of ['', 'not json', '{"error":"x"}', '{"error":{"message":"m"}}', '[]', 'null', '<html>secret</html>']) {
      const e = parseHostErrorBody(body, 502);
      expect(e.code).toBe('bad_response');
      expect(e.status).toBe(502);
      expect(e.message).not.toContain('secret');
    }
  });

  it('uses the code when the message is missing', () => {
    const e = parseHostErrorBody('{"error":{"code":"timeout"}}', 503);
    expect(e.code).toBe('timeout');
    expect(e.message).toBe('timeout');
  });
});
